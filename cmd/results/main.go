// Command results trains TD3+BC, IQL and A2PR on a grid of datasets and
// seeds, resumably and two runs at a time, and writes the results table
// (results.md) and its plot (results.png) beside the papers' numbers.
// `make results` runs it with its defaults. See --help.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}
