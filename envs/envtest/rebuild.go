package envtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"offrl/envs"
)

// RebuildOptions describes what [CheckStateFromObservation] needs to know
// about an environment beyond the [envs.Env] contract.
type RebuildOptions struct {
	// Observe returns the observation env would report in its current
	// state (the one Reset or Step returned last, or the one of the state
	// SetState set). Required; tests reach the task's unexported
	// observation method through it.
	Observe func(env envs.Env) []float64
	// NotState lists observation components that are not functions of
	// the state, such as values read from the simulator's last dynamics
	// evaluation. Right after SetState they are not compared; after a
	// step they are.
	NotState []int
	// FirstRewardNotState says that the reward of the first step after
	// SetState depends on more than the state (Reacher's reads the
	// fingertip from the last dynamics evaluation); it is then not
	// compared, and later rewards are.
	FirstRewardNotState bool
	// Lossy reports observations that do not determine the state (a
	// velocity clipped to a bound). The check steps on past them to an
	// observation that does. Nil means no observation is lossy.
	Lossy func(obs []float64) bool
	// EachStep, if not nil, is called with the environment set to the
	// exactly rebuilt state after each of its compared steps, for checks
	// of the package's own (for example that contacts happened).
	EachStep func(env envs.Env)
	// WarmupSteps is the number of random steps from Reset before the
	// observation the state is rebuilt from; enough for contact tasks to
	// touch the floor. 0 means 60.
	WarmupSteps int
}

// Tolerances of CheckStateFromObservation.
const (
	// rebuildObsTol bounds the difference between a recorded observation
	// and the one of the state rebuilt from it (rounding in atan2, cos,
	// sin and the kinematics).
	rebuildObsTol = 1e-9
	// rebuildStepTol bounds, relative to max(1, |value|), the difference
	// between the recorded and the rebuilt episode over rebuildSteps
	// steps: only rounding, for example of x − 0 against x − x₀, may
	// separate them.
	rebuildStepTol = 1e-8
	rebuildSteps   = 20
	// float32Tol bounds, relative to max(1, |value|), how far an episode
	// rebuilt from a float32-rounded observation (as datasets store them)
	// drifts from the recorded one in float32Steps steps.
	float32Tol   = 1e-4
	float32Steps = 5
)

// CheckStateFromObservation checks the [envs.StateRebuilder] of the
// environments newEnv builds, and fails the test if they lack it. For
// several seeds it runs a random episode for a warm-up, rebuilds a state
// from the observation, sets it on a fresh environment after a Reset with
// another seed, and verifies that:
//
//   - the rebuilt environment's observation equals the recorded one
//     within 1e-9 (components in opts.NotState excepted);
//   - stepping both with the same actions for 20 steps gives
//     observations and rewards equal within 1e-8 relative to
//     max(1, |value|), and equal termination;
//   - a state rebuilt from the observation rounded to float32 stays within
//     1e-4 of the recorded episode for 5 steps;
//   - StateFromObservation does not modify its input, gives the same state
//     on an environment that was never reset, and leaves the state alone.
//
// It also checks that wrong lengths and NaN or infinite components are
// errors naming the length or the index and value.
func CheckStateFromObservation(t *testing.T, newEnv func() envs.Env, opts RebuildOptions) {
	t.Helper()
	if opts.Observe == nil {
		t.Fatal("RebuildOptions.Observe is nil, want the environment's observation function")
	}
	if opts.WarmupSteps == 0 {
		opts.WarmupSteps = 60
	}
	if env := build(t, newEnv); !implementsRebuilder(env) {
		t.Fatalf("%T does not implement envs.StateRebuilder", env)
	}
	t.Run("Replay", func(t *testing.T) {
		compared := 0
		for seed := uint64(1); seed <= 4; seed++ {
			if checkReplay(t, newEnv, opts, seed) {
				compared++
			}
		}
		if compared == 0 {
			t.Fatal("every snapshot was lossy or ended its episode; nothing was compared")
		}
	})
	t.Run("BadObservations", func(t *testing.T) { checkBadObservations(t, newEnv) })
}

