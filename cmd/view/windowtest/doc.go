// Package windowtest holds the viewer's window tests. They run the
// viewdemo program in a private Xvfb server and compare what the X server
// shows with the environment's own renderer; they live apart from
// viz/viewer because a test binary that links ebiten cannot start on a
// machine with no display.
//
// Without Xvfb the window tests skip, unless OFFRL_REQUIRE_XVFB=1 (set
// by `make test`), which makes them fail instead.
package windowtest
