// Package envs defines the environment contract shared by every simulator in
// the toolkit: Gymnasium-style Reset and Step with separate terminated and
// truncated flags, box spaces, and the optional capabilities (state setting,
// rebuilding a state from an observation, rendering) that some consumers
// need.
//
// Task packages (envs/pendulum, envs/mountaincar, ...) implement [Env];
// envs/registry builds them by their Gymnasium IDs:
//
//	env, err := registry.Make("Pendulum-v1")
//	obs, _, err := env.Reset(0)
package envs

import (
	"errors"
	"image"
)

// Info carries the per-step diagnostics of an environment, keyed by
// snake_case names (for example "reward_ctrl"). Values are float64 so that
// an Info can be logged or written to a CSV without reflection.
type Info map[string]float64

// StepResult is what one call to [Env.Step] returns. Obs is a fresh slice
// owned by the caller.
type StepResult struct {
	Obs        []float64
	Reward     float64
	Terminated bool // the MDP reached an absorbing state; do not bootstrap
	Truncated  bool // the episode was cut (time limit); bootstrap from Obs
	Info       Info
}

// Env is a simulator with Gymnasium semantics.
//
// Reset starts a new episode whose initial state is drawn from a generator
// seeded with seed only, so equal seeds give equal episodes on any instance.
// Step advances one control step. An action of the wrong length or with a
// NaN or infinite component is an error wrapping [ErrInvalidAction], and
// the environment's state is left unchanged. Calling Step before Reset is
// an error wrapping [ErrNeedsReset]. Observations are float64 at the API;
// datasets and networks convert them to float32 at one documented place.
type Env interface {
	Reset(seed uint64) (obs []float64, info Info, err error)
	Step(action []float64) (StepResult, error)
	ObservationSpace() Box
	ActionSpace() Box
	Close() error
}

// StateSetter is implemented by environments whose full simulator state can
// be read and written, for tests, viewers and resets to chosen states.
// SetState returns an error naming the field if state has the wrong length
// or a non-finite value.
type StateSetter interface {
	State() []float64
	SetState(state []float64) error
}

// StateLayout is implemented by environments whose [StateSetter] state
// is a physics simulator's generalized coordinates followed by their
// velocities: State() returns qpos ++ qvel, nq values then nv, and
// SetState accepts the same. Datasets store the two parts as the optional
// qpos and qvel columns (the pre-step state of every transition, as
// D4RL's infos/qpos and infos/qvel), so that any transition can be
// restored exactly rather than rebuilt from a float32 observation.
//
// StateDims returns nq and nv; nq = nv = 0 means the environment has no
// such layout (a [TimeLimit] around one that lacks it says so). Use
// [StateDimsOf] rather than a type assertion.
//
// The MuJoCo-like tasks (qpos, qvel of their model) and the point mazes
// (qpos = (x, y), qvel = (vx, vy)) implement it. The classic-control
// tasks (Pendulum, MountainCarContinuous) deliberately do not: D4RL
// records no qpos/qvel for them, their state is two numbers that the
// observation already carries, and giving them state columns would
// change the bytes of every classic dataset already collected.
type StateLayout interface {
	StateDims() (nq, nv int)
}

// StateDimsOf returns env's state layout and true when env implements
// [StateLayout] and [StateSetter] with nq ≥ 1 and nv ≥ 1; otherwise 0, 0,
// false.
func StateDimsOf(env Env) (nq, nv int, ok bool) {
	l, ok1 := env.(StateLayout)
	_, ok2 := env.(StateSetter)
	if !ok1 || !ok2 {
		return 0, 0, false
	}
	nq, nv = l.StateDims()
	if nq < 1 || nv < 1 {
		return 0, 0, false
	}
	return nq, nv, true
}

// StateRebuilder is implemented by environments whose observation
// determines the simulator state, up to coordinates that neither the
// dynamics nor the reward depend on, so that an episode recorded as
// observations can be replayed from its first one.
//
// StateFromObservation returns, in a new slice, a state in the layout
// [StateSetter.State] returns and SetState accepts, from which the
// environment produces the observation obs. Coordinates that the
// observation omits get the values each implementation documents (a
// walker's position along the track is 0, for example); for the built-in
// tasks the dynamics and the reward are invariant under them, so only a
// rendered frame (whose camera follows the body) can tell. Where the
// observation is lossy, such as a velocity clipped to a bound, the method
// documents which components cannot be recovered.
//
// A wrong length or a non-finite component is an error naming the
// environment and the length or the index; implementations may also
// reject, naming them, components no state can produce (a (cos, sin) pair
// off the unit circle).
// StateFromObservation neither modifies obs nor depends on or changes the
// environment's own state, so it may be called before Reset.
type StateRebuilder interface {
	StateFromObservation(obs []float64) ([]float64, error)
}

// Renderer is implemented by environments that can draw their current state
// as an RGB frame of the given size in pixels.
type Renderer interface {
	Render(width, height int) (image.Image, error)
}

// Sentinel errors that callers branch on with [errors.Is].
var (
	ErrInvalidAction = errors.New("envs: invalid action")
	ErrNeedsReset    = errors.New("envs: step before reset")
	ErrUnknownEnv    = errors.New("envs: unknown environment ID")
)
