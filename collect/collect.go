// Package collect rolls behaviour policies through an environment and
// writes what they did as a D4RL-style dataset.
//
//	sum, err := collect.Run(ctx, collect.Options{EnvID: "Pendulum-v1", Kind: "medium",
//		Steps: 100_000, Seed: 0, Out: "pendulum-medium-v0"})
//
// Observations and actions are float64 at the environment's API and are
// converted to float32 here, at the one point where rows are written.
// Environments with an envs.StateLayout (the MuJoCo-like tasks and the
// mazes) also get their simulator state before each step, float64 and
// unrounded, in the qpos and qvel columns, so that any transition can be
// restored exactly; classic control has no such columns.
//
// A collection can be split into shards that separate processes collect
// (Options.Shard of Options.Shards, each with its own derived seed) and
// [RunShards] joins into one dataset, byte-identical to one process
// collecting every shard; shard.go describes the seeds and the layout.
package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"offrl/datasets"
	"offrl/envs"
	"offrl/envs/registry"
	"offrl/internal/version"
	"offrl/policies"
)

// DatasetVersion returns N in the names <task>-<kind>-v<N> of the
// datasets this code collects for envID; it is raised whenever the data a
// command produces changes. History: v0 everywhere; v1 for the tasks with
// a simulator state layout (the MuJoCo-like tasks and the mazes), whose
// datasets gained the qpos and qvel columns. An unknown envID gives 0.
func DatasetVersion(envID string) int {
	env, err := registry.Make(envID)
	if err != nil {
		return 0
	}
	defer env.Close()
	if _, _, ok := envs.StateDimsOf(env); ok {
		return 1
	}
	return 0
}

// DefaultSteps is the size of a dataset collected without a size given,
// the same for every command, so that a dataset's name stands for one
// size: D4RL's for the tasks whose datasets follow D4RL's (1,000,000
// transitions, 2,000,000 for medium-expert, the two concatenated; specs),
// and 100,000 for the classic-control tasks (D4RL has none; they train in
// minutes). The replay kinds have no default here: their size is the
// training run's step of the policy they end at.
func DefaultSteps(envID, kind string) int {
	if DatasetVersion(envID) == 0 {
		return 100_000
	}
	if kind == "medium-expert" {
		return 2_000_000
	}
	return 1_000_000
}

// DefaultPartRows is the default [Options.PartRows]: about the size of a
// D4RL file.
const DefaultPartRows = 1_000_000

// Kinds lists the dataset kinds Run can collect.
var Kinds = []string{"random", "medium", "expert", "medium-expert"}

// Options says what to collect.
type Options struct {
	EnvID string // a registry ID, e.g. "Pendulum-v1"
	Kind  string // one of Kinds
	Steps int    // transitions to write, exactly
	Seed  uint64 // base seed; episode e resets with EpisodeSeed(Seed, e)
	Out   string // a directory, or a path ending in .parquet for one file
	// Overwrite replaces an existing dataset at Out.
	Overwrite bool
	// PartRows is the size budget of a part of a directory dataset: once a
	// part holds at least PartRows transitions, the next episode starts a
	// new part, so a part may exceed it by less than one episode. 0 means
	// [DefaultPartRows]. A single .parquet file is always one part.
	PartRows int
	// Workers is how many shards RunShards collects at once; 0 means one
	// per CPU. The result does not depend on it.
	Workers int
	// Command is recorded in the metadata (the command line, for people).
	Command string
	Logger  *slog.Logger
	// OnProgress is called as transitions are written.
	OnProgress func(done, total int)

	// Shards > 0 splits the collection into Shards shards, and Run then
	// collects only shard number Shard (0 ≤ Shard < Shards) into
	// [ShardDir](Out, Shard, Shards); [RunShards] collects the others and
	// joins them into Out. See shard.go for the seeds and the layout.
	Shard, Shards int

	// shard, set by runShard, marks the collection of one shard: its
	// metadata records where it belongs.
	shard *shardInfo
}

// Summary describes a collected dataset.
type Summary struct {
	Path      string
	DatasetID string
	Episodes  int64
	// CompleteEpisodes excludes a last episode cut by the budget; the
	// return statistics cover only complete episodes.
	CompleteEpisodes int64
	Transitions      int64
	ReturnMean       float64
	NormalizedScore  float64
	Bytes            int64
	// Existing is set when Run found the shard it was asked for already
	// collected by an earlier run with the same options, checked it and
	// collected nothing.
	Existing bool
}

