// Package fromrun writes D4RL's replay dataset kinds, medium-replay and
// full-replay: the first rows of a SAC training run's experience, replayed
// through the simulator so that every row also gets its exact simulator
// state (train.History). The run is one given by the caller, or the run
// behind the shipped behaviour policies (policies/trained), retrained from
// its recorded configuration into <data dir>/behaviour-runs/ and accepted
// only if it reaches the shipped policy bit for bit: D4RL's own replay
// datasets needed a training run too.
package fromrun

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

	"offrl/collect"
	"offrl/datasets"
	"offrl/internal/cli"
	"offrl/policies"
	"offrl/train"
)

// Options of Write.
type Options struct {
	Env  string
	Kind string // "medium-replay" or "full-replay"
	// Run is a SAC run directory (train-agent --algo sac) whose experience
	// to write; empty means the run behind the shipped policies.
	Run string
	// Rows is how many of the run's first transitions to write; required
	// with Run, otherwise 0 means the shipped medium (medium-replay) or
	// expert (full-replay) policy's step.
	Rows int
	// DataDir holds behaviour-runs/, where the shipped run is retrained.
	DataDir string
	// Out, Overwrite, PartRows and Command are as in collect.Options.
	Out       string
	Overwrite bool
	PartRows  int
	Command   string
	Logger    *slog.Logger
	// Stderr receives the notice that a run is being retrained and the
	// progress of retraining and writing.
	Stderr io.Writer
	// OnTrain, if set, is called after every step of a retraining.
	OnTrain func(step, total int)
}

// The shipped policies' manifest entries and files; tests stand in their
// own.
var (
	trained       = policies.Trained
	shippedPolicy = policies.ShippedPolicy
)

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	return o
}

// Write finds (or retrains) the run and writes the dataset to o.Out, which
// must not exist unless o.Overwrite.
func Write(ctx context.Context, o Options) (collect.Summary, error) {
	o = o.withDefaults()
	if !o.Overwrite {
		// Before a retraining that can take hours, not after it.
		if _, err := os.Stat(o.Out); err == nil {
			return collect.Summary{}, fmt.Errorf("dataset %s: %w (pass --overwrite to replace it)", o.Out, datasets.ErrExists)
		}
	}
	runDir, rows, err := Source(ctx, o)
	if err != nil {
		return collect.Summary{}, err
	}
	progress := cli.NewProgress(o.Stderr, o.Logger, "writing "+o.Kind)
	defer progress.Close()
	opts := collect.Options{EnvID: o.Env, Kind: o.Kind, Steps: rows, Out: o.Out, Overwrite: o.Overwrite,
		PartRows: o.PartRows, Command: o.Command, Logger: o.Logger, OnProgress: progress.Update}
	behaviour := map[string]any{"kind": o.Kind, "policy": "SAC's training experience",
		"run": filepath.Base(runDir), "rows": rows, "stochastic": true,
		"state": "re-simulated from each training episode's reset seed and stored actions"}
	history := func(yield func(collect.HistoryRow) error) error {
		return train.History(ctx, runDir, rows, func(e train.Experience) error {
			return yield(collect.HistoryRow{Episode: e.Episode, Step: e.Step, Obs: e.Obs, Action: e.Action,
				NextObs: e.NextObs, Reward: e.Reward, Terminal: e.Terminal, Timeout: e.Timeout, State: e.State})
		})
	}
	return collect.FromHistory(ctx, opts, history, behaviour)
}

// Source finds the run and the number of rows to write: o.Rows, or the
// shipped medium (medium-replay) or expert (full-replay) policy's step;
// without o.Run, the shipped policies' run, trained as far as needed into
// o.DataDir/behaviour-runs/ (resumable: an interrupted retraining goes on
// from its checkpoint the next time).
func Source(ctx context.Context, o Options) (string, int, error) {
	o = o.withDefaults()
	entry, shipped := trained(o.Env)
	rows := o.Rows
	if rows == 0 && shipped {
		rows = entry.Medium.Step
		if o.Kind == "full-replay" {
			rows = entry.Expert.Step
		}
	}
	if o.Run != "" {
		run, err := train.ReadRunConfig(o.Run)
		if errors.Is(err, fs.ErrNotExist) {
			return "", 0, cli.Usage(fmt.Errorf("--from-run: %w", err))
		}
		if err != nil {
			return "", 0, err
		}
		if !run.Online() {
			return "", 0, cli.Usage(fmt.Errorf("--from-run %s is an offline %s run on dataset %s, not an online "+
				"run (train-agent --algo sac) whose experience could be replayed", o.Run, run.Algo, run.DatasetID))
		}
		if run.Env != o.Env {
			return "", 0, cli.Usage(fmt.Errorf("--from-run %s is a %s run on %s, not on --env %s",
				o.Run, run.Algo, run.Env, o.Env))
		}
		if o.Rows == 0 {
			return "", 0, cli.Usage(fmt.Errorf("--steps is needed with --from-run: how many of the run's first " +
				"transitions to write (the medium policy's step for medium-replay, all for full-replay)"))
		}
		return o.Run, o.Rows, nil
	}
	if !shipped {
		return "", 0, cli.Usage(fmt.Errorf("no behaviour policies are shipped for %s, so there is no "+
			"training run to replay: train one (go run ./cmd/train-agent --algo sac --env %s) and "+
			"pass it with --from-run and --steps", o.Env, o.Env))
	}
	if len(entry.TrainConfig) == 0 {
		return "", 0, fmt.Errorf("policies/trained/manifest.json has no train_config for %s: the run behind "+
			"the shipped policies cannot be rebuilt; pass --from-run and --steps", o.Env)
	}
	cfg := train.DefaultConfig()
	if err := json.Unmarshal(entry.TrainConfig, &cfg); err != nil {
		return "", 0, fmt.Errorf("policies/trained/manifest.json: %s train_config: %w", o.Env, err)
	}
	runDir := filepath.Join(o.DataDir, "behaviour-runs", entry.Run)
	_, statErr := os.Stat(filepath.Join(runDir, "checkpoint"))
	resume := statErr == nil
	if resume {
		if done, err := train.CheckpointStep(runDir); err == nil && done >= rows {
			// Trained far enough before; checked again, as a run left by a
			// refused retraining is still there.
			if err := sameAsShipped(o.Env, o.Kind, runDir, rows); err != nil {
				return "", 0, err
			}
			return runDir, rows, nil
		}
	}
	fmt.Fprintf(o.Stderr, "%s replays the first %d steps of the SAC run behind the shipped %s policies; "+
		"training it into %s (resumable: rerun the same command after an interruption)\n",
		o.Kind, rows, o.Env, runDir)
	progress := cli.NewProgress(o.Stderr, o.Logger, "training "+entry.Run)
	defer progress.Close()
	cfg.Steps = rows // as far as needed now; a later full-replay extends it
	onProgress := progress.Update
	if o.OnTrain != nil {
		onProgress = func(step, total int) { progress.Update(step, total); o.OnTrain(step, total) }
	}
	_, err := train.Run(ctx, cfg, runDir, train.Options{Logger: o.Logger, Resume: resume,
		OnProgress: onProgress})
	if err != nil && !errors.Is(err, train.ErrStepsBehind) {
		return "", 0, err
	}
	if err := sameAsShipped(o.Env, o.Kind, runDir, rows); err != nil {
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
	want, err := shippedPolicy(envID, policyKind)
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
