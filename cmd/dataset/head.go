package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"offrl/datasets"
	"offrl/internal/cli"
)

const headUsage = `Usage: dataset head PATH [-n 5] [--offset K]

Prints transitions K to K+n-1 of a dataset, one block per row: episode_id,
step, obs, action, reward, next_obs, terminal and timeout (and qpos and
qvel, the simulator state before the step, when the dataset stores them),
with floats to 4 significant digits. Rows past the end are not printed. Only the row
groups up to the last row printed are read (a directory's parts are all
checked against their SHA-256 first).

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

	d, rows, err := readRows(ctx, paths[0], int64(*offset), int64(*n))
	if err != nil {
		fmt.Fprintf(stderr, "dataset head: %v\n", err)
		return cli.ExitFailed
	}
	if int64(*offset) >= rows {
		fmt.Fprintf(stderr, "dataset head: --offset %d, but %s has %d rows\n",
			*offset, paths[0], rows)
		return cli.ExitFailed
	}
	o, a := d.ObsDim, d.ActDim
	for k := range d.Len() {
		if ctx.Err() != nil {
			return cli.ExitInterrupted
		}
		i := *offset + k
		fmt.Fprintf(stdout, "row %d: episode_id %d step %d\n", i, d.EpisodeIDs[k], d.Steps[k])
		fmt.Fprintf(stdout, "  obs       %s\n", floats(d.Observations[k*o:(k+1)*o]))
		fmt.Fprintf(stdout, "  action    %s\n", floats(d.Actions[k*a:(k+1)*a]))
		fmt.Fprintf(stdout, "  reward    %.4g\n", d.Rewards[k])
		fmt.Fprintf(stdout, "  next_obs  %s\n", floats(d.NextObservations[k*o:(k+1)*o]))
		fmt.Fprintf(stdout, "  terminal  %v  timeout %v\n", d.Terminals[k], d.Timeouts[k])
		if d.NQ > 0 {
			fmt.Fprintf(stdout, "  qpos      %s\n", floats(d.Qpos[k*d.NQ:(k+1)*d.NQ]))
			fmt.Fprintf(stdout, "  qvel      %s\n", floats(d.Qvel[k*d.NV:(k+1)*d.NV]))
		}
	}
	return cli.ExitOK
}

// errEnough stops a scan once the rows wanted have been read.
var errEnough = errors.New("enough rows")

// readRows reads rows [offset, offset+n) of the dataset at path, row group
// by row group, stopping after the last group it needs. It returns them
// with the number of rows read, which is the dataset's row count when the
// rows asked for reach its end.
func readRows(ctx context.Context, path string, offset, n int64) (*datasets.Dataset, int64, error) {
	out := &datasets.Dataset{}
	end := offset + n
	var rows int64
	_, err := datasets.ScanWith(ctx, path, datasets.ReadOptions{State: true}, func(c *datasets.Dataset, first int64) error {
		out.ObsDim, out.ActDim, out.NQ, out.NV = c.ObsDim, c.ActDim, c.NQ, c.NV
		rows = first + int64(c.Len())
		lo, hi := max(offset, first)-first, min(end, rows)-first
		if lo < hi {
			o, a := int64(c.ObsDim), int64(c.ActDim)
			out.EpisodeIDs = append(out.EpisodeIDs, c.EpisodeIDs[lo:hi]...)
			out.Steps = append(out.Steps, c.Steps[lo:hi]...)
			out.Observations = append(out.Observations, c.Observations[lo*o:hi*o]...)
			out.Actions = append(out.Actions, c.Actions[lo*a:hi*a]...)
			out.Rewards = append(out.Rewards, c.Rewards[lo:hi]...)
			out.NextObservations = append(out.NextObservations, c.NextObservations[lo*o:hi*o]...)
			out.Terminals = append(out.Terminals, c.Terminals[lo:hi]...)
			out.Timeouts = append(out.Timeouts, c.Timeouts[lo:hi]...)
			q, v := int64(c.NQ), int64(c.NV)
			out.Qpos = append(out.Qpos, c.Qpos[lo*q:hi*q]...)
			out.Qvel = append(out.Qvel, c.Qvel[lo*v:hi*v]...)
		}
		if rows >= end && rows > offset {
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, 0, err
	}
	return out, rows, nil
}

// floats formats a vector as [x y z] with 4 significant digits each.
func floats[T float32 | float64](v []T) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%.4g", x)
	}
	return "[" + strings.Join(s, " ") + "]"
}
