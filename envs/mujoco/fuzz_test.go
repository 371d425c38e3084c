package mujoco

import (
	"errors"
	"math"
	"testing"

	"offrl/envs"
	"offrl/envs/physics"
)

// fuzzValues are the special values a fuzz byte can pick; bytes past the
// table give ordinary values across the action box and a little beyond.
var fuzzValues = []float64{
	0, 1e6, -1e6, 1e10, -1e10, 1e11, -1e300, math.NaN(), math.Inf(1), math.Inf(-1),
	math.SmallestNonzeroFloat64, -0.0,
}

// fuzzValue maps a byte to a value for a quantity of typical size scale.
func fuzzValue(b byte, scale float64) float64 {
	if int(b) < len(fuzzValues) {
		return fuzzValues[b]
	}
	return scale * (float64(b)/127.5 - 1) * 1.2
}

// FuzzStep derives a task, a perturbation of its reset state and an action
// sequence (huge, NaN and infinite components included) from the input and
// steps: nothing may panic, Step may fail only with ErrInvalidAction,
// ErrNeedsReset or physics.ErrUnstable (each with its documented effect on
// the state), and every observation, reward and Info value returned is
// finite, observations within MuJoCo's 1e10 bound.
func FuzzStep(f *testing.F) {
	f.Add([]byte{0, 1, 200, 100, 50, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{1, 0, 0, 0, 0, 7, 7, 7, 255, 255, 255, 0, 0, 0})
	f.Add([]byte{2, 5, 150, 160, 170, 180, 190, 200, 210, 220, 230, 240, 250, 11})
	f.Add([]byte{3, 9, 9, 9, 9, 3, 4, 5, 6})
	f.Add([]byte{4, 120, 130, 140, 1, 2, 3})
	f.Add([]byte{5, 3, 200, 10, 20, 1, 1, 1, 1})
	f.Add([]byte{6, 255, 0, 255, 0, 2, 2, 2, 2})
	envsByTask := make([]taskEnv, len(tasks))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		k := int(data[0]) % len(tasks)
		if envsByTask[k] == nil {
			envsByTask[k] = mustNew(t, tasks[k])
		}
		env := envsByTask[k]
		if _, _, err := env.Reset(uint64(data[1])); err != nil {
			t.Fatal(err)
		}
		data = data[2:]
		state := env.State()
		for i := range state {
			if len(data) == 0 {
				break
			}
			// Positions and velocities of order 1 around the reset state.
			state[i] += fuzzValue(data[0], 1)
			data = data[1:]
		}
		before := env.State()
		if err := env.SetState(state); err != nil {
			if !sameBits(env.State(), before) {
				t.Fatalf("failed SetState(%v) changed the state", state)
			}
		}
		box := env.ActionSpace()
		a := make([]float64, box.Dim())
		for len(data) > 0 {
			for j := range a {
				if len(data) > 0 {
					a[j] = fuzzValue(data[0], box.High[j])
					data = data[1:]
				}
			}
			checkFuzzStep(t, env, a)
		}
	})
}

// checkFuzzStep steps env with a and checks the outcome against the
// documented contract, resetting the environment when its episode ends.
func checkFuzzStep(t *testing.T, env taskEnv, a []float64) {
	before := env.State()
	res, err := env.Step(a)
	switch {
	case err == nil:
		vals := append([]float64{res.Reward}, res.Obs...)
		for _, v := range res.Info {
			vals = append(vals, v)
		}
		for _, v := range vals {
			// Rewards may be huge (the cost of a 1e10 action) but finite.
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("action %v: obs %v reward %v info %v: value %v",
					a, res.Obs, res.Reward, res.Info, v)
			}
		}
		for _, v := range res.Obs {
			if !(math.Abs(v) <= physics.MaxVal) {
				t.Fatalf("action %v: observation %v beyond 1e10", a, res.Obs)
			}
		}
		if res.Terminated {
			if _, _, err := env.Reset(1); err != nil {
				t.Fatal(err)
			}
		}
	case errors.Is(err, envs.ErrNeedsReset):
		if _, _, err := env.Reset(2); err != nil {
			t.Fatal(err)
		}
	case errors.Is(err, envs.ErrInvalidAction):
		if !sameBits(env.State(), before) {
			t.Fatalf("invalid action %v changed the state", a)
		}
	case errors.Is(err, physics.ErrUnstable):
		if !sameBits(env.State(), before) {
			t.Fatalf("unstable step %v did not restore the state", a)
		}
		if _, err := env.Step(make([]float64, len(a))); !errors.Is(err, envs.ErrNeedsReset) {
			t.Fatalf("step after an unstable one = %v, want ErrNeedsReset", err)
		}
		if _, _, err := env.Reset(3); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("Step(%v) = %v: not a documented error kind", a, err)
	}
}