// snapshot is an episode run to an observation the state is rebuilt from.
type snapshot struct {
	env envs.Env
	obs []float64
}

// warmUp resets a new environment with seed and steps it with random
// actions for opts.WarmupSteps steps, resetting with other seeds when an
// episode ends, then on until an observation that is not lossy. It
// reports false if no such observation came within four warm-ups.
func warmUp(t *testing.T, newEnv func() envs.Env, opts RebuildOptions,
	rng *rand.Rand, seed uint64) (snapshot, bool) {
	t.Helper()
	env := build(t, newEnv)
	reset(t, env, seed)
	for i := range 4 * opts.WarmupSteps {
		res := step(t, env, randomAction(rng, env.ActionSpace()))
		if res.Terminated || res.Truncated {
			reset(t, env, seed+uint64(1000*(i+1)))
			continue
		}
		if i+1 >= opts.WarmupSteps && (opts.Lossy == nil || !opts.Lossy(res.Obs)) {
			return snapshot{env, res.Obs}, true
		}
	}
	return snapshot{}, false
}

// rebuild returns a fresh environment, reset with another seed, set to
// the state rebuilt from obs.
func rebuild(t *testing.T, newEnv func() envs.Env, obs []float64, seed uint64) envs.Env {
	t.Helper()
	env := build(t, newEnv)
	reset(t, env, seed)
	in := slices.Clone(obs)
	state, err := env.(envs.StateRebuilder).StateFromObservation(in)
	if err != nil {
		t.Fatalf("StateFromObservation(%v) = %v, want no error", obs, err)
	}
	if !sameBits(in, obs) {
		t.Errorf("StateFromObservation modified its input from %v to %v", obs, in)
	}
	setter, ok := env.(envs.StateSetter)
	if !ok {
		t.Fatalf("%T implements envs.StateRebuilder but not envs.StateSetter", env)
	}
	if err := setter.SetState(state); err != nil {
		t.Fatalf("SetState(StateFromObservation(%v) = %v) = %v, want nil", obs, state, err)
	}
	return env
}

// checkReplay compares an episode with its replay from the rebuilt state.
// It reports false if the seed gave no usable snapshot.
func checkReplay(t *testing.T, newEnv func() envs.Env, opts RebuildOptions, seed uint64) bool {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 9))
	snap, ok := warmUp(t, newEnv, opts, rng, seed)
	if !ok {
		t.Logf("seed %d: no snapshot that is not lossy; skipped", seed)
		return false
	}
	checkStateless(t, newEnv, snap)

	exact := rebuild(t, newEnv, snap.obs, seed+7777)
	got := opts.Observe(exact)
	for i := range snap.obs {
		if slices.Contains(opts.NotState, i) {
			continue
		}
		if len(got) != len(snap.obs) || !(math.Abs(got[i]-snap.obs[i]) <= rebuildObsTol) {
			t.Errorf("seed %d: rebuilt observation %v, want %v within %g",
				seed, got, snap.obs, rebuildObsTol)
			break
		}
	}

	obs32 := make([]float64, len(snap.obs))
	for i, v := range snap.obs {
		obs32[i] = float64(float32(v))
	}
	rounded := rebuild(t, newEnv, obs32, seed+8888)

	for k := range rebuildSteps {
		a := randomAction(rng, snap.env.ActionSpace())
		want := step(t, snap.env, a)
		where := fmt.Sprintf("seed %d, step %d after the rebuild", seed, k+1)
		compareStep(t, where, step(t, exact, a), want, rebuildStepTol,
			k > 0 || !opts.FirstRewardNotState)
		if opts.EachStep != nil {
			opts.EachStep(exact)
		}
		if k < float32Steps {
			compareStep(t, where+" from float32", step(t, rounded, a), want, float32Tol,
				k > 0 || !opts.FirstRewardNotState)
		}
		if want.Terminated || want.Truncated {
			break
		}
	}
	return true
}

