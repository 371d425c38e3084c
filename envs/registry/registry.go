// Package registry builds environments by their Gymnasium IDs and knows
// each one's episode length, control period and dataset task name.
//
//	env, err := registry.Make("Pendulum-v1") // wrapped in a 200-step TimeLimit
//	spec, err := registry.Lookup("MountainCarContinuous-v0")
//
// The built-in table is fixed at compile time. Code that adds its own
// environments builds a [Registry] with [New] and owns it; nothing
// registers itself globally.
package registry

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"offrl/envs"
	"offrl/envs/maze2d"
	"offrl/envs/mountaincar"
	"offrl/envs/mujoco"
	"offrl/envs/pendulum"
)

// Spec describes a registered environment.
type Spec struct {
	// ID is the Gymnasium ID, for example "Pendulum-v1".
	ID string
	// Task is the stem of dataset names for this environment, for example
	// "pendulum" in "pendulum-medium-v0".
	Task string
	// MaxEpisodeSteps is the step number (1-based) at which [Make]'s time
	// limit truncates an episode.
	MaxEpisodeSteps int
	// DT is the simulated time of one step in seconds. Environments with
	// no physical time (MountainCarContinuous) use 1: one step is one time
	// unit.
	DT float64
	// FrameSkip is the number of simulator steps per environment step
	// (the MuJoCo tasks' frame_skip); 0 means 1.
	FrameSkip int
}

// Entry is a registered environment: its [Spec] and a constructor that
// returns a new, unwrapped instance on every call.
type Entry struct {
	Spec Spec
	New  func() (envs.Env, error)
}

// builtin is the table of the toolkit's environments. It is written once
// here (the D4RL mazes come from envs/maze2d's own list) and never changed.
var builtin = withMazes(map[string]Entry{
	"Pendulum-v1": {
		Spec: Spec{ID: "Pendulum-v1", Task: "pendulum", MaxEpisodeSteps: 200, DT: pendulum.DTSeconds},
		New:  func() (envs.Env, error) { return pendulum.New(), nil },
	},
	"MountainCarContinuous-v0": {
		// The car's dynamics are defined per step, with no time unit.
		Spec: Spec{ID: "MountainCarContinuous-v0", Task: "mountaincar", MaxEpisodeSteps: 999, DT: 1},
		New:  func() (envs.Env, error) { return mountaincar.New(), nil },
	},
	// Gymnasium's MuJoCo v4 tasks; episode lengths from the registrations in
	// gymnasium/envs/__init__.py, DT = timestep × frame skip.
	"HalfCheetah-v4": {
		Spec: Spec{ID: "HalfCheetah-v4", Task: "halfcheetah",
			MaxEpisodeSteps: mujoco.HalfCheetahMaxEpisodeSteps, DT: mujoco.HalfCheetahDT,
			FrameSkip: mujoco.HalfCheetahFrameSkip},
		New: func() (envs.Env, error) { return orNil(mujoco.NewHalfCheetah()) },
	},
	"Hopper-v4": {
		Spec: Spec{ID: "Hopper-v4", Task: "hopper",
			MaxEpisodeSteps: mujoco.HopperMaxEpisodeSteps, DT: mujoco.HopperDT,
			FrameSkip: mujoco.HopperFrameSkip},
		New: func() (envs.Env, error) { return orNil(mujoco.NewHopper()) },
	},
	"Walker2d-v4": {
		Spec: Spec{ID: "Walker2d-v4", Task: "walker2d",
			MaxEpisodeSteps: mujoco.Walker2dMaxEpisodeSteps, DT: mujoco.Walker2dDT,
			FrameSkip: mujoco.Walker2dFrameSkip},
		New: func() (envs.Env, error) { return orNil(mujoco.NewWalker2d()) },
	},
	"InvertedPendulum-v4": {
		Spec: Spec{ID: "InvertedPendulum-v4", Task: "invertedpendulum",
			MaxEpisodeSteps: mujoco.InvertedPendulumMaxEpisodeSteps,
			DT:              mujoco.InvertedPendulumDT,
			FrameSkip:       mujoco.InvertedPendulumFrameSkip},
		New: func() (envs.Env, error) { return orNil(mujoco.NewInvertedPendulum()) },
	},
	"InvertedDoublePendulum-v4": {
		Spec: Spec{ID: "InvertedDoublePendulum-v4", Task: "inverteddoublependulum",
			MaxEpisodeSteps: mujoco.InvertedDoublePendulumMaxEpisodeSteps,
			DT:              mujoco.InvertedDoublePendulumDT,
			FrameSkip:       mujoco.InvertedDoublePendulumFrameSkip},
		New: func() (envs.Env, error) { return orNil(mujoco.NewInvertedDoublePendulum()) },
	},
	"Reacher-v4": {
		Spec: Spec{ID: "Reacher-v4", Task: "reacher",
			MaxEpisodeSteps: mujoco.ReacherMaxEpisodeSteps, DT: mujoco.ReacherDT,
			FrameSkip: mujoco.ReacherFrameSkip},
		New: func() (envs.Env, error) { return orNil(mujoco.NewReacher()) },
	},
	"Swimmer-v4": {
		Spec: Spec{ID: "Swimmer-v4", Task: "swimmer",
			MaxEpisodeSteps: mujoco.SwimmerMaxEpisodeSteps, DT: mujoco.SwimmerDT,
			FrameSkip: mujoco.SwimmerFrameSkip},
		New: func() (envs.Env, error) { return orNil(mujoco.NewSwimmer()) },
	},
})

