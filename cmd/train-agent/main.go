// Command train-agent trains an offline RL agent on a D4RL-style dataset,
// evaluates it in its environment and writes a run directory.
//
// With no flags it trains TD3+BC on pendulum-medium-v0, collecting that
// dataset into the cache first if it is not there. See --help.
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
