// Command view shows what a policy does: it plays an environment in a
// window (a random or scripted policy, a trained agent, or an episode
// recorded in a dataset), writes the same as an animated GIF without a
// display, and overlays the learning curves of several runs in one PNG.
//
//	go run ./cmd/view --env Hopper-v4
//	go run ./cmd/view --policy runs/my-run
//	go run ./cmd/view --gif hop.gif
//	go run ./cmd/view --plot runs/a runs/b
//
// The window is drawn by a second program, view-window (cmd/view/view-window),
// the only one that links the window library: that library connects to the
// display while the program starts, so a binary linking it could not write
// GIFs on a server. view finds view-window next to itself or on PATH, or
// builds it from the source tree it is run in. See --help.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"offrl/cmd/view/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(app.Run(ctx, os.Args[1:], os.Stdout, os.Stderr, app.Launcher{Delegate: runWindow}))
}
