package mujoco

import (
	"math"
	"testing"
)

// goldenObs builds the part of a task's observation that depends on qpos
// and qvel alone from a golden state (qpos ++ qvel), in the task's layout;
// n is how many leading observation elements that is.
func goldenObs(id string, nq int, s []float64) (obs []float64, n int) {
	q, v := s[:nq], s[nq:]
	switch id {
	case "InvertedPendulum-v4":
		return append(append([]float64{}, q...), v...), 4
	case "InvertedDoublePendulum-v4":
		obs = []float64{q[0], math.Sin(q[1]), math.Sin(q[2]), math.Cos(q[1]), math.Cos(q[2])}
		for _, x := range v {
			obs = append(obs, clip(x))
		}
		return obs, 8 // the last 3 are constraint forces, not in the goldens
	case "Reacher-v4":
		obs = []float64{math.Cos(q[0]), math.Cos(q[1]), math.Sin(q[0]), math.Sin(q[1]),
			q[2], q[3], v[0], v[1]}
		return obs, 8 // the last 3 come from body frames, not in the goldens
	case "Swimmer-v4":
		return append(append([]float64{}, q[2:]...), v...), 8
	}
	return nil, 0
}

// TestGoldenRollouts replays MuJoCo 2.2.2's rollouts (testdata/*.rollout-*)
// of the contact-free tasks through the environments. "Resync" steps from
// each golden state (SetState) with the golden action and compares the
// observation with the next golden state's, within 1e-9; rewards that are
// functions of the golden states (Swimmer's, InvertedPendulum's constant
// and Reacher's pre-step distance) are compared too. "Free" runs all
// actions from the first state without resyncing, within the tolerances
// that envs/physics/README.md reports for the simulator (chaotic
// InvertedDoublePendulum only over its first 80 steps).
//
// HalfCheetah, Hopper and Walker2d are not checked here: their rollouts
// need ground contact, which envs/physics does not simulate yet.
func TestGoldenRollouts(t *testing.T) {
	cases := []struct {
		id, model string
		freeSteps int
		freeTol   float64
	}{
		{"InvertedPendulum-v4", "inverted_pendulum", 200, 1e-9},
		{"InvertedDoublePendulum-v4", "inverted_double_pendulum", 80, 1e-6},
		{"Reacher-v4", "reacher", 200, 1e-7},
		{"Swimmer-v4", "swimmer", 200, 1e-9},
	}
	for _, c := range cases {
		for _, rollout := range []string{"sine-qpos0", "sine-perturbed"} {
			t.Run(c.id+"/"+rollout, func(t *testing.T) {
				env := build(t, c.id)
				nq := env.Model().Nq
				rows := readRows(t, goldenPath(c.model, "rollout-"+rollout+".csv"))
				in := readRows(t, goldenPath(c.model, "rollout-"+rollout+".in"))
				actions := in
				if len(in[0]) != env.ActionSpace().Dim() {
					actions = in[1:] // line 1 is the initial state
				}
				if len(rows) != len(actions)+1 {
					t.Fatalf("%d golden rows for %d actions", len(rows), len(actions))
				}
				state := func(k int) []float64 { return rows[k][3:] } // skip step,time,ncon
				core := env.core()
				for k, a := range actions {
					mustSet(t, env, state(k))
					core.started = true
					res := mustStep(t, env, a)
					want, n := goldenObs(c.id, nq, state(k+1))
					for i := range n {
						if !near(res.Obs[i], want[i], 1e-9) {
							t.Fatalf("resync step %d: obs[%d] = %.17g, want %.17g",
								k+1, i, res.Obs[i], want[i])
						}
					}
					checkGoldenReward(t, c.id, k+1, res.Reward, state(k), state(k+1), a, nq)
				}

				mustSet(t, env, state(0))
				for k, a := range actions[:c.freeSteps] {
					core.started = true // keep going past a termination
					res := mustStep(t, env, a)
					want, n := goldenObs(c.id, nq, state(k+1))
					for i := range n {
						if !near(res.Obs[i], want[i], c.freeTol) {
							t.Fatalf("free step %d: obs[%d] = %.17g, want %.17g",
								k+1, i, res.Obs[i], want[i])
						}
					}
				}
			})
		}
	}
}

// checkGoldenReward compares a step's reward with Gymnasium's reward
// computed from the golden states before (s0) and after (s1) the step.
func checkGoldenReward(t *testing.T, id string, step int, got float64,
	s0, s1, a []float64, nq int) {
	t.Helper()
	var want float64
	switch id {
	case "InvertedPendulum-v4":
		want = 1
	case "Swimmer-v4":
		want = (s1[0]-s0[0])/SwimmerDT - 1e-4*sumSq(a)
	case "Reacher-v4":
		q := s0[:nq]
		fx := 0.1*math.Cos(q[0]) + 0.11*math.Cos(q[0]+q[1])
		fy := 0.1*math.Sin(q[0]) + 0.11*math.Sin(q[0]+q[1])
		want = -math.Hypot(fx-q[2], fy-q[3]) - sumSq(a)
	default:
		return // InvertedDoublePendulum reads the tip's frame, not in the goldens
	}
	if !near(got, want, 1e-9) {
		t.Fatalf("step %d: reward %.17g, want %.17g", step, got, want)
	}
}
