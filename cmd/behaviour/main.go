// Command behaviour turns a SAC training run into the behaviour policies
// that collect D4RL-style datasets: it scores every policy snapshot of the
// run, takes the best as the expert and the one nearest a normalised score
// of 33 as the medium policy (D4RL's "about a third of the expert"),
// measures the reference returns, and writes the policy files and their
// manifest entry into policies/trained. See --help.
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
