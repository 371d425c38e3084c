package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"offrl/collect"
	"offrl/datasets"
	"offrl/envs/registry"
	"offrl/internal/cli"
	"offrl/policies"
	"offrl/train"
)

// replayFlags are the flags a replay kind uses.
type replayFlags struct {
	env, kind, out, dataDir, fromRun string
	steps, partRows                  int
	overwrite, asJSON                bool
	args                             []string
}

// replayKind writes a medium-replay or full-replay dataset: the first
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
	runDir, rows, err := replaySource(ctx, f, dataDir, log, stderr)
	if err != nil {
		code := cli.ExitCode(err)
		if ctx.Err() != nil {
			code = cli.ExitInterrupted
		}
		return fail(code, err)
	}
	if f.out == "" {
		id, _ := collect.DatasetID(f.env, f.kind)
		f.out = filepath.Join(dataDir, id)
	}
	progress := cli.NewProgress(stderr, log, "writing "+f.kind)
	opts := collect.Options{EnvID: f.env, Kind: f.kind, Steps: rows, Out: f.out, Overwrite: f.overwrite,
		PartRows: f.partRows, Command: "collect " + strings.Join(f.args, " "), Logger: log,
		OnProgress: progress.Update}
	behaviour := map[string]any{"kind": f.kind, "policy": "SAC's training experience",
		"run": filepath.Base(runDir), "rows": rows, "stochastic": true,
		"state": "re-simulated from each training episode's reset seed and stored actions"}
	history := func(yield func(collect.HistoryRow) error) error {
		return train.History(ctx, runDir, rows, func(e train.Experience) error {
			return yield(collect.HistoryRow{Episode: e.Episode, Step: e.Step, Obs: e.Obs, Action: e.Action,
				NextObs: e.NextObs, Reward: e.Reward, Terminal: e.Terminal, Timeout: e.Timeout, State: e.State})
		})
	}
	sum, err := collect.FromHistory(ctx, opts, history, behaviour)
	progress.Close()
	if err != nil {
		if ctx.Err() != nil {
			return fail(cli.ExitInterrupted, fmt.Errorf("interrupted; nothing was written; rerun the same command (the training run is kept): %w", err))
		}
		return fail(cli.ExitFailed, err)
	}
	report(stdout, sum, f.asJSON, shardFlag{})
	return cli.ExitOK
}

// replaySource finds the run and the number of rows to write: --steps, or
// the shipped medium (medium-replay) or expert (full-replay) policy's
// step; without --from-run, the shipped policies' run, trained as far as
// needed into dataDir/behaviour-runs/.
func replaySource(ctx context.Context, f replayFlags, dataDir string, log *slog.Logger,
	stderr io.Writer) (string, int, error) {
	entry, shipped := policies.Trained(f.env)
	rows := f.steps
	if rows == 0 && shipped {
		rows = entry.Medium.Step
		if f.kind == "full-replay" {
			rows = entry.Expert.Step
		}
	}
	if f.fromRun != "" {
		run, err := train.ReadRunConfig(f.fromRun)
		if errors.Is(err, fs.ErrNotExist) {
			return "", 0, cli.Usage(fmt.Errorf("--from-run: %w", err))
		}
		if err != nil {
			return "", 0, err
		}
		if run.Env != f.env {
			return "", 0, cli.Usage(fmt.Errorf("--from-run %s is a %s run of %q, not an online run on --env %s",
				f.fromRun, run.Algo, run.Env, f.env))
		}
		if f.steps == 0 {
			return "", 0, cli.Usage(fmt.Errorf("--steps is needed with --from-run: how many of the run's first " +
				"transitions to write (the medium policy's step for medium-replay, all for full-replay)"))
		}
		return f.fromRun, f.steps, nil
	}
	if !shipped {
		return "", 0, cli.Usage(fmt.Errorf("no behaviour policies are shipped for %s, so there is no "+
			"training run to replay: train one (go run ./cmd/train-agent --algo sac --env %s) and "+
			"pass it with --from-run and --steps", f.env, f.env))
	}
	if len(entry.TrainConfig) == 0 {
		return "", 0, fmt.Errorf("policies/trained/manifest.json has no train_config for %s: the run behind "+
			"the shipped policies cannot be rebuilt; pass --from-run and --steps", f.env)
	}
	cfg := train.DefaultConfig()
	if err := json.Unmarshal(entry.TrainConfig, &cfg); err != nil {
		return "", 0, fmt.Errorf("policies/trained/manifest.json: %s train_config: %w", f.env, err)
	}
	cfg.Steps = max(cfg.Steps, rows) // the recorded run's length, or further
	runDir := filepath.Join(dataDir, "behaviour-runs", entry.Run)
	_, statErr := os.Stat(filepath.Join(runDir, "checkpoint"))
	resume := statErr == nil
	if resume {
		if done, err := train.CheckpointStep(runDir); err == nil && done >= rows {
			return runDir, rows, nil
		}
	}
	fmt.Fprintf(stderr, "collect: %s replays the first %d steps of the SAC run behind the shipped %s policies; "+
		"training it into %s (resumable: rerun the same command after an interruption)\n",
		f.kind, rows, f.env, runDir)
	progress := cli.NewProgress(stderr, log, "training "+entry.Run)
	defer progress.Close()
	cfg.Steps = rows // as far as needed now; a later full-replay extends it
	_, err := train.Run(ctx, cfg, runDir, train.Options{Logger: log, Resume: resume,
		OnProgress: progress.Update})
	if err != nil && !errors.Is(err, train.ErrStepsBehind) {
		return "", 0, err
	}
	if err := sameAsShipped(f.env, f.kind, runDir, rows); err != nil {
		return "", 0, err
	}
	return runDir, rows, nil
}

// sameAsShipped checks that the rebuilt run reached, at rows steps, the
// very policy that is shipped (medium for medium-replay, expert for
// full-replay): otherwise its experience is another run's, from another
// binary or CPU, and is refused rather than written under the shipped
// policies' name.
func sameAsShipped(envID, kind string, runDir string, rows int) error {
	policyKind := policies.KindMedium
	if kind == "full-replay" {
		policyKind = policies.KindExpert
	}
	want, err := policies.ShippedPolicy(envID, policyKind)
	if err != nil {
		return err
	}
	path := filepath.Join(runDir, "policies", fmt.Sprintf("step-%08d.safetensors", rows))
	got, err := policies.LoadTanhGaussian(path)
	if err != nil {
		return fmt.Errorf("the rebuilt run has no policy snapshot at step %d: %w", rows, err)
	}
	if !policies.SameWeights(got, want) {
		return fmt.Errorf("the rebuilt run %s reached another policy at step %d than the shipped %s one: "+
			"this binary or CPU computes differently from the one that trained it, so its experience "+
			"is not the shipped policies' (use --from-run with a run of your own)", runDir, rows, policyKind)
	}
	return nil
}
