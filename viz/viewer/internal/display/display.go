// Package display stops a process that links the window library when no
// X display can be reached.
//
// Ebiten v2.8.8 connects to the X server from a package initializer and
// panics, before main runs, when that fails. This package is imported by
// viz/viewer's ebiten code and is initialized before ebiten's, so a
// binary that links the viewer and starts with no display prints one line
// and exits with status 1 instead of a stack trace. (That is also why only
// the window binary, cmd/view/view-window, links the viewer: cmd/view
// itself must write GIFs and plots on machines without a display.)
package display

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/jezek/xgb"

	"offrl/viz/display"
)

// init runs before the window library's own initializer (Go initializes
// this package first: it does not depend on that library, and the window
// tests in cmd/view/windowtest check the outcome) and ends the process
// cleanly where that initializer would panic.
//
// It keeps its connection open for the life of the process, so that an X
// server that resets when its last client leaves (plain Xvfb) cannot
// reset between this check and the window library's own connection.
func init() {
	conn, err := display.Open()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
		os.Exit(1)
	}
	held = conn
}

// held is the connection init keeps open.
var held *xgb.Conn
