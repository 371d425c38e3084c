package mujoco

import (
	"math"
	"strings"
	"testing"

	"offrl/envs"
	"offrl/envs/envtest"
)

// observeEnv is [observe] for the envtest check's signature.
func observeEnv(env envs.Env) []float64 { return observe(env.(taskEnv)) }

// clippedFrom returns a Lossy function reporting observations with a
// component at ±10 from index from to to (exclusive): velocities that the
// observation clipped.
func clippedFrom(from, to int) func([]float64) bool {
	return func(obs []float64) bool {
		for _, v := range obs[from:to] {
			if math.Abs(v) >= 10 {
				return true
			}
		}
		return false
	}
}

// rebuildOptions are each task's facts for the rebuild check.
var rebuildOptions = map[string]envtest.RebuildOptions{
	"HalfCheetah-v4":      {Observe: observeEnv},
	"Hopper-v4":           {Observe: observeEnv, Lossy: clippedFrom(5, 11)},
	"Walker2d-v4":         {Observe: observeEnv, Lossy: clippedFrom(8, 17)},
	"InvertedPendulum-v4": {Observe: observeEnv},
	// qfrc_constraint (obs[8:11]) comes from the last RK4 stage.
	"InvertedDoublePendulum-v4": {Observe: observeEnv, NotState: []int{8, 9, 10},
		Lossy: clippedFrom(5, 8)},
	// fingertip − target (obs[8:11]) and the first reward come from the
	// last RK4 stage.
	"Reacher-v4": {Observe: observeEnv, NotState: []int{8, 9, 10}, FirstRewardNotState: true},
	"Swimmer-v4": {Observe: observeEnv},
}

// TestStateFromObservation runs the rebuild check on every task. For the
// tasks with floor contact it also requires that the compared steps of
// the rebuilt episodes went through contacts, so that the check covers the
// contact model.
func TestStateFromObservation(t *testing.T) {
	for _, tk := range tasks {
		t.Run(tk.id, func(t *testing.T) {
			opts, ok := rebuildOptions[tk.id]
			if !ok {
				t.Fatalf("no rebuildOptions for %s", tk.id)
			}
			contactSteps := 0
			opts.EachStep = func(env envs.Env) {
				if env.(taskEnv).core().d.NCon() > 0 {
					contactSteps++
				}
			}
			envtest.CheckStateFromObservation(t, func() envs.Env { return mustNew(t, tk) }, opts)
			switch tk.id {
			case "HalfCheetah-v4", "Hopper-v4", "Walker2d-v4":
				if contactSteps == 0 {
					t.Errorf("no compared step of %s had a floor contact, want some", tk.id)
				}
				t.Logf("%d compared steps with contacts", contactSteps)
			}
		})
	}
}

// TestReacherTipCheck pins that an observation whose fingertip − target
// disagrees with its joint angles and target is rejected, naming it.
func TestReacherTipCheck(t *testing.T) {
	env, err := NewReacher()
	if err != nil {
		t.Fatal(err)
	}
	obs, _, err := env.Reset(3)
	if err != nil {
		t.Fatal(err)
	}
	obs[9] += 0.05
	if _, err := env.StateFromObservation(obs); err == nil ||
		!strings.Contains(err.Error(), "obs[9]") {
		t.Errorf("StateFromObservation with fingertip − target off by 5 cm = %v, "+
			"want an error naming obs[9]", err)
	}
}

// TestStateFromObservationUnobserved pins the values of the coordinates
// the observations leave out: 0.
func TestStateFromObservationUnobserved(t *testing.T) {
	for _, tk := range tasks {
		t.Run(tk.id, func(t *testing.T) {
			env := mustNew(t, tk)
			obs, _, err := env.Reset(2)
			if err != nil {
				t.Fatal(err)
			}
			state, err := env.StateFromObservation(obs)
			if err != nil {
				t.Fatal(err)
			}
			want := env.State()
			switch tk.id {
			case "HalfCheetah-v4", "Hopper-v4", "Walker2d-v4":
				want[0] = 0
			case "Swimmer-v4":
				want[0], want[1] = 0, 0
			}
			for i := range want {
				if math.Abs(state[i]-want[i]) > 1e-12 {
					t.Errorf("StateFromObservation(reset obs) = %v, want %v", state, want)
					break
				}
			}
		})
	}
}
