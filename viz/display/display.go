// Package display checks, in pure Go and without opening a window, that
// an X display can be reached: what a command asks before it starts the
// window viewer, so that a machine without a display gets one clear line
// instead of a failure deep in the window library.
package display

import (
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/jezek/xgb"
)

// hint is the advice every error from [Check] ends with.
const hint = "use --gif out.gif or run under xvfb-run"

// Check returns nil if the X server named by DISPLAY accepts a connection,
// else an error with a one-line message that says why and how to do
// without a window. The window library on Linux speaks X11 only, so a
// Wayland session needs XWayland (which sets DISPLAY).
func Check() error {
	conn, err := Open()
	if err != nil {
		return err
	}
	conn.Close()
	return nil
}

// Open connects to the X display as [Check] does and returns the
// connection, for a caller that keeps it open while the window library
// connects: an X server started without -noreset (plain Xvfb) resets when
// its last client leaves, and a connection attempt in that moment fails.
// For the same reason a refused connection is retried for up to a second.
func Open() (*xgb.Conn, error) {
	// xgb reports on stderr each connection made without an
	// ~/.Xauthority file, normal under Xvfb; errors reach callers as
	// values anyway.
	xgb.Logger = log.New(io.Discard, "", 0)
	name := os.Getenv("DISPLAY")
	if name == "" {
		if os.Getenv("WAYLAND_DISPLAY") != "" {
			return nil, fmt.Errorf("no X display (DISPLAY unset; WAYLAND_DISPLAY is set but the window needs X11 or XWayland): %s", hint)
		}
		return nil, fmt.Errorf("no display (DISPLAY/WAYLAND_DISPLAY unset): %s", hint)
	}
	var err error
	for try := 0; try < 10; try++ {
		var conn *xgb.Conn
		if conn, err = xgb.NewConnDisplay(name); err == nil {
			return conn, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil, fmt.Errorf("no display (cannot connect to X display %q: %v): %s", name, oneLine(err), hint)
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
