package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"offrl/collect"
	"offrl/collect/fromrun"
	"offrl/datasets"
	"offrl/envs/registry"
	"offrl/internal/cli"
)

// replayFlags are the flags a replay kind uses.
type replayFlags struct {
	env, kind, out, dataDir, fromRun string
	steps, partRows                  int
	overwrite, asJSON                bool
	args                             []string
}

// replayKind writes a medium-replay or full-replay dataset (collect/fromrun): the first
// rows of a SAC run's experience, replayed through the simulator so that
// every row also gets its exact simulator state (see train.History). The
// run is --from-run, or the one the shipped policies came from, trained
// first (resumably) if it is not in the cache yet — hours for the
// locomotion tasks, as D4RL's own replay datasets needed a training run.
func replayKind(ctx context.Context, f replayFlags, log *slog.Logger, stdout, stderr io.Writer) int {
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "collect: %v\n", err)
		return code
	}
	if f.env == "" {
		return fail(cli.ExitUsage, fmt.Errorf("--env is required; one of %s", strings.Join(registry.IDs(), ", ")))
	}
	if _, err := registry.Lookup(f.env); err != nil {
		return fail(cli.ExitUsage, fmt.Errorf("--env: %w", err))
	}
	if f.steps < 0 {
		return fail(cli.ExitUsage, fmt.Errorf("--steps = %d, want a positive number of transitions", f.steps))
	}
	dataDir := f.dataDir
	if dataDir == "" {
		var err error
		if dataDir, err = datasets.CacheDir(); err != nil {
			return fail(cli.ExitFailed, err)
		}
	}
	if f.out == "" {
		id, _ := collect.DatasetID(f.env, f.kind)
		f.out = filepath.Join(dataDir, id)
	}
	sum, err := fromrun.Write(ctx, fromrun.Options{Env: f.env, Kind: f.kind, Run: f.fromRun, Rows: f.steps,
		DataDir: dataDir, Out: f.out, Overwrite: f.overwrite, PartRows: f.partRows,
		Command: "collect " + strings.Join(f.args, " "), Logger: log, Stderr: stderr})
	if err != nil {
		if ctx.Err() != nil {
			return fail(cli.ExitInterrupted, fmt.Errorf("interrupted; nothing was written; rerun the same command (the training run is kept): %w", err))
		}
		return fail(cli.ExitCode(err), err)
	}
	report(stdout, sum, f.asJSON, shardFlag{})
	return cli.ExitOK
}
