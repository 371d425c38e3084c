// Package viewer shows a [viz.Player] in a resizable window: the
// environment's own frames at the window's size, with a heads-up line,
// playing in real time. It is the module's only user of ebiten and only
// cmd/view/view-window imports it.
//
//	p, err := viz.NewPlayer("Hopper-v4", policy, 1)
//	err = viewer.Run(p, viewer.Options{Title: "Hopper-v4"})
//
// Headless machines: ebiten v2.8.8 connects to the X server while the
// program initializes, before main, and panics if it cannot. A binary that
// links this package therefore checks for a display first, in
// viz/viewer/internal/display, and without one prints a single line
// suggesting --gif or xvfb-run and exits with status 1. Headless work
// (GIFs, plots) belongs in binaries that do not link this package. Built
// with CGO_ENABLED=0 on Linux, the package compiles without ebiten and
// [Run] returns an error saying so.
package viewer
