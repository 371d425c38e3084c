// Package envtest checks that an environment honours the [envs.Env]
// contract. Every environment's tests call [Check]:
//
//	func TestContract(t *testing.T) {
//		envtest.Check(t, func() envs.Env { return pendulum.New() })
//	}
//
// Environments that implement [envs.StateRebuilder] also call
// [CheckStateFromObservation], which replays episodes from rebuilt states.
//
// The package imports testing and is meant for _test.go files only.
package envtest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"offrl/envs"
)

// Check runs the contract tests on environments built by newEnv, which
// must return a new, independent instance on every call. It verifies that:
//
//   - Step before the first Reset is an error wrapping [envs.ErrNeedsReset];
//   - the spaces have matching Low/High lengths, and every observation has
//     the declared dimension, is finite and lies in the observation space;
//     rewards of in-box actions are finite;
//   - Reset with the same seed gives a bit-identical first observation and
//     bit-identical 10-step trajectories, on the same instance after 500
//     other steps and on a fresh instance (hidden state is cleared);
//   - different seeds give different initial observations;
//   - wrong-length, NaN and ±Inf actions give errors wrapping
//     [envs.ErrInvalidAction] that name the length or value, and leave the
//     state unchanged;
//   - after a terminated or truncated step, Step needs a Reset;
//   - Close can be called twice, returning nil;
//   - where implemented, [envs.StateSetter] round-trips and rejects bad
//     states, and [envs.Renderer] draws a non-blank frame of the requested
//     size.
func Check(t *testing.T, newEnv func() envs.Env) {
	t.Helper()
	t.Run("StepBeforeReset", func(t *testing.T) { checkStepBeforeReset(t, newEnv) })
	t.Run("Spaces", func(t *testing.T) { checkSpaces(t, newEnv) })
	t.Run("SameSeedSameEpisode", func(t *testing.T) { checkSameSeed(t, newEnv) })
	t.Run("SeedsDiffer", func(t *testing.T) { checkSeedsDiffer(t, newEnv) })
	t.Run("InvalidActions", func(t *testing.T) { checkInvalidActions(t, newEnv) })
	t.Run("EpisodeEndNeedsReset", func(t *testing.T) { checkEpisodeEnd(t, newEnv) })
	t.Run("CloseIdempotent", func(t *testing.T) { checkClose(t, newEnv) })
	t.Run("StateSetter", func(t *testing.T) { checkStateSetter(t, newEnv) })
	t.Run("Render", func(t *testing.T) { checkRender(t, newEnv) })
}

// build returns a new environment and closes it when the test ends.
func build(t *testing.T, newEnv func() envs.Env) envs.Env {
	t.Helper()
	env := newEnv()
	if env == nil {
		t.Fatal("newEnv() = nil, want an environment")
	}
	t.Cleanup(func() {
		if err := env.Close(); err != nil {
			t.Errorf("Close() = %v, want nil", err)
		}
	})
	return env
}

// reset resets env with seed and fails the test on error.
func reset(t *testing.T, env envs.Env, seed uint64) []float64 {
	t.Helper()
	obs, _, err := env.Reset(seed)
	if err != nil {
		t.Fatalf("Reset(%d) = %v, want no error", seed, err)
	}
	checkObservation(t, env, obs, fmt.Sprintf("Reset(%d)", seed))
	return obs
}

// step steps env with a valid action and fails the test on error.
func step(t *testing.T, env envs.Env, action []float64) envs.StepResult {
	t.Helper()
	res, err := env.Step(action)
	if err != nil {
		t.Fatalf("Step(%v) = %v, want no error", action, err)
	}
	where := fmt.Sprintf("Step(%v)", action)
	checkObservation(t, env, res.Obs, where)
	if math.IsNaN(res.Reward) || math.IsInf(res.Reward, 0) {
		t.Errorf("%s reward = %v, want finite", where, res.Reward)
	}
	return res
}

// checkObservation reports an observation of the wrong length, with a
// non-finite value or outside the observation space.
func checkObservation(t *testing.T, env envs.Env, obs []float64, where string) {
	t.Helper()
	space := env.ObservationSpace()
	if len(obs) != space.Dim() {
		t.Fatalf("%s observation has length %d, want ObservationSpace().Dim() = %d",
			where, len(obs), space.Dim())
	}
	for i, v := range obs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("%s observation[%d] = %v, want finite", where, i, v)
		}
	}
	if !space.Contains(obs) {
		t.Errorf("%s observation %v outside the observation space [%v, %v]",
			where, obs, space.Low, space.High)
	}
}

// randomAction draws an action uniformly from the action box; unbounded
// components are drawn from a standard normal instead.
func randomAction(rng *rand.Rand, box envs.Box) []float64 {
	a := make([]float64, box.Dim())
	for i := range a {
		lo, hi := box.Low[i], box.High[i]
		if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
			a[i] = math.Min(math.Max(rng.NormFloat64(), lo), hi)
			continue
		}
		a[i] = lo + (hi-lo)*rng.Float64()
	}
	return a
}

