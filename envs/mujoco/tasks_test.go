package mujoco

import (
	"math"
	"testing"

	"offrl/envs"
)

// build returns the environment of the task with the given ID.
func build(t *testing.T, id string) taskEnv {
	t.Helper()
	for _, tk := range tasks {
		if tk.id == id {
			env := mustNew(t, tk)
			if _, _, err := env.Reset(0); err != nil {
				t.Fatal(err)
			}
			return env
		}
	}
	t.Fatalf("no task %s", id)
	return nil
}

// clip returns v clipped to [−10, 10].
func clip(v float64) float64 { return math.Min(math.Max(v, -10), 10) }

// sumSq returns Σ a².
func sumSq(a []float64) float64 {
	s := 0.0
	for _, v := range a {
		s += v * v
	}
	return s
}

// forwardCase is a state and action for the forward-running tasks.
type forwardCase struct {
	id         string
	state      []float64
	action     []float64
	dt         float64
	ctrlWeight float64
	bonus      float64 // healthy reward
	obsFrom    int     // first qpos index in the observation
	clipVel    bool
}

func TestForwardRewardAndObservation(t *testing.T) {
	cases := []forwardCase{
		{"HalfCheetah-v4", []float64{0.3, 0.05, -0.1, 0.2, -0.3, 0.1, 0.4, -0.2, 0.05,
			1, 0.2, -0.3, 2, -1, 0.5, 1.5, -2, 0.7}, []float64{0.5, -0.9, 1.3, 0.2, -0.1, 0.8},
			0.05, 0.1, 0, 1, false},
		{"Hopper-v4", []float64{0.1, 1.25, 0.01, -0.1, -0.2, 0.1, 30, -20, 0.5, 40, -50, 12},
			[]float64{0.4, -1.2, 0.7}, 0.008, 1e-3, 1, 1, true},
		{"Walker2d-v4", []float64{-0.2, 1.3, 0.05, 0.1, -0.3, 0.2, -0.1, -0.2, 0.3,
			15, -0.5, 1, 25, -30, 2, 0.1, 11, -12}, []float64{0.1, -0.2, 0.3, -0.4, 0.5, 1.5},
			0.008, 1e-3, 1, 1, true},
		{"Swimmer-v4", []float64{0.2, -0.1, 0.3, 0.5, -0.4, 0.5, -0.2, 0.1, 1, -0.5},
			[]float64{0.7, -1.4}, 0.04, 1e-4, 0, 2, false},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			env := build(t, c.id)
			mustSet(t, env, c.state)
			xBefore, yBefore := c.state[0], c.state[1]
			res := mustStep(t, env, c.action)
			after := env.State()
			nq := env.Model().Nq
			xAfter := after[0]
			xVel := (xAfter - xBefore) / c.dt
			wantReward := xVel + c.bonus - c.ctrlWeight*sumSq(c.action)
			if !near(res.Reward, wantReward, 1e-12*math.Max(1, math.Abs(wantReward))) {
				t.Errorf("reward = %.17g, want %.17g", res.Reward, wantReward)
			}
			wantInfo := envs.Info{"x_position": xAfter, "x_velocity": xVel}
			switch c.id {
			case "Hopper-v4", "Walker2d-v4":
				wantInfo["reward_forward"] = xVel
				wantInfo["reward_ctrl"] = -1e-3 * sumSq(c.action)
				wantInfo["reward_survive"] = 1
			case "HalfCheetah-v4":
				wantInfo["reward_run"] = xVel
				wantInfo["reward_ctrl"] = -0.1 * sumSq(c.action)
			case "Swimmer-v4":
				yVel := (after[1] - yBefore) / c.dt
				wantInfo["reward_fwd"] = xVel
				wantInfo["forward_reward"] = xVel
				wantInfo["reward_ctrl"] = -1e-4 * sumSq(c.action)
				wantInfo["y_position"] = after[1]
				wantInfo["y_velocity"] = yVel
				wantInfo["distance_from_origin"] = math.Hypot(after[0], after[1])
			}
			if len(res.Info) != len(wantInfo) {
				t.Errorf("Info = %v, want keys of %v", res.Info, wantInfo)
			}
			for k, w := range wantInfo {
				if g, ok := res.Info[k]; !ok || !near(g, w, 1e-12*math.Max(1, math.Abs(w))) {
					t.Errorf("Info[%q] = %v (present %v), want %v", k, g, ok, w)
				}
			}
			var want []float64
			want = append(want, after[c.obsFrom:nq]...)
			for _, v := range after[nq:] {
				if c.clipVel {
					v = clip(v)
				}
				want = append(want, v)
			}
			if !equal(res.Obs, want) {
				t.Errorf("obs = %v, want %v", res.Obs, want)
			}
			if c.clipVel && !hasClipped(res.Obs) {
				t.Errorf("obs %v has no velocity at ±10; the case does not test clipping", res.Obs)
			}
		})
	}
}

