package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"offrl/datasets"
	"offrl/envs"
	"offrl/envs/registry"
	"offrl/policies"
)

// ReplayKinds are D4RL's dataset kinds made of a training run's replay
// buffer rather than by rolling out a policy: medium-replay (the buffer up
// to the medium policy) and full-replay (the whole buffer up to the
// expert).
var ReplayKinds = []string{"medium-replay", "full-replay"}

// HistoryRow is one transition of a training run's history, with the
// simulator state before it (nil without a state layout).
type HistoryRow struct {
	Episode, Step        int
	Obs, Action, NextObs []float32
	Reward               float32
	Terminal, Timeout    bool
	State                []float64
}

// FromHistory writes the rows history yields (in order, opts.Steps of
// them) as a dataset of a replay kind at opts.Out, with behaviour
// describing the run they come from. Episodes keep the run's numbering
// from 0; the last row, if the budget cut its episode, ends with a
// timeout (tail_truncated). The dataset is written atomically; an
// interrupted call leaves nothing and is simply run again.
func FromHistory(ctx context.Context, opts Options, history func(yield func(HistoryRow) error) error,
	behaviour map[string]any) (Summary, error) {
	if !slices.Contains(ReplayKinds, opts.Kind) {
		return Summary{}, fmt.Errorf("collect: kind %q is not a replay kind (%v)", opts.Kind, ReplayKinds)
	}
	if opts.Steps < 1 {
		return Summary{}, fmt.Errorf("collect: steps = %d, want at least 1", opts.Steps)
	}
	spec, err := registry.Lookup(opts.EnvID)
	if err != nil {
		return Summary{}, err
	}
	env, err := registry.Make(opts.EnvID)
	if err != nil {
		return Summary{}, err
	}
	defer env.Close()
	ref, err := policies.ReferenceFor(opts.EnvID)
	if err != nil {
		return Summary{}, err
	}
	meta, err := metadata(opts, spec, env, ref, nil)
	if err != nil {
		return Summary{}, err
	}
	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	meta.BehaviourPolicy = raw([]map[string]any{behaviour})
	meta.Seed = raw(map[string]any{"rule": "the training run's own episode seeds (see behaviour_policy)"})
	nq, _, _ := envs.StateDimsOf(env)
	if err := os.MkdirAll(filepath.Dir(opts.Out), 0o755); err != nil {
		return Summary{}, fmt.Errorf("creating the folder of %s: %w", opts.Out, err)
	}
	partRows := opts.PartRows
	if partRows == 0 {
		partRows = DefaultPartRows
	}
	w, err := datasets.NewWriter(opts.Out, meta, datasets.WriterOptions{Overwrite: opts.Overwrite,
		Reproducible: true, PartRows: partRows})
	if err != nil {
		return Summary{}, err
	}
	done := 0
	err = history(func(r HistoryRow) error {
		if done == opts.Steps {
			return fmt.Errorf("collect: the history yielded more than the %d rows asked for", opts.Steps)
		}
		if done%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		done++
		t := datasets.Transition{EpisodeID: int32(r.Episode), Step: int32(r.Step), Obs: r.Obs,
			Action: r.Action, NextObs: r.NextObs, Reward: r.Reward, Terminal: r.Terminal,
			Timeout: r.Timeout || (done == opts.Steps && !r.Terminal)}
		if r.State != nil {
			t.Qpos, t.Qvel = r.State[:nq], r.State[nq:]
		}
		if err := w.Append(t); err != nil {
			return err
		}
		if opts.OnProgress != nil && (done%1000 == 0 || done == opts.Steps) {
			opts.OnProgress(done, opts.Steps)
		}
		return nil
	})
	if err == nil && done != opts.Steps {
		err = fmt.Errorf("collect: the history yielded %d rows, %d were asked for", done, opts.Steps)
	}
	if err != nil {
		return Summary{}, errorsJoin(err, w.Abort())
	}
	if err := w.Close(); err != nil {
		return Summary{}, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return summarise(opts.Out, log)
}
