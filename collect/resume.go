package collect

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strings"

	"offrl/datasets"
	"offrl/envs"
)

// resumeState is the collector's part of a resumable dataset's
// progress.json (the "state" key): the options that shape the data, to
// refuse resuming with others, and where the collection stood when the
// last recorded part was finished.
type resumeState struct {
	// The options of the interrupted run.
	EnvID    string `json:"env_id"`
	Kind     string `json:"kind"`
	Steps    int    `json:"steps"`
	Seed     uint64 `json:"seed"`
	PartRows int    `json:"part_rows"`
	Command  string `json:"command"`

	// Where to continue: the next episode's index, the phase of the plan
	// (0, or 1 for the expert half of medium-expert) with the transitions
	// it still has to write, the length of the medium half (so a resumed
	// medium-expert collection needs no dry run to find it again), the
	// transitions written so far, and the behaviour policies' generator
	// (a math/rand/v2 PCG, MarshalBinary).
	NextEpisode int    `json:"next_episode"`
	Phase       int    `json:"phase"`
	PhaseKind   string `json:"phase_kind"`
	MediumSteps int    `json:"medium_steps"` // medium-expert: the medium half; else 0
	PhaseLeft   int    `json:"phase_left"`
	Done        int    `json:"done"`
	PolicyRNG   []byte `json:"policy_rng"`
}

// findProgress looks for an interrupted collection of opts.Out. It
// returns nil progress and a state at phase 0 when there is none (or Out
// is a single file). When there is one, it checks that opts asks for the
// same data and takes the recorded command line, so that every part's
// footer says the same.
func findProgress(opts *Options) (*datasets.Progress, resumeState, error) {
	fresh := resumeState{}
	if strings.HasSuffix(opts.Out, ".parquet") {
		return nil, fresh, nil
	}
	p, err := datasets.ReadProgress(opts.Out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fresh, nil
	}
	if err != nil {
		return nil, fresh, err
	}
	var st resumeState
	if err := json.Unmarshal(p.State, &st); err != nil {
		return nil, fresh, fmt.Errorf("resuming %s: decoding the recorded state: %w",
			datasets.PartialDir(opts.Out), err)
	}
	flags := []struct {
		name     string
		was, now any
	}{
		{"env", st.EnvID, opts.EnvID}, {"kind", st.Kind, opts.Kind},
		{"steps", st.Steps, opts.Steps}, {"seed", st.Seed, opts.Seed},
		{"part-rows", st.PartRows, opts.PartRows},
	}
	for _, f := range flags {
		if f.was != f.now {
			return nil, fresh, fmt.Errorf("%w: %s holds an interrupted collection with "+
				"--%s %v, but this one asks for --%s %v; rerun with the same flags to resume, "+
				"or remove %[2]s to start afresh", ErrOptions, datasets.PartialDir(opts.Out),
				f.name, f.was, f.name, f.now)
		}
	}
	if st.MediumSteps < 0 || st.MediumSteps > opts.Steps/2 {
		return nil, fresh, fmt.Errorf("resuming %s: recorded medium_steps %d, want 0 to %d",
			datasets.PartialDir(opts.Out), st.MediumSteps, opts.Steps/2)
	}
	opts.Command = st.Command
	return p, st, nil
}

// newCollector starts a collector at the beginning of phases, or where
// state says a resumed collection stopped.
func newCollector(env envs.Env, w *datasets.Writer, opts Options, phases []phase,
	state resumeState) (*collector, error) {
	c := &collector{env: env, w: w, opts: opts, phases: phases,
		src: newPolicySource(opts.Seed), left: -1}
	if state.PolicyRNG != nil {
		if state.Phase < 0 || state.Phase >= len(phases) ||
			state.PhaseLeft < 0 || state.PhaseLeft > phases[state.Phase].steps {
			return nil, fmt.Errorf("resuming %s: recorded phase %d with %d steps left "+
				"does not fit the plan", opts.Out, state.Phase, state.PhaseLeft)
		}
		if err := c.src.UnmarshalBinary(state.PolicyRNG); err != nil {
			return nil, fmt.Errorf("resuming %s: policy_rng: %w", opts.Out, err)
		}
		c.episode, c.done, c.left = state.NextEpisode, state.Done, state.PhaseLeft
	}
	c.rng = rand.New(c.src)
	return c, nil
}

// mediumSteps is the length of the medium half of a medium-expert plan,
// 0 for other kinds.
func (c *collector) mediumSteps() int {
	if c.opts.Kind != "medium-expert" {
		return 0
	}
	return c.phases[0].steps
}

// endPart finishes the writer's current part and records the state to
// resume from, during phase i after an episode has ended.
func (c *collector) endPart(i int) error {
	rngState, err := c.src.MarshalBinary()
	if err != nil {
		return err
	}
	o := c.opts
	st, err := json.Marshal(resumeState{
		EnvID: o.EnvID, Kind: o.Kind, Steps: o.Steps, Seed: o.Seed, PartRows: o.PartRows,
		Command: o.Command, NextEpisode: c.episode, Phase: i, PhaseKind: c.phases[i].kind,
		PhaseLeft: c.left, Done: c.done, PolicyRNG: rngState, MediumSteps: c.mediumSteps(),
	})
	if err != nil {
		return err
	}
	return c.w.EndPart(st)
}
