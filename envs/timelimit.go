package envs

import (
	"errors"
	"fmt"
	"image"
)

// TimeLimit wraps an [Env] and ends each episode after a fixed number of
// steps, as Gymnasium's TimeLimit wrapper does: it counts calls to Step
// since the last Reset and sets Truncated on step number maxEpisodeSteps
// (1-based), so that step is the last one. A step that both terminates and
// reaches the limit reports Terminated and Truncated together.
//
// Once an episode has ended (terminated or truncated), Step returns an error
// wrapping [ErrNeedsReset] until Reset is called. A Step that fails (for
// example on an invalid action) is not counted.
//
// TimeLimit implements [StateSetter], [StateLayout], [StateRebuilder] and [Renderer] by
// forwarding to the wrapped environment; when that environment lacks the
// capability, the methods report it (see their docs). A TimeLimit is not
// safe for concurrent use.
type TimeLimit struct {
	env             Env
	maxEpisodeSteps int
	elapsedSteps    int  // calls to Step since Reset that succeeded
	started         bool // Reset has succeeded at least once
	ended           bool // the current episode terminated or was truncated
}

// NewTimeLimit wraps env so that episodes last at most maxEpisodeSteps
// steps.
//
// NewTimeLimit panics if maxEpisodeSteps < 1 or env is nil: callers that
// take the limit from user input validate it first (the registry does).
func NewTimeLimit(env Env, maxEpisodeSteps int) *TimeLimit {
	if env == nil {
		panic("envs: NewTimeLimit with a nil Env")
	}
	if maxEpisodeSteps < 1 {
		panic(fmt.Sprintf("envs: NewTimeLimit with maxEpisodeSteps = %d, must be ≥ 1",
			maxEpisodeSteps))
	}
	return &TimeLimit{env: env, maxEpisodeSteps: maxEpisodeSteps}
}

// Reset resets the wrapped environment with seed and the step counter to 0.
func (t *TimeLimit) Reset(seed uint64) ([]float64, Info, error) {
	t.started, t.ended, t.elapsedSteps = false, false, 0
	obs, info, err := t.env.Reset(seed)
	if err != nil {
		return nil, nil, fmt.Errorf("resetting with seed %d: %w", seed, err)
	}
	t.started = true
	return obs, info, nil
}

// Step advances the wrapped environment by one step and sets Truncated when
// this is step number MaxEpisodeSteps of the episode. It returns an error
// wrapping [ErrNeedsReset] before the first Reset and after the episode
// has ended, and passes on errors of the wrapped environment unchanged in
// kind (for example [ErrInvalidAction]).
func (t *TimeLimit) Step(action []float64) (StepResult, error) {
	if !t.started {
		return StepResult{}, fmt.Errorf("time limit: %w", ErrNeedsReset)
	}
	if t.ended {
		return StepResult{}, fmt.Errorf("time limit: episode ended after %d steps: %w",
			t.elapsedSteps, ErrNeedsReset)
	}
	res, err := t.env.Step(action)
	if err != nil {
		return StepResult{}, err
	}
	t.elapsedSteps++
	if t.elapsedSteps >= t.maxEpisodeSteps {
		res.Truncated = true
	}
	t.ended = res.Terminated || res.Truncated
	return res, nil
}

// ObservationSpace returns the wrapped environment's observation space.
func (t *TimeLimit) ObservationSpace() Box { return t.env.ObservationSpace() }

// ActionSpace returns the wrapped environment's action space.
func (t *TimeLimit) ActionSpace() Box { return t.env.ActionSpace() }

// Close closes the wrapped environment.
func (t *TimeLimit) Close() error { return t.env.Close() }

// Unwrap returns the wrapped environment.
func (t *TimeLimit) Unwrap() Env { return t.env }

// ElapsedSteps returns the number of successful Step calls since the last
// Reset.
func (t *TimeLimit) ElapsedSteps() int { return t.elapsedSteps }

// MaxEpisodeSteps returns the step number at which episodes are truncated.
func (t *TimeLimit) MaxEpisodeSteps() int { return t.maxEpisodeSteps }

// State returns the wrapped environment's state, or nil if it does not
// implement [StateSetter].
func (t *TimeLimit) State() []float64 {
	s, ok := t.env.(StateSetter)
	if !ok {
		return nil
	}
	return s.State()
}

// StateDims returns the wrapped environment's state layout, or 0, 0 if it
// does not implement [StateLayout].
func (t *TimeLimit) StateDims() (nq, nv int) {
	l, ok := t.env.(StateLayout)
	if !ok {
		return 0, 0
	}
	return l.StateDims()
}

// SetState sets the wrapped environment's state. It neither starts an
// episode nor changes the step counter: call Reset first. If the wrapped
// environment does not implement [StateSetter], SetState returns an error wrapping [errors.ErrUnsupported].
func (t *TimeLimit) SetState(state []float64) error {
	s, ok := t.env.(StateSetter)
	if !ok {
		return fmt.Errorf("time limit: setting the state of %T: %w",
			t.env, errors.ErrUnsupported)
	}
	return s.SetState(state)
}

// StateFromObservation rebuilds a state of the wrapped environment from
// obs. If that environment does not implement [StateRebuilder], it returns
// an error wrapping [errors.ErrUnsupported].
func (t *TimeLimit) StateFromObservation(obs []float64) ([]float64, error) {
	r, ok := t.env.(StateRebuilder)
	if !ok {
		return nil, fmt.Errorf("time limit: rebuilding the state of %T from an observation: %w",
			t.env, errors.ErrUnsupported)
	}
	return r.StateFromObservation(obs)
}

// Render draws the wrapped environment. If it does not implement
// [Renderer], Render returns an error wrapping [errors.ErrUnsupported].
func (t *TimeLimit) Render(width, height int) (image.Image, error) {
	r, ok := t.env.(Renderer)
	if !ok {
		return nil, fmt.Errorf("time limit: rendering %T: %w",
			t.env, errors.ErrUnsupported)
	}
	return r.Render(width, height)
}