func checkStepBeforeReset(t *testing.T, newEnv func() envs.Env) {
	env := build(t, newEnv)
	action := make([]float64, env.ActionSpace().Dim())
	if _, err := env.Step(action); !errors.Is(err, envs.ErrNeedsReset) {
		t.Errorf("Step before Reset = %v, want an error wrapping ErrNeedsReset", err)
	}
}

func checkSpaces(t *testing.T, newEnv func() envs.Env) {
	env := build(t, newEnv)
	for _, sp := range []struct {
		name string
		box  envs.Box
	}{{"ObservationSpace", env.ObservationSpace()}, {"ActionSpace", env.ActionSpace()}} {
		if len(sp.box.Low) != len(sp.box.High) || sp.box.Dim() == 0 {
			t.Errorf("%s has %d lows and %d highs, want equal, non-zero lengths",
				sp.name, len(sp.box.Low), len(sp.box.High))
			continue
		}
		for i := range sp.box.Low {
			if !(sp.box.Low[i] <= sp.box.High[i]) {
				t.Errorf("%s component %d: low %v > high %v",
					sp.name, i, sp.box.Low[i], sp.box.High[i])
			}
		}
	}
}

// trajectory is what a seeded reset followed by fixed actions produced.
type trajectory struct {
	first []float64
	steps []envs.StepResult
}

// rollout resets env with seed and applies actions until they run out or
// the episode ends.
func rollout(t *testing.T, env envs.Env, seed uint64, actions [][]float64) trajectory {
	t.Helper()
	tr := trajectory{first: reset(t, env, seed)}
	for _, a := range actions {
		res := step(t, env, a)
		tr.steps = append(tr.steps, res)
		if res.Terminated || res.Truncated {
			break
		}
	}
	return tr
}

// sameBits reports whether a and b have equal lengths and bit-identical
// elements.
func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// sameResult reports whether two step results are bit-identical.
func sameResult(a, b envs.StepResult) bool {
	if !sameBits(a.Obs, b.Obs) || math.Float64bits(a.Reward) != math.Float64bits(b.Reward) ||
		a.Terminated != b.Terminated || a.Truncated != b.Truncated || len(a.Info) != len(b.Info) {
		return false
	}
	for k, v := range a.Info {
		w, ok := b.Info[k]
		if !ok || math.Float64bits(v) != math.Float64bits(w) {
			return false
		}
	}
	return true
}

// compareTrajectories reports where got differs from want.
func compareTrajectories(t *testing.T, what string, got, want trajectory) {
	t.Helper()
	if !sameBits(got.first, want.first) {
		t.Errorf("%s: reset observation %v, want %v", what, got.first, want.first)
	}
	if len(got.steps) != len(want.steps) {
		t.Errorf("%s: %d steps, want %d", what, len(got.steps), len(want.steps))
		return
	}
	for i := range got.steps {
		if !sameResult(got.steps[i], want.steps[i]) {
			t.Errorf("%s: step %d gave %+v, want %+v", what, i+1, got.steps[i], want.steps[i])
		}
	}
}

func checkSameSeed(t *testing.T, newEnv func() envs.Env) {
	const seed = 42
	env := build(t, newEnv)
	rng := rand.New(rand.NewPCG(1, 2))
	actions := make([][]float64, 10)
	for i := range actions {
		actions[i] = randomAction(rng, env.ActionSpace())
	}
	first := rollout(t, env, seed, actions)

	// Run 500 other steps, resetting with other seeds whenever an episode
	// ends, so that any state a reset forgets to clear differs.
	reset(t, env, seed+1)
	for i := range 500 {
		res := step(t, env, randomAction(rng, env.ActionSpace()))
		if res.Terminated || res.Truncated {
			reset(t, env, uint64(seed+2+i))
		}
	}
	compareTrajectories(t, "same instance after 500 steps", rollout(t, env, seed, actions), first)

	fresh := build(t, newEnv)
	compareTrajectories(t, "fresh instance", rollout(t, fresh, seed, actions), first)
}

func checkSeedsDiffer(t *testing.T, newEnv func() envs.Env) {
	env := build(t, newEnv)
	first := reset(t, env, 0)
	for seed := uint64(1); seed < 5; seed++ {
		if !sameBits(reset(t, env, seed), first) {
			return
		}
	}
	t.Errorf("Reset with seeds 0..4 gave the same observation %v, want the seed to matter", first)
}

// invalidAction is a malformed action and a fragment its error must name.
type invalidAction struct {
	name   string
	action []float64
	want   string
}

// invalidActions lists malformed actions for an action box of dimension n.
func invalidActions(n int) []invalidAction {
	cases := []invalidAction{
		{"nil", nil, "length 0"},
		{"one too many", make([]float64, n+1), fmt.Sprintf("length %d", n+1)},
	}
	if n > 1 {
		cases = append(cases, invalidAction{"one too few", make([]float64, n-1),
			fmt.Sprintf("length %d", n-1)})
	}
	for i := range n {
		for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			a := make([]float64, n)
			a[i] = v
			cases = append(cases, invalidAction{fmt.Sprintf("%v at %d", v, i), a, fmt.Sprint(v)})
		}
	}
	return cases
}

