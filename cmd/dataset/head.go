package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"offrl/datasets"
	"offrl/internal/cli"
)

const headUsage = `Usage: dataset head PATH [-n 5] [--offset K]

Prints transitions K to K+n-1 of a dataset, one block per row: episode_id,
step, obs, action, reward, next_obs, terminal and timeout, with floats to 4
significant digits. Rows past the end are not printed.

Examples:
  dataset head data/pendulum-medium-v0
  dataset head data/pendulum-medium-v0 -n 2 --offset 199

Flags:
`

func runHead(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("head", headUsage)
	n := fs.Int("n", 5, "number of transitions to print")
	offset := fs.Int("offset", 0, "index of the first transition (0-based row)")
	help, paths, err := parse(fs, args, stdout)
	switch {
	case help:
		return cli.ExitOK
	case err != nil:
		return usageFail(stderr, "head", err)
	case len(paths) != 1:
		return usageFail(stderr, "head", fmt.Errorf("want exactly one PATH, got %d", len(paths)))
	case *n < 0:
		return usageFail(stderr, "head", fmt.Errorf("-n = %d, want ≥ 0", *n))
	case *offset < 0:
		return usageFail(stderr, "head", fmt.Errorf("--offset = %d, want ≥ 0", *offset))
	}

	d, err := datasets.Read(paths[0])
	if err != nil {
		fmt.Fprintf(stderr, "dataset head: %v\n", err)
		return cli.ExitFailed
	}
	if *offset >= d.Len() {
		fmt.Fprintf(stderr, "dataset head: --offset %d, but %s has %d rows\n",
			*offset, paths[0], d.Len())
		return cli.ExitFailed
	}
	end := min(d.Len(), *offset+*n)
	o, a := d.ObsDim, d.ActDim
	for i := *offset; i < end; i++ {
		if ctx.Err() != nil {
			return cli.ExitInterrupted
		}
		fmt.Fprintf(stdout, "row %d: episode_id %d step %d\n", i, d.EpisodeIDs[i], d.Steps[i])
		fmt.Fprintf(stdout, "  obs       %s\n", floats(d.Observations[i*o:(i+1)*o]))
		fmt.Fprintf(stdout, "  action    %s\n", floats(d.Actions[i*a:(i+1)*a]))
		fmt.Fprintf(stdout, "  reward    %.4g\n", d.Rewards[i])
		fmt.Fprintf(stdout, "  next_obs  %s\n", floats(d.NextObservations[i*o:(i+1)*o]))
		fmt.Fprintf(stdout, "  terminal  %v  timeout %v\n", d.Terminals[i], d.Timeouts[i])
	}
	return cli.ExitOK
}

// floats formats a vector as [x y z] with 4 significant digits each.
func floats(v []float32) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%.4g", x)
	}
	return "[" + strings.Join(s, " ") + "]"
}
