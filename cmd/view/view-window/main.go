// Command view-window is view with its window: the same flags, and the
// only program of the toolkit that links the window library (ebiten), so
// it needs a display (or xvfb-run) and cgo with the X11 headers to build.
// Run view instead: it starts view-window for a window and writes GIFs and
// plots without one.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"offrl/cmd/view/internal/app"
	"offrl/viz"
	"offrl/viz/viewer"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(app.Run(ctx, os.Args[1:], os.Stdout, os.Stderr, app.Launcher{Window: window}))
}

func window(p *viz.Player, o app.WindowOptions) error {
	return viewer.Run(p, viewer.Options{Title: o.Title, Width: o.Width, Height: o.Height,
		Speed: o.Speed, Paused: o.Paused, Frames: o.Frames, Screenshot: o.Screenshot, Done: o.Done})
}