// checkStateless verifies that StateFromObservation gives the same state
// on a never-reset environment as on the one that recorded obs, and that
// it leaves the recording environment's state alone.
func checkStateless(t *testing.T, newEnv func() envs.Env, snap snapshot) {
	t.Helper()
	rec := snap.env.(envs.StateRebuilder)
	setter, hasState := snap.env.(envs.StateSetter)
	var before []float64
	if hasState {
		before = setter.State()
	}
	want, err := rec.StateFromObservation(snap.obs)
	if err != nil {
		t.Fatalf("StateFromObservation(%v) = %v, want no error", snap.obs, err)
	}
	if hasState && !sameBits(setter.State(), before) {
		t.Errorf("StateFromObservation changed the state from %v to %v", before, setter.State())
	}
	fresh := build(t, newEnv)
	got, err := fresh.(envs.StateRebuilder).StateFromObservation(snap.obs)
	if err != nil || !sameBits(got, want) {
		t.Errorf("StateFromObservation before Reset = %v, %v; want %v, nil", got, err, want)
	}
}

// compareStep reports where got differs from want by more than tol
// relative to max(1, |want|), in the observation, the reward (when
// reward is set) or the end flags.
func compareStep(t *testing.T, where string, got, want envs.StepResult, tol float64,
	reward bool) {
	t.Helper()
	if i := firstApart(got.Obs, want.Obs, tol); i >= 0 {
		t.Errorf("%s: observation %v, want %v within %g (component %d)",
			where, got.Obs, want.Obs, tol, i)
	}
	if reward && firstApart([]float64{got.Reward}, []float64{want.Reward}, tol) >= 0 {
		t.Errorf("%s: reward %v, want %v within %g", where, got.Reward, want.Reward, tol)
	}
	if got.Terminated != want.Terminated || got.Truncated != want.Truncated {
		t.Errorf("%s: terminated, truncated = %v, %v; want %v, %v",
			where, got.Terminated, got.Truncated, want.Terminated, want.Truncated)
	}
}

// firstApart returns the first index where a and b differ by more than
// tol·max(1, |b[i]|), 0 if their lengths differ, or −1.
func firstApart(a, b []float64, tol float64) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if !(math.Abs(a[i]-b[i]) <= tol*math.Max(1, math.Abs(b[i]))) {
			return i
		}
	}
	return -1
}

// checkBadObservations verifies that malformed observations are errors
// naming the length or the index and value, and return no state.
func checkBadObservations(t *testing.T, newEnv func() envs.Env) {
	env := build(t, newEnv)
	good := reset(t, env, 5)
	rec := env.(envs.StateRebuilder)
	n := len(good)

	type badObs struct {
		obs  []float64
		want []string // fragments the error must contain
	}
	cases := []badObs{
		{nil, []string{"length 0"}},
		{make([]float64, n+1), []string{fmt.Sprintf("length %d", n+1)}},
		{good[:n-1], []string{fmt.Sprintf("length %d", n-1)}},
	}
	for i := range n {
		for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			o := slices.Clone(good)
			o[i] = v
			cases = append(cases, badObs{o, []string{fmt.Sprintf("[%d]", i), fmt.Sprint(v)}})
		}
	}
	for _, c := range cases {
		state, err := rec.StateFromObservation(c.obs)
		if err == nil {
			t.Errorf("StateFromObservation(%v) = %v, nil; want an error", c.obs, state)
			continue
		}
		if state != nil {
			t.Errorf("StateFromObservation(%v) returned state %v with its error", c.obs, state)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("StateFromObservation(%v) error %q does not name %q", c.obs, err, w)
			}
		}
	}
}

// implementsRebuilder reports whether env implements
// [envs.StateRebuilder].
func implementsRebuilder(env envs.Env) bool {
	_, ok := env.(envs.StateRebuilder)
	return ok
}
