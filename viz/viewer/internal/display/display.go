// Package display checks, without cgo, that an X display can be reached,
// and stops a process that links the window library when none can.
//
// Ebiten v2.8.8 connects to the X server from a package initializer and
// panics, before main runs, when that fails. This package is imported by
// viz/viewer's ebiten code and is initialized before ebiten's, so a
// binary that links the viewer and starts with no display prints one line
// and exits with status 1 instead of a stack trace.
package display

import (
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/jezek/xgb"
)

// hint is the advice every error from [Check] ends with.
const hint = "use --gif out.gif or run under xvfb-run"

// Check returns nil if the X server named by DISPLAY accepts a connection,
// else an error with a one-line message that says why and how to do
// without a window. The window library on Linux speaks X11 only, so a
// Wayland session needs XWayland (which sets DISPLAY).
func Check() error {
	name := os.Getenv("DISPLAY")
	if name == "" {
		if os.Getenv("WAYLAND_DISPLAY") != "" {
			return fmt.Errorf("no X display (DISPLAY unset; WAYLAND_DISPLAY is set but the window needs X11 or XWayland): %s", hint)
		}
		return fmt.Errorf("no display (DISPLAY/WAYLAND_DISPLAY unset): %s", hint)
	}
	conn, err := xgb.NewConnDisplay(name)
	if err != nil {
		return fmt.Errorf("no display (cannot connect to X display %q: %v): %s", name, oneLine(err), hint)
	}
	conn.Close()
	return nil
}

// oneLine keeps an error's message on one line.
func oneLine(err error) string {
	b := []byte(err.Error())
	for i, c := range b {
		if c == '\n' || c == '\r' {
			b[i] = ' '
		}
	}
	return string(b)
}

// init runs before the window library's own initializer (Go initializes
// this package first: it does not depend on that library, and the test in
// viz/viewer/internal/windowtest checks the outcome) and ends the process
// cleanly where that initializer would panic.
//
// It also silences xgb's logger, which ebiten shares: it reports on
// stderr each connection made without an ~/.Xauthority file, normal
// under Xvfb, and errors reach callers as values anyway.
func init() {
	xgb.Logger = log.New(io.Discard, "", 0)
	if err := Check(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
		os.Exit(1)
	}
}