// withMazes adds the D4RL point-mass mazes (envs/maze2d) to m.
func withMazes(m map[string]Entry) map[string]Entry {
	for _, t := range maze2d.Tasks() {
		m[t.ID] = Entry{Spec: Spec{ID: t.ID, Task: t.Task, MaxEpisodeSteps: t.MaxEpisodeSteps,
			DT: t.DT}, New: t.New}
	}
	return m
}

// orNil returns env as an [envs.Env], or a nil interface (not a typed nil
// pointer) with err when the constructor failed.
func orNil[E envs.Env](env E, err error) (envs.Env, error) {
	if err != nil {
		return nil, err
	}
	return env, nil
}

// Registry is a set of environments addressed by ID. Its zero value is an
// empty registry ready to use. A Registry is not safe for concurrent
// modification; concurrent Lookup and Make calls are safe once no Register
// call runs.
type Registry struct {
	entries map[string]Entry
}

// New returns a registry holding the built-in environments, to which the
// caller may add its own with [Registry.Register].
func New() *Registry {
	return &Registry{entries: maps.Clone(builtin)}
}

// Register adds e. An empty ID, a nil constructor, a MaxEpisodeSteps < 1,
// a DT ≤ 0 or an ID already registered is an error naming the field and
// value.
func (r *Registry) Register(e Entry) error {
	s := e.Spec
	switch {
	case s.ID == "":
		return errors.New("registry: spec ID is empty")
	case e.New == nil:
		return fmt.Errorf("registry: %s: constructor is nil", s.ID)
	case s.MaxEpisodeSteps < 1:
		return fmt.Errorf("registry: %s: MaxEpisodeSteps = %d, must be ≥ 1",
			s.ID, s.MaxEpisodeSteps)
	case !(s.DT > 0):
		return fmt.Errorf("registry: %s: DT = %v, must be > 0", s.ID, s.DT)
	}
	if _, dup := r.entries[s.ID]; dup {
		return fmt.Errorf("registry: ID %q is already registered", s.ID)
	}
	if r.entries == nil {
		r.entries = make(map[string]Entry)
	}
	r.entries[s.ID] = e
	return nil
}

// Lookup returns the spec registered under id, or an error wrapping
// [envs.ErrUnknownEnv] that lists the known IDs.
func (r *Registry) Lookup(id string) (Spec, error) {
	e, err := lookup(r.entries, id)
	return e.Spec, err
}

// IDs returns the registered IDs in sorted order, in a new slice.
func (r *Registry) IDs() []string { return sortedIDs(r.entries) }

// Make builds the environment registered under id, wrapped in an
// [envs.TimeLimit] of its MaxEpisodeSteps unless an option changes it. An
// unknown id is an error wrapping [envs.ErrUnknownEnv]; an invalid option
// is an error naming its value.
func (r *Registry) Make(id string, opts ...Option) (envs.Env, error) {
	return makeEnv(r.entries, id, opts)
}

// Lookup returns the spec of the built-in environment id, or an error
// wrapping [envs.ErrUnknownEnv] that lists the known IDs.
func Lookup(id string) (Spec, error) {
	e, err := lookup(builtin, id)
	return e.Spec, err
}

// IDs returns the built-in IDs in sorted order, in a new slice.
func IDs() []string { return sortedIDs(builtin) }

// Make builds the built-in environment id, wrapped in an [envs.TimeLimit]
// of its MaxEpisodeSteps unless an option changes it. An unknown id is an
// error wrapping [envs.ErrUnknownEnv]; an invalid option is an error naming
// its value.
func Make(id string, opts ...Option) (envs.Env, error) {
	return makeEnv(builtin, id, opts)
}

// Option changes how Make builds an environment.
type Option func(*makeOptions) error

// makeOptions are the settings that options change.
type makeOptions struct {
	maxEpisodeSteps int // 0 keeps the spec's value
}

// WithMaxEpisodeSteps replaces the registered episode length by n steps.
// n ≤ 0 makes Make fail with an error naming the value.
func WithMaxEpisodeSteps(n int) Option {
	return func(o *makeOptions) error {
		if n <= 0 {
			return fmt.Errorf("max episode steps = %d, must be ≥ 1", n)
		}
		o.maxEpisodeSteps = n
		return nil
	}
}

// lookup returns the entry for id in entries.
func lookup(entries map[string]Entry, id string) (Entry, error) {
	e, ok := entries[id]
	if !ok {
		return Entry{}, fmt.Errorf("registry: ID %q, want one of %s: %w",
			id, strings.Join(sortedIDs(entries), ", "), envs.ErrUnknownEnv)
	}
	return e, nil
}

// sortedIDs returns the keys of entries in sorted order.
func sortedIDs(entries map[string]Entry) []string {
	return slices.Sorted(maps.Keys(entries))
}

// makeEnv builds and wraps the environment id of entries.
func makeEnv(entries map[string]Entry, id string, opts []Option) (envs.Env, error) {
	e, err := lookup(entries, id)
	if err != nil {
		return nil, err
	}
	var o makeOptions
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("registry: making %s: %w", id, err)
		}
	}
	maxSteps := e.Spec.MaxEpisodeSteps
	if o.maxEpisodeSteps > 0 {
		maxSteps = o.maxEpisodeSteps
	}
	env, err := e.New()
	if err != nil {
		return nil, fmt.Errorf("registry: making %s: %w", id, err)
	}
	if env == nil {
		return nil, fmt.Errorf("registry: making %s: constructor returned a nil Env", id)
	}
	return envs.NewTimeLimit(env, maxSteps), nil
}
