// Package windowtest holds the viewer's window tests. They build the real
// commands (view, with view-window beside it), run them in a private Xvfb
// server and compare what the X server shows with the environment's own
// renderer; they run programs rather than link the viewer because a test
// binary that links ebiten cannot start on a machine with no display.
//
// Without Xvfb the window tests skip, unless OFFRL_REQUIRE_XVFB=1 (set
// by `make test`), which makes them fail instead.
package windowtest