// equal reports whether a and b are equal element by element.
func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// hasClipped reports whether some element of obs is exactly ±10.
func hasClipped(obs []float64) bool {
	for _, v := range obs {
		if math.Abs(v) == 10 {
			return true
		}
	}
	return false
}

func TestHealthy(t *testing.T) {
	hopper := func(mod func(s []float64)) []float64 {
		s := []float64{0, 1.25, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
		mod(s)
		return s
	}
	walker := func(mod func(s []float64)) []float64 {
		s := make([]float64, 18)
		s[1] = 1.25
		mod(s)
		return s
	}
	cases := []struct {
		id    string
		name  string
		state []float64
		want  bool
	}{
		{"Hopper-v4", "rest", hopper(func(s []float64) {}), true},
		{"Hopper-v4", "z at 0.7", hopper(func(s []float64) { s[1] = 0.7 }), false},
		{"Hopper-v4", "z 0.71", hopper(func(s []float64) { s[1] = 0.71 }), true},
		{"Hopper-v4", "z 200 (z not in the state check)", hopper(func(s []float64) { s[1] = 200 }), true},
		{"Hopper-v4", "x 500 (x not checked)", hopper(func(s []float64) { s[0] = 500 }), true},
		{"Hopper-v4", "angle 0.2", hopper(func(s []float64) { s[2] = 0.2 }), false},
		{"Hopper-v4", "angle -0.19", hopper(func(s []float64) { s[2] = -0.19 }), true},
		{"Hopper-v4", "joint -100", hopper(func(s []float64) { s[3] = -100 }), false},
		{"Hopper-v4", "qvel 99.9", hopper(func(s []float64) { s[9] = 99.9 }), true},
		{"Hopper-v4", "qvel 100", hopper(func(s []float64) { s[9] = 100 }), false},
		{"Hopper-v4", "rootx qvel 100", hopper(func(s []float64) { s[6] = 100 }), false},
		{"Walker2d-v4", "rest", walker(func(s []float64) {}), true},
		{"Walker2d-v4", "z 0.8", walker(func(s []float64) { s[1] = 0.8 }), false},
		{"Walker2d-v4", "z 1.99", walker(func(s []float64) { s[1] = 1.99 }), true},
		{"Walker2d-v4", "z 2", walker(func(s []float64) { s[1] = 2 }), false},
		{"Walker2d-v4", "angle -1", walker(func(s []float64) { s[2] = -1 }), false},
		{"Walker2d-v4", "angle 0.99", walker(func(s []float64) { s[2] = 0.99 }), true},
		{"Walker2d-v4", "qvel 1000", walker(func(s []float64) { s[12] = 1000 }), true},
	}
	for _, c := range cases {
		t.Run(c.id+"/"+c.name, func(t *testing.T) {
			env := build(t, c.id)
			mustSet(t, env, c.state)
			var got bool
			switch e := env.(type) {
			case *Hopper:
				got = e.healthy()
			case *Walker2d:
				got = e.healthy()
			}
			if got != c.want {
				t.Errorf("healthy at %v = %v, want %v", c.state, got, c.want)
			}
		})
	}
}

// TestTerminatingStep checks the termination flag and that the
// terminating step still pays the survival bonus.
func TestTerminatingStep(t *testing.T) {
	cases := []struct {
		id        string
		state     []float64
		action    []float64
		wantTerm  bool
		wantBonus float64 // reward minus the non-bonus terms, checked where simple
	}{
		{"Hopper-v4", []float64{0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, []float64{0.5, 0, 0},
			true, 1},
		{"Hopper-v4", []float64{0, 1.25, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, []float64{0, 0, 0},
			false, 1},
		{"Walker2d-v4", append([]float64{0, 2.5}, make([]float64, 16)...), make([]float64, 6),
			true, 1},
		{"InvertedPendulum-v4", []float64{0, 0.3, 0, 0}, []float64{0}, true, 1},
		{"InvertedPendulum-v4", []float64{0, 0, 0, 0}, []float64{0.5}, false, 1},
		{"InvertedDoublePendulum-v4", []float64{0, 1.4, 0, 0, 0, 0}, []float64{0}, true, 10},
		{"InvertedDoublePendulum-v4", []float64{0, 0, 0, 0, 0, 0}, []float64{0}, false, 10},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			env := build(t, c.id)
			mustSet(t, env, c.state)
			before := env.State()
			res := mustStep(t, env, c.action)
			if res.Terminated != c.wantTerm || res.Truncated {
				t.Errorf("terminated, truncated = %v, %v; want %v, false",
					res.Terminated, res.Truncated, c.wantTerm)
			}
			after := env.State()
			var rest float64
			switch c.id {
			case "Hopper-v4", "Walker2d-v4":
				rest = (after[0]-before[0])/env.DT() - 1e-3*sumSq(c.action)
			case "InvertedDoublePendulum-v4":
				e := env.(*InvertedDoublePendulum)
				tip := e.sitePos(e.tip)
				v1, v2 := after[4], after[5]
				rest = -(0.01*tip[0]*tip[0] + (tip[2]-2)*(tip[2]-2)) -
					(1e-3*v1*v1 + 5e-3*v2*v2)
			}
			if !near(res.Reward-rest, c.wantBonus, 1e-9) {
				t.Errorf("reward %v − other terms %v = %v, want bonus %v",
					res.Reward, rest, res.Reward-rest, c.wantBonus)
			}
			if c.wantTerm {
				if _, err := env.Step(c.action); err == nil {
					t.Errorf("Step after termination succeeded, want ErrNeedsReset")
				}
			}
		})
	}
}

// TestInvertedDoublePendulumKinematics checks the tip site and the
// observation layout against hand-computed kinematics: each hinge turns
// its pole about +y, so a pole of length 0.6 at angle θ points along
// (sin θ, 0, cos θ).
func TestInvertedDoublePendulumKinematics(t *testing.T) {
	env := build(t, "InvertedDoublePendulum-v4").(*InvertedDoublePendulum)
	for _, q := range [][3]float64{{0, 0, 0}, {0.3, 0.4, -0.9}, {-0.5, 2, 1}} {
		mustSet(t, env, []float64{q[0], q[1], q[2], 0.1, -0.2, 0.3})
		tip := env.sitePos(env.tip)
		wx := q[0] + 0.6*math.Sin(q[1]) + 0.6*math.Sin(q[1]+q[2])
		wz := 0.6*math.Cos(q[1]) + 0.6*math.Cos(q[1]+q[2])
		if !near(tip[0], wx, 1e-12) || !near(tip[1], 0, 1e-12) || !near(tip[2], wz, 1e-12) {
			t.Errorf("q %v: tip %v, want (%v, 0, %v)", q, tip, wx, wz)
		}
		obs := env.observation()
		want := []float64{q[0], math.Sin(q[1]), math.Sin(q[2]), math.Cos(q[1]),
			math.Cos(q[2]), 0.1, -0.2, 0.3}
		if !equal(obs[:8], want) {
			t.Errorf("obs[:8] = %v, want %v", obs[:8], want)
		}
	}
	// Near the rail end the slider limit pushes back: obs[8] is its force,
	// clipped to ±10; the hinges have no limits.
	mustSet(t, env, []float64{0.995, 0, 0, 5, 0, 0})
	obs := env.observation()
	if obs[8] >= 0 || obs[9] != 0 || obs[10] != 0 {
		t.Errorf("constraint part of obs at the rail end = %v, want (<0, 0, 0)", obs[8:])
	}
}

// TestReacher checks the pre-step reward against hand-computed
// kinematics (body0 at z 0.01, links 0.1 and 0.11, the target at qpos[2:4])
// and the observation layout.
func TestReacher(t *testing.T) {
	env := build(t, "Reacher-v4").(*Reacher)
	cases := []struct {
		state  []float64
		action []float64
	}{
		{[]float64{0, 0, 0.1, -0.1, 0, 0, 0, 0}, []float64{0, 0}},
		{[]float64{0.7, -1.2, -0.05, 0.15, 0.5, -2, 0, 0}, []float64{0.3, -1.5}},
		{[]float64{-2.5, 2.9, 0.19, 0.01, -3, 1, 0, 0}, []float64{-0.8, 0.6}},
	}
	for _, c := range cases {
		mustSet(t, env, c.state)
		q := c.state
		fx := 0.1*math.Cos(q[0]) + 0.11*math.Cos(q[0]+q[1])
		fy := 0.1*math.Sin(q[0]) + 0.11*math.Sin(q[0]+q[1])
		dist := -math.Hypot(fx-q[2], fy-q[3])
		ctrl := -sumSq(c.action)
		res := mustStep(t, env, c.action)
		if !near(res.Info["reward_dist"], dist, 1e-12) ||
			res.Info["reward_ctrl"] != ctrl || !near(res.Reward, dist+ctrl, 1e-12) {
			t.Errorf("state %v: reward %v, info %v; want dist %v ctrl %v",
				q, res.Reward, res.Info, dist, ctrl)
		}
		s := env.State()
		want := []float64{math.Cos(s[0]), math.Cos(s[1]), math.Sin(s[0]), math.Sin(s[1]),
			s[2], s[3], s[4], s[5]}
		if !equal(res.Obs[:8], want) {
			t.Errorf("obs[:8] = %v, want %v", res.Obs[:8], want)
		}
		if s[2] != q[2] || s[3] != q[3] || s[6] != 0 || s[7] != 0 {
			t.Errorf("target moved: state %v from %v", s, q)
		}
		// The last three come from the frames of the last dynamics stage,
		// within one substep of the new state.
		gx := 0.1*math.Cos(s[0]) + 0.11*math.Cos(s[0]+s[1]) - s[2]
		gy := 0.1*math.Sin(s[0]) + 0.11*math.Sin(s[0]+s[1]) - s[3]
		if !near(res.Obs[8], gx, 0.05) || !near(res.Obs[9], gy, 0.05) || res.Obs[10] != 0 {
			t.Errorf("obs[8:] = %v, want about (%v, %v, 0)", res.Obs[8:], gx, gy)
		}
	}
}

// noise describes a reset distribution: uniform ±scale or scale·N(0, 1)
// around the centre.
type noise struct {
	normal bool
	scale  float64
}

func TestResetNoise(t *testing.T) {
	const n = 2000
	u, g := func(s float64) noise { return noise{false, s} }, func(s float64) noise {
		return noise{true, s}
	}
	cases := []struct {
		id         string
		qpos, qvel noise
	}{
		{"HalfCheetah-v4", u(0.1), g(0.1)},
		{"Hopper-v4", u(0.005), u(0.005)},
		{"Walker2d-v4", u(0.005), u(0.005)},
		{"InvertedPendulum-v4", u(0.01), u(0.01)},
		{"InvertedDoublePendulum-v4", u(0.1), g(0.1)},
		{"Reacher-v4", u(0.1), u(0.005)},
		{"Swimmer-v4", u(0.1), u(0.1)},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			env := build(t, c.id)
			m := env.Model()
			nq := m.Nq
			dim := nq + m.Nv
			sum, sumSq := make([]float64, dim), make([]float64, dim)
			for seed := range uint64(n) {
				if _, _, err := env.Reset(seed); err != nil {
					t.Fatal(err)
				}
				s := env.State()
				for i, v := range s {
					center, nz := 0.0, c.qvel
					if i < nq {
						center, nz = m.Qpos0[i], c.qpos
					}
					d := v - center
					if c.id == "Reacher-v4" && (i == nq-2 || i == nq-1) {
						continue // the goal, checked below
					}
					if !nz.normal && math.Abs(d) > nz.scale {
						t.Fatalf("seed %d: state[%d] = %v, outside %v ± %v",
							seed, i, v, center, nz.scale)
					}
					sum[i] += d
					sumSq[i] += d * d
				}
				if c.id == "Reacher-v4" {
					if r := math.Hypot(s[nq-2], s[nq-1]); r >= 0.2 {
						t.Fatalf("seed %d: goal radius %v ≥ 0.2", seed, r)
					}
					if s[dim-2] != 0 || s[dim-1] != 0 {
						t.Fatalf("seed %d: target velocity %v, want 0", seed, s[dim-2:])
					}
				}
			}
			for i := range dim {
				nz := c.qvel
				if i < nq {
					nz = c.qpos
				}
				if c.id == "Reacher-v4" && (i == nq-2 || i == nq-1 || i >= dim-2) {
					continue
				}
				sd := nz.scale / math.Sqrt(3) // uniform ±scale
				if nz.normal {
					sd = nz.scale
				}
				mean := sum[i] / n
				std := math.Sqrt(sumSq[i]/n - mean*mean)
				if math.Abs(mean) > 5*sd/math.Sqrt(n) || math.Abs(std/sd-1) > 0.08 {
					t.Errorf("state[%d]: mean %v, std %v; want 0, %v", i, mean, std, sd)
				}
			}
		})
	}
}