// DatasetID returns the name of the dataset Run collects for an
// environment and kind, e.g. "pendulum-medium-v0".
func DatasetID(envID, kind string) (string, error) {
	spec, err := registry.Lookup(envID)
	if err != nil {
		return "", err
	}
	return datasets.FormatID(spec.Task, kind, DatasetVersion(envID)), nil
}

// EpisodeSeed is the reset seed of episode e of a collection with base
// seed s: a SplitMix64 mix of the two, so that collections with nearby
// seeds, and evaluations (which use seed+100+i), never share initial
// states by construction.
func EpisodeSeed(s uint64, e int) uint64 {
	return splitmix64(s + 0x9e3779b97f4a7c15*uint64(e+1))
}

// splitmix64 is the output function of SplitMix64 (Steele, Lea and Flood
// 2014): a bijection of 64-bit words that scatters nearby inputs.
func splitmix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Run collects opts.Steps transitions and writes them to opts.Out. For
// medium-expert the medium policy's complete episodes that fit in the
// first Steps/2 transitions come first, then the expert's up to Steps, as
// D4RL's stitched datasets are laid out. The last episode cut by the
// budget ends with timeouts=true.
//
// A directory output is resumable: the parts are written into
// [datasets.PartialDir](opts.Out), and after each finished part Run
// records its progress there (see [datasets.Progress]; its state is this
// package's resumeState). When ctx ends or the process dies, the finished
// parts stay; calling Run again with the same options continues from the
// last finished part and gives files byte-identical to an uninterrupted
// run. Options that change the data (env, kind, steps, seed, part rows)
// must equal the recorded ones, or Run returns an [ErrOptions] error
// naming the first that differs; the resumed dataset keeps the recorded
// Command. A single .parquet file is not resumable: an interrupted one is
// removed, and running again starts from the beginning.
//
// For a maze2d task and kind expert, Run writes D4RL's maze layout
// instead of episodes: one long run of the waypoint controller whose
// timeouts mark goal switches (timeouts_meaning "goal_switch"); see
// longRun. It is resumable too, by replaying the run up to the last
// finished part. Random maze data stays episodic.
//
// With opts.Shards > 0, Run collects one shard of a sharded collection
// instead (see shard.go and [RunShards]); a shard already collected with
// the same options is checked and left as it is.
//
// Limitation: two collections into the same Out at once share one
// partial directory and spoil each other's parts; nothing locks it, so
// run one collection per output path at a time.
func Run(ctx context.Context, opts Options) (Summary, error) {
	if opts.Shards > 0 && opts.shard == nil {
		return runShard(ctx, opts)
	}
	if err := opts.validate(); err != nil {
		return Summary{}, err
	}
	if opts.PartRows == 0 {
		opts.PartRows = DefaultPartRows
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	progress, state, err := findProgress(&opts)
	if err != nil {
		return Summary{}, err
	}
	spec, _ := registry.Lookup(opts.EnvID)
	env, err := registry.Make(opts.EnvID)
	if err != nil {
		return Summary{}, err
	}
	defer env.Close()
	ref, err := policies.ReferenceFor(opts.EnvID)
	if err != nil {
		return Summary{}, err
	}

	phases, err := plan(ctx, opts, state.MediumSteps)
	if err != nil {
		return Summary{}, err
	}
	meta, err := metadata(opts, spec, env, ref, phases)
	if err != nil {
		return Summary{}, err
	}
	if err := os.MkdirAll(filepath.Dir(opts.Out), 0o755); err != nil {
		return Summary{}, fmt.Errorf("creating the folder of %s: %w", opts.Out, err)
	}
	w, err := datasets.NewWriter(opts.Out, meta, datasets.WriterOptions{
		Overwrite: opts.Overwrite, Reproducible: true, PartRows: opts.PartRows,
		Resumable: true, Resume: progress})
	if err != nil {
		return Summary{}, err
	}
	c, err := newCollector(env, w, opts, phases, state)
	if err != nil {
		return Summary{}, errorsJoin(err, w.Abort())
	}
	if progress != nil {
		log.Info("resuming collection", "path", opts.Out, "parts_done", progress.PartsDone(),
			"done", c.done, "total", opts.Steps)
		if opts.OnProgress != nil {
			opts.OnProgress(c.done, opts.Steps)
		}
	}
	if task, ok := longRunTask(opts.EnvID, opts.Kind); ok {
		var resume *resumeState
		if progress != nil {
			resume = &state
		}
		if err := c.longRun(ctx, task, spec.MaxEpisodeSteps, resume); err != nil {
			return Summary{}, errorsJoin(err, w.Abort())
		}
	}
	for i := state.Phase; i < len(phases) && !c.longRunning; i++ {
		if err := c.roll(ctx, i); err != nil {
			return Summary{}, errorsJoin(err, w.Abort())
		}
	}
	if err := w.Close(); err != nil {
		return Summary{}, err
	}
	return summarise(opts.Out, log)
}

// phase is a stretch of the collection done by one behaviour policy.
type phase struct {
	kind   string
	policy policies.Policy
	steps  int
}

// plan lays out the phases of a collection. For medium-expert, a resumed
// collection passes the recorded length of the medium half as medium;
// otherwise (medium = 0) a dry run finds it.
func plan(ctx context.Context, opts Options, medium int) ([]phase, error) {
	if opts.Kind != "medium-expert" {
		p, err := policies.ForKind(opts.EnvID, opts.Kind)
		if err != nil {
			return nil, err
		}
		return []phase{{kind: opts.Kind, policy: p, steps: opts.Steps}}, nil
	}
	// D4RL stitches the medium data cut at its last complete episode to
	// the expert data; here the medium half keeps the complete episodes
	// that fit in Steps/2 and the expert fills the rest, so no medium
	// episode is cut and counted as if it had ended.
	mediumPolicy, err := policies.ForKind(opts.EnvID, "medium")
	if err != nil {
		return nil, err
	}
	expert, err := policies.ForKind(opts.EnvID, "expert")
	if err != nil {
		return nil, err
	}
	n := medium
	if n == 0 {
		if n, err = completeRows(ctx, opts, mediumPolicy, opts.Steps/2); err != nil {
			return nil, err
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: steps = %d is too few for medium-expert: no complete medium "+
			"episode fits in the first half", ErrOptions, opts.Steps)
	}
	return []phase{{kind: "medium", policy: mediumPolicy, steps: n},
		{kind: "expert", policy: expert, steps: opts.Steps - n}}, nil
}

// ErrOptions marks a collection request that cannot be carried out as
// asked: an unknown environment or kind, or a step budget that is too small.
var ErrOptions = errors.New("invalid collection options")

func (o Options) validate() error {
	if err := o.check(); err != nil {
		return fmt.Errorf("%w: %w", ErrOptions, err)
	}
	return nil
}

func (o Options) check() error {
	if _, err := registry.Lookup(o.EnvID); err != nil {
		return err
	}
	known := false
	for _, k := range Kinds {
		known = known || k == o.Kind
	}
	switch {
	case !known:
		return fmt.Errorf("kind %q is not one of %s", o.Kind, strings.Join(Kinds, ", "))
	case o.Steps < 1:
		return fmt.Errorf("steps = %d, must be ≥ 1", o.Steps)
	case o.Kind == "medium-expert" && o.Steps < 2:
		return fmt.Errorf("steps = %d, medium-expert needs at least 2", o.Steps)
	case o.Out == "":
		return fmt.Errorf("no output path")
	}
	return nil
}

// collector writes transitions from consecutive episodes.
type collector struct {
	env     envs.Env
	w       *datasets.Writer
	opts    Options
	phases  []phase
	src     *rand.PCG // the source behind rng, saved with each part
	rng     *rand.Rand
	episode int
	done    int
	left    int // transitions the current phase still has to write
	// longRunning is set when the collection was written as one maze run
	// (see longRun) rather than by phases of episodes.
	longRunning bool
}

// roll plays what is left of phase i, starting a new episode at the
// beginning of the phase (or where a resumed run stopped), and writes it.
// Whenever an episode ends with the part full, it ends the part and
// records where to resume.
func (c *collector) roll(ctx context.Context, i int) error {
	ph := c.phases[i]
	if c.left < 0 {
		c.left = ph.steps
	}
	emit := func(t datasets.Transition) error {
		if err := c.w.Append(t); err != nil {
			return err
		}
		c.done++
		if c.opts.OnProgress != nil && (c.done%1000 == 0 || c.done == c.opts.Steps) {
			c.opts.OnProgress(c.done, c.opts.Steps)
		}
		return nil
	}
	ended := func(left int) error {
		c.left = left
		if c.done == c.opts.Steps || !c.w.PartFull() {
			return nil // the last part is finished by Close
		}
		return c.endPart(i)
	}
	_, err := c.play(ctx, ph.policy, c.left, emit, ended)
	c.left = -1 // the next phase starts in full
	return err
}

// play runs episodes of ph.policy for ph.steps transitions, handing each
// to emit, and returns how many of them belong to episodes that ended on
// their own (terminated or hit the time limit) rather than by the budget.
// The last episode cut by the budget ends with a timeout: it was
// truncated, so learners bootstrap from its real next observation.
//
// It plays budget transitions; ended, if not nil, is called after each
// episode with the transitions still to play.
func (c *collector) play(ctx context.Context, policy policies.Policy, budget int,
	emit func(datasets.Transition) error, ended func(left int) error) (int, error) {
	act := make([]float64, c.env.ActionSpace().Dim())
	left, complete := budget, 0
	for left > 0 {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		obs, _, err := c.env.Reset(EpisodeSeed(c.opts.Seed, c.episode))
		if err != nil {
			return 0, fmt.Errorf("resetting episode %d: %w", c.episode, err)
		}
		for step := 0; left > 0; step++ {
			policy.Act(obs, c.rng, act)
			qpos, qvel := preStepState(c.env)
			exactActions(qpos, act)
			st, err := c.env.Step(act)
			if err != nil {
				return 0, fmt.Errorf("episode %d step %d: %w", c.episode, step, err)
			}
			left--
			timeout := st.Truncated || (left == 0 && !st.Terminated)
			if err := emit(datasets.Transition{
				EpisodeID: int32(c.episode), Step: int32(step),
				Obs: to32(obs), Action: to32(act), NextObs: to32(st.Obs),
				Reward: float32(st.Reward), Terminal: st.Terminated, Timeout: timeout,
				Qpos: qpos, Qvel: qvel,
			}); err != nil {
				return 0, err
			}
			if st.Terminated || st.Truncated {
				complete = budget - left
			}
			if st.Terminated || timeout {
				break
			}
			obs = st.Obs
		}
		c.episode++
		if ended != nil {
			if err := ended(left); err != nil {
				return 0, err
			}
		}
	}
	return complete, nil
}

// completeRows is how many of the first budget transitions of policy,
// played from the start of a collection, belong to complete episodes. A
// dry run finds it: collection is deterministic, so the real run repeats
// those episodes exactly.
func completeRows(ctx context.Context, opts Options, policy policies.Policy,
	budget int) (int, error) {
	env, err := registry.Make(opts.EnvID)
	if err != nil {
		return 0, err
	}
	defer env.Close()
	dry := &collector{env: env, opts: opts, rng: rand.New(newPolicySource(opts.Seed))}
	return dry.play(ctx, policy, budget, func(datasets.Transition) error { return nil }, nil)
}

// newPolicySource is the source of the generator of a collection's
// behaviour policies.
func newPolicySource(seed uint64) *rand.PCG { return rand.NewPCG(seed, 0x706f6c) }

// exactActions rounds act to float32 in place when the row stores a state
// (qpos not nil): the actions column is float32, so stepping with the
// rounded action makes stored state plus stored action reproduce the
// stored next observation exactly, and replays do not drift.
func exactActions(qpos, act []float64) {
	if qpos == nil {
		return
	}
	for i, a := range act {
		act[i] = float64(float32(a))
	}
}

// preStepState returns the simulator state of env split into qpos and
// qvel when env has an [envs.StateLayout], for the state columns of the
// row about to be stepped; nil, nil otherwise (classic control, whose
// datasets have no state columns).
func preStepState(env envs.Env) (qpos, qvel []float64) {
	nq, _, ok := envs.StateDimsOf(env)
	if !ok {
		return nil, nil
	}
	s := env.(envs.StateSetter).State()
	return s[:nq:nq], s[nq:]
}

func to32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

func metadata(opts Options, spec registry.Spec, env envs.Env, ref policies.Reference,
	phases []phase) (datasets.Metadata, error) {
	id, err := DatasetID(opts.EnvID, opts.Kind)
	if err != nil {
		return datasets.Metadata{}, err
	}
	created, err := createdAt()
	if err != nil {
		return datasets.Metadata{}, err
	}
	_, longRun := longRunTask(opts.EnvID, opts.Kind)
	var behaviour []map[string]any
	for _, ph := range phases {
		b := map[string]any{
			"kind": ph.kind, "policy": policies.Describe(ph.policy),
			"steps": ph.steps, "stochastic": true}
		if longRun {
			// Metadata has no key for these, so the behaviour entry says
			// how the maze run was laid out (see longRun).
			b["layout"] = "one run, never reset; timeouts mark goal switches"
			b["goal_switch"] = "target reached (controller solved) or max_episode_steps rows"
			b["target_rule"] = "uniform empty-or-goal cell + uniform(-0.1, 0.1) per axis"
			b["reward_state"] = "post_step"
		}
		behaviour = append(behaviour, b)
	}
	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	seed := map[string]any{"base": opts.Seed,
		"episode_rule": "splitmix64(base + 0x9e3779b97f4a7c15*(e+1))"}
	meaning := datasets.TimeoutsTimeLimit
	truncated := false
	if longRun {
		seed = map[string]any{"base": opts.Seed,
			"reset_rule":  "one reset with splitmix64(base + 0x9e3779b97f4a7c15)",
			"target_rule": "PCG(base, 0x676f616c)"}
		meaning, truncated = datasets.TimeoutsGoalSwitch, true
	}
	if opts.shard != nil {
		seed["shard"] = *opts.shard
	}
	as := env.ActionSpace()
	nq, nv, _ := envs.StateDimsOf(env) // 0, 0: no state columns
	return datasets.Metadata{
		NQ: nq, NV: nv,
		DatasetID: id, EnvID: opts.EnvID, DatasetKind: opts.Kind,
		EnvVersion:      raw(map[string]string{"gym_semantics": spec.ID, "engine": version.Toolkit}),
		BehaviourPolicy: raw(behaviour),
		Seed:            raw(seed),
		TailTruncated:   truncated,
		Command:         opts.Command,
		ObsDim:          env.ObservationSpace().Dim(), ActDim: as.Dim(),
		ActionLow: as.Low, ActionHigh: as.High,
		RefMinScore: ref.RandomReturn, RefMaxScore: ref.ExpertReturn, RefSource: ref.Source,
		MaxEpisodeSteps: spec.MaxEpisodeSteps, Dt: spec.DT, FrameSkip: max(spec.FrameSkip, 1),
		TimeoutsMeaning: meaning,
		CreatedBy:       version.Toolkit,
		CreatedAt:       created,
	}, nil
}

// createdAt is the creation time recorded in a dataset: empty by default,
// so that the same command gives the same bytes, or the time given by
// SOURCE_DATE_EPOCH (seconds since 1970, the reproducible-builds
// convention) when that variable is set.
func createdAt() (string, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return "", nil
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil || sec < 0 {
		return "", fmt.Errorf("SOURCE_DATE_EPOCH = %q, want seconds since 1970", s)
	}
	return time.Unix(sec, 0).UTC().Format(time.RFC3339), nil
}

func summarise(path string, log *slog.Logger) (Summary, error) {
	m, err := datasets.ReadMetadata(path)
	if err != nil {
		return Summary{}, err
	}
	complete := m.NumEpisodes
	if m.TailTruncated || m.TailOpen {
		complete--
	}
	// A joined dataset's sources may each end in an episode cut by their
	// budget (tail_cut): those are not complete either.
	for k, src := range m.Sources {
		if src.TailCut && k < len(m.Sources)-1 {
			complete--
		}
	}
	s := Summary{Path: path, DatasetID: m.DatasetID, Episodes: m.NumEpisodes,
		CompleteEpisodes: complete, Transitions: m.NumTransitions,
		ReturnMean: m.ReturnMean, NormalizedScore: m.NormalizedScore, Bytes: diskSize(path)}
	log.Info("dataset written", "path", path, "episodes", s.Episodes, "transitions", s.Transitions,
		"return_mean", s.ReturnMean, "normalized_score", s.NormalizedScore, "bytes", s.Bytes)
	return s, nil
}

// diskSize is the size of a file, or the total size of a directory's files.
func diskSize(path string) int64 {
	var n int64
	filepath.Walk(path, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}

func errorsJoin(a, b error) error {
	if b == nil {
		return a
	}
	return fmt.Errorf("%w (and cleaning up: %v)", a, b)
}