func checkInvalidActions(t *testing.T, newEnv func() envs.Env) {
	const seed = 7
	env := build(t, newEnv)
	rng := rand.New(rand.NewPCG(3, 4))
	a0, a1 := randomAction(rng, env.ActionSpace()), randomAction(rng, env.ActionSpace())

	reset(t, env, seed)
	step(t, env, a0)
	setter, hasState := env.(envs.StateSetter)
	var before []float64
	if hasState {
		before = setter.State()
	}
	for _, bad := range invalidActions(env.ActionSpace().Dim()) {
		_, err := env.Step(bad.action)
		if !errors.Is(err, envs.ErrInvalidAction) {
			t.Errorf("Step(%s) = %v, want an error wrapping ErrInvalidAction", bad.name, err)
			continue
		}
		if !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Step(%s) error %q does not name %q", bad.name, err, bad.want)
		}
		if hasState && !sameBits(setter.State(), before) {
			t.Fatalf("Step(%s) changed the state from %v to %v", bad.name, before, setter.State())
		}
	}
	got := step(t, env, a1)

	// The same episode without the rejected actions must continue alike.
	ref := build(t, newEnv)
	reset(t, ref, seed)
	step(t, ref, a0)
	if want := step(t, ref, a1); !sameResult(got, want) {
		t.Errorf("step after rejected actions gave %+v, want %+v", got, want)
	}
}

func checkEpisodeEnd(t *testing.T, newEnv func() envs.Env) {
	const maxSteps = 5000
	env := build(t, newEnv)
	rng := rand.New(rand.NewPCG(5, 6))
	reset(t, env, 11)
	for range maxSteps {
		res := step(t, env, randomAction(rng, env.ActionSpace()))
		if !res.Terminated && !res.Truncated {
			continue
		}
		_, err := env.Step(randomAction(rng, env.ActionSpace()))
		if !errors.Is(err, envs.ErrNeedsReset) {
			t.Errorf("Step after terminated=%v truncated=%v = %v, "+
				"want an error wrapping ErrNeedsReset", res.Terminated, res.Truncated, err)
		}
		reset(t, env, 12)
		step(t, env, randomAction(rng, env.ActionSpace()))
		return
	}
	t.Logf("no episode ended within %d random steps; end-of-episode rule not exercised", maxSteps)
}

func checkClose(t *testing.T, newEnv func() envs.Env) {
	env := newEnv()
	reset(t, env, 1)
	for i := range 2 {
		if err := env.Close(); err != nil {
			t.Errorf("Close() call %d = %v, want nil", i+1, err)
		}
	}
}

func checkStateSetter(t *testing.T, newEnv func() envs.Env) {
	env := build(t, newEnv)
	setter, ok := env.(envs.StateSetter)
	if !ok {
		t.Skipf("%T does not implement envs.StateSetter", env)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	action := randomAction(rng, env.ActionSpace())
	reset(t, env, 3)
	state := setter.State()
	if len(state) == 0 {
		t.Fatal("State() is empty")
	}
	saved := append([]float64(nil), state...)
	state[0] += 1 // the returned slice must be a copy
	if sameBits(setter.State(), state) {
		t.Errorf("State() returned the environment's own slice; want a copy")
	}
	state = saved // x + 1 − 1 need not give x back bit for bit
	want := step(t, env, action)

	if err := setter.SetState(state); err != nil {
		t.Fatalf("SetState(State()) = %v, want nil", err)
	}
	if got := step(t, env, action); !sameResult(got, want) {
		t.Errorf("step after SetState(State()) gave %+v, want %+v", got, want)
	}

	current := setter.State()
	bad := [][]float64{nil, make([]float64, len(state)+1)}
	for i := range state {
		for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			s := append([]float64(nil), state...)
			s[i] = v
			bad = append(bad, s)
		}
	}
	for _, s := range bad {
		if err := setter.SetState(s); err == nil {
			t.Errorf("SetState(%v) = nil, want an error", s)
		}
		if !sameBits(setter.State(), current) {
			t.Fatalf("SetState(%v) changed the state to %v, want %v", s, setter.State(), current)
		}
	}
}

func checkRender(t *testing.T, newEnv func() envs.Env) {
	env := build(t, newEnv)
	r, ok := env.(envs.Renderer)
	if !ok {
		t.Skipf("%T does not implement envs.Renderer", env)
	}
	reset(t, env, 5)
	const width, height = 64, 48
	img, err := r.Render(width, height)
	if err != nil {
		t.Fatalf("Render(%d, %d) = %v, want no error", width, height, err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		t.Fatalf("Render(%d, %d) has size %dx%d", width, height, b.Dx(), b.Dy())
	}
	b := img.Bounds()
	first := img.At(b.Min.X, b.Min.Y)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.At(x, y) != first {
				return
			}
		}
	}
	t.Errorf("Render(%d, %d) is one flat colour, want a drawing", width, height)
}
