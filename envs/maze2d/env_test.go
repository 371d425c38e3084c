package maze2d

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"offrl/envs"
	"offrl/envs/envtest"
	"offrl/envs/physics"
)

// newEnv builds a maze or fails the test.
func newEnv(t testing.TB, layout string, r Reward) *Env {
	t.Helper()
	e, err := New(layout, r)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

// TestContract runs the envs contract on every registered task, wrapped in
// its time limit as the registry will.
func TestContract(t *testing.T) {
	for _, task := range Tasks() {
		t.Run(task.ID, func(t *testing.T) {
			envtest.Check(t, func() envs.Env {
				e, err := task.New()
				if err != nil {
					t.Fatalf("%s: %v", task.ID, err)
				}
				return envs.NewTimeLimit(e, task.MaxEpisodeSteps)
			})
		})
	}
}

// TestStateFromObservation checks the state rebuilt from an observation on
// every registered task, through the time limit, which forwards it.
func TestStateFromObservation(t *testing.T) {
	for _, task := range Tasks() {
		t.Run(task.ID, func(t *testing.T) {
			envtest.CheckStateFromObservation(t, func() envs.Env {
				e, err := task.New()
				if err != nil {
					t.Fatalf("%s: %v", task.ID, err)
				}
				return envs.NewTimeLimit(e, task.MaxEpisodeSteps)
			}, envtest.RebuildOptions{Observe: func(e envs.Env) []float64 {
				return e.(*envs.TimeLimit).Unwrap().(*Env).observation()
			}})
		})
	}
}

// TestTasks checks the registered IDs, episode lengths, DT and rewards.
func TestTasks(t *testing.T) {
	want := map[string]struct {
		steps int
		goal  Cell
		dense bool
	}{
		"maze2d-open-v0":         {150, Cell{2, 3}, false},
		"maze2d-umaze-v1":        {300, Cell{1, 1}, false},
		"maze2d-medium-v1":       {600, Cell{6, 6}, false},
		"maze2d-large-v1":        {800, Cell{7, 9}, false},
		"maze2d-umaze-dense-v1":  {300, Cell{1, 1}, true},
		"maze2d-medium-dense-v1": {600, Cell{6, 6}, true},
		"maze2d-large-dense-v1":  {800, Cell{7, 9}, true},
	}
	tasks := Tasks()
	if len(tasks) != len(want) {
		t.Fatalf("%d tasks, want %d", len(tasks), len(want))
	}
	for _, task := range tasks {
		w, ok := want[task.ID]
		if !ok {
			t.Errorf("unexpected task %q", task.ID)
			continue
		}
		if task.MaxEpisodeSteps != w.steps || task.DT != 0.01 {
			t.Errorf("%s: steps %d dt %v, want %d 0.01", task.ID, task.MaxEpisodeSteps,
				task.DT, w.steps)
		}
		env, err := task.New()
		if err != nil {
			t.Fatal(err)
		}
		e := env.(*Env)
		if g := e.Target(); g != [2]float64{float64(w.goal.I), float64(w.goal.J)} {
			t.Errorf("%s: target %v, want %v", task.ID, g, w.goal)
		}
		if (e.reward == Dense) != w.dense {
			t.Errorf("%s: dense = %v, want %v", task.ID, e.reward == Dense, w.dense)
		}
	}
}

// TestModel checks the compiled point_maze model against the spec: mass
// 4/3·π·0.1³·1000, two slide DOFs with damping 1, gear 100 motors limited
// to [−1, 1], one box per wall cell and frictionless contacts.
func TestModel(t *testing.T) {
	for _, tc := range []struct {
		name   string
		layout string
		walls  int
	}{{"umaze", UMaze, 18}, {"medium", MediumMaze, 38}, {"large", LargeMaze, 62},
		{"open", Open, 20}} {
		t.Run(tc.name, func(t *testing.T) {
			m := newEnv(t, tc.layout, Sparse).Model()
			if m.Nq != 2 || m.Nv != 2 || m.Nu != 2 {
				t.Fatalf("nq nv nu = %d %d %d, want 2 2 2", m.Nq, m.Nv, m.Nu)
			}
			mass := 4.0 / 3 * math.Pi * 0.001 * 1000
			if got := m.Bodies[1].Mass; math.Abs(got-mass) > 1e-12 {
				t.Errorf("particle mass %v, want %v", got, mass)
			}
			for i, j := range m.Joints {
				if j.Damping != 1 || j.Limited {
					t.Errorf("joint %d: damping %v limited %v, want 1 false", i, j.Damping,
						j.Limited)
				}
			}
			for i, a := range m.Actuators {
				if a.Gear[0] != 100 || !a.CtrlLimited || a.CtrlRange != [2]float64{-1, 1} {
					t.Errorf("actuator %d: gear %v ctrl %v %v", i, a.Gear[0], a.CtrlLimited,
						a.CtrlRange)
				}
			}
			boxes := 0
			for _, g := range m.Geoms {
				if g.Type == physics.GeomBox {
					boxes++
					if g.Size != (physics.Vec3{0.5, 0.5, 0.2}) || g.Condim != 1 ||
						g.Margin != 0.002 {
						t.Errorf("wall %s: size %v condim %d margin %v", g.Name, g.Size,
							g.Condim, g.Margin)
					}
				}
			}
			if boxes != tc.walls {
				t.Errorf("%d wall boxes, want %d", boxes, tc.walls)
			}
		})
	}
}

// TestRewardAt checks both rewards against hand-computed values around the
// umaze goal (1, 1).
func TestRewardAt(t *testing.T) {
	sparse, dense := newEnv(t, UMaze, Sparse), newEnv(t, UMaze, Dense)
	for _, tc := range []struct {
		x, y, sparse, dense float64
	}{
		{1, 1, 1, 1},
		{1.3, 1.4, 1, math.Exp(-0.5)}, // distance exactly 0.5: inside
		{1.5, 1.0000001, 0, math.Exp(-math.Hypot(0.5, 0.0000001))},
		{3, 1, 0, math.Exp(-2)},
		{3, 3, 0, math.Exp(-math.Sqrt(8))},
	} {
		if got := sparse.rewardAt(tc.x, tc.y); got != tc.sparse {
			t.Errorf("sparse reward at (%v, %v) = %v, want %v", tc.x, tc.y, got, tc.sparse)
		}
		if got := dense.rewardAt(tc.x, tc.y); math.Abs(got-tc.dense) > 1e-15 {
			t.Errorf("dense reward at (%v, %v) = %v, want %v", tc.x, tc.y, got, tc.dense)
		}
	}
}

// freeMotion returns the state after n steps of the point mass under the
// constant force f from (x0, v0) with mass m, damping b and step h, by
// the closed form of MuJoCo's Euler step with implicit damping:
//
//	v' = v + h·(f − b·v)/(m + h·b),  x' = x + h·v'
//
// so v_n = v* + (v0 − v*)·rⁿ with v* = f/b, r = m/(m + h·b), and
// x_n = x0 + h·(n·v* + (v0 − v*)·r·(1 − rⁿ)/(1 − r)).
func freeMotion(x0, v0, f, m, b, h float64, n int) (x, v float64) {
	vs := f / b
	r := m / (m + h*b)
	rn := math.Pow(r, float64(n))
	v = vs + (v0-vs)*rn
	x = x0 + h*(float64(n)*vs+(v0-vs)*r*(1-rn)/(1-r))
	return x, v
}

// TestFreeMotion drives the ball across the open maze with a constant
// action (speeds stay below the 5 m/s clip, no wall is reached) and
// compares every step with the closed form, and the observation and
// reward of each step with the hand computation.
func TestFreeMotion(t *testing.T) {
	e := newEnv(t, Open, Dense)
	m := e.Model()
	mass := m.Bodies[1].Mass
	if _, _, err := e.Reset(0); err != nil {
		t.Fatal(err)
	}
	x0 := [2]float64{2, 3}
	v0 := [2]float64{0.2, -0.1}
	if err := e.SetState([]float64{x0[0], x0[1], v0[0], v0[1]}); err != nil {
		t.Fatal(err)
	}
	action := []float64{0.03, 0.05}
	for n := 1; n <= 100; n++ {
		res, err := e.Step(action)
		if err != nil {
			t.Fatal(err)
		}
		for k := range 2 {
			x, v := freeMotion(x0[k], v0[k], 100*action[k], mass, 1, 0.01, n)
			if math.Abs(res.Obs[k]-x) > 1e-9 || math.Abs(res.Obs[2+k]-v) > 1e-9 {
				t.Fatalf("step %d axis %d: x v = %.15g %.15g, closed form %.15g %.15g",
					n, k, res.Obs[k], res.Obs[2+k], x, v)
			}
		}
		dist := math.Hypot(res.Obs[0]-2, res.Obs[1]-3)
		if res.Reward != math.Exp(-dist) || res.Terminated || res.Truncated || res.Info != nil {
			t.Fatalf("step %d: reward %v terminated %v truncated %v info %v, want %v false "+
				"false nil", n, res.Reward, res.Terminated, res.Truncated, res.Info,
				math.Exp(-dist))
		}
	}
}

// TestActionAndVelocityClip checks that actions beyond [−1, 1] act as
// ±1 and that a velocity above 5 is clipped before the step.
func TestActionAndVelocityClip(t *testing.T) {
	e := newEnv(t, Open, Sparse)
	mass := e.Model().Bodies[1].Mass
	if _, _, err := e.Reset(0); err != nil {
		t.Fatal(err)
	}
	if err := e.SetState([]float64{2, 3, 9, -0.5}); err != nil {
		t.Fatal(err)
	}
	res, err := e.Step([]float64{7, -3})
	if err != nil {
		t.Fatal(err)
	}
	for k, tc := range []struct{ x0, v0, f float64 }{{2, 5, 100}, {3, -0.5, -100}} {
		x, v := freeMotion(tc.x0, tc.v0, tc.f, mass, 1, 0.01, 1)
		if math.Abs(res.Obs[k]-x) > 1e-12 || math.Abs(res.Obs[2+k]-v) > 1e-12 {
			t.Errorf("axis %d: x v = %v %v, want %v %v", k, res.Obs[k], res.Obs[2+k], x, v)
		}
	}
	if res.Obs[2] <= MaxSpeed {
		t.Errorf("post-step vx %v, want above %v (not clipped after the step)", res.Obs[2],
			MaxSpeed)
	}
}

// TestWallsStopBall pushes the ball at full force straight into walls.
// MuJoCo's soft contacts (solref 0.02 s, critically damped) let it in
// while it is stopped from speed: about v/(e·ω) with ω ≈ 51 rad/s, so
// 1.5 cm after a 0.2 m run-up and 4.5 cm at the 5 m/s clip (logged); at
// rest against the wall the ball must sit within
// 3 mm of touching it (the contact acts from the 2 mm margin on).
func TestWallsStopBall(t *testing.T) {
	for _, tc := range []struct {
		name   string
		layout string
		start  [2]float64
		action []float64
		axis   int
		limit  float64 // qpos at which the ball touches the wall
		sign   float64 // +1: the wall is on the positive side
	}{
		// umaze cell (1, 2); wall (2, 2) spans world x ≥ 2.5, so the
		// surface (qpos + 1.2 + 0.1) touches it at qpos x = 1.2.
		{"umaze +x", UMaze, [2]float64{1, 2}, []float64{1, 0}, 0, 1.2, 1},
		// umaze cell (1, 1); wall (1, 0) spans world y ≤ 1.5: qpos y = 0.4.
		{"umaze -y", UMaze, [2]float64{1, 1}, []float64{0, -1}, 1, 0.4, -1},
		// medium cell (1, 2); wall (1, 3) spans world y ≥ 3.5: qpos y = 2.2.
		{"medium +y", MediumMaze, [2]float64{1, 2}, []float64{0, 1}, 1, 2.2, 1},
		// large cell (1, 1); wall (0, 1) spans world x ≤ 1.5: qpos x = 0.4.
		{"large -x", LargeMaze, [2]float64{1, 1}, []float64{-1, 0}, 0, 0.4, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.layout, Sparse)
			if _, _, err := e.Reset(0); err != nil {
				t.Fatal(err)
			}
			if err := e.SetState([]float64{tc.start[0], tc.start[1], 0, 0}); err != nil {
				t.Fatal(err)
			}
			peak := math.Inf(-1)
			var last float64
			for range 300 {
				res, err := e.Step(tc.action)
				if err != nil {
					t.Fatal(err)
				}
				last = tc.sign * (res.Obs[tc.axis] - tc.limit)
				peak = math.Max(peak, last)
			}
			if peak > 0.05 {
				t.Errorf("ball went %.4g m into the wall, want ≤ 0.05", peak)
			}
			if math.Abs(last) > 0.003 {
				t.Errorf("ball at rest %.4g m from touching the wall, want within 0.003", last)
			}
			t.Logf("deepest %.3g m, at rest %.3g m", peak, last)
		})
	}
}

// TestResetDistribution checks that resets cover every free cell about
// equally often, with position noise within ±0.1 and velocity noise of
// standard deviation about 0.1.
func TestResetDistribution(t *testing.T) {
	e := newEnv(t, MediumMaze, Sparse)
	cells := e.Layout().resetCells()
	count := map[Cell]int{}
	const n = 20000
	var sumV, sumV2 float64
	for seed := range uint64(n) {
		obs, _, err := e.Reset(seed)
		if err != nil {
			t.Fatal(err)
		}
		c := Cell{int(math.Round(obs[0])), int(math.Round(obs[1]))}
		count[c]++
		if math.Abs(obs[0]-float64(c.I)) >= 0.1 || math.Abs(obs[1]-float64(c.J)) >= 0.1 {
			t.Fatalf("seed %d: position %v more than 0.1 from its cell", seed, obs[:2])
		}
		for _, v := range obs[2:] {
			sumV += v
			sumV2 += v * v
		}
	}
	if len(count) != len(cells) {
		t.Errorf("%d distinct reset cells, want %d", len(count), len(cells))
	}
	expect := float64(n) / float64(len(cells))
	chi2 := 0.0
	for _, c := range cells {
		d := float64(count[c]) - expect
		chi2 += d * d / expect
	}
	// 25 degrees of freedom: the 99.9% quantile is about 52.6.
	if chi2 > 52.6 {
		t.Errorf("chi-square of reset cells %.1f over %d cells, want ≤ 52.6", chi2, len(cells))
	}
	mean := sumV / (2 * n)
	std := math.Sqrt(sumV2/(2*n) - mean*mean)
	if math.Abs(mean) > 0.005 || math.Abs(std-0.1) > 0.005 {
		t.Errorf("reset velocity mean %v std %v, want 0 and 0.1", mean, std)
	}
}

// TestStepErrors checks the step-before-reset and invalid-action errors.
func TestStepErrors(t *testing.T) {
	e := newEnv(t, UMaze, Sparse)
	if _, err := e.Step([]float64{0, 0}); !errors.Is(err, envs.ErrNeedsReset) {
		t.Errorf("Step before Reset = %v, want ErrNeedsReset", err)
	}
	if _, _, err := e.Reset(1); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Step([]float64{0, math.NaN()}); !errors.Is(err, envs.ErrInvalidAction) {
		t.Errorf("Step(NaN) = %v, want ErrInvalidAction", err)
	}
}

// TestStepAllocations checks that Step allocates only the observation.
func TestStepAllocations(t *testing.T) {
	e := newEnv(t, LargeMaze, Dense)
	if _, _, err := e.Reset(3); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	a := []float64{0, 0}
	n := testing.AllocsPerRun(200, func() {
		a[0], a[1] = 2*rng.Float64()-1, 2*rng.Float64()-1
		if _, err := e.Step(a); err != nil {
			t.Fatal(err)
		}
	})
	if n != 1 {
		t.Errorf("Step allocates %v times, want 1 (the observation)", n)
	}
}

// TestRender checks the frame size and that ball, walls and goal appear.
func TestRender(t *testing.T) {
	e := newEnv(t, UMaze, Sparse)
	if _, _, err := e.Reset(2); err != nil {
		t.Fatal(err)
	}
	img, err := e.Render(100, 80)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 100 || b.Dy() != 80 {
		t.Fatalf("size %v", b)
	}
	// A 5×5 maze in 100×80: 16 px cells, 10 px side margins. The corner
	// cell (0, 0) is a wall; the goal cell (1, 1)'s target point is at
	// world (2.2, 2.2) → pixel (10 + 1.7·16, 1.7·16).
	if r, _, _, _ := img.At(18, 8).RGBA(); r>>8 != 90 {
		t.Errorf("pixel in wall (0, 0) has red %d, want 90", r>>8)
	}
	if _, g, _, _ := img.At(37, 27).RGBA(); g>>8 != 140 {
		t.Errorf("pixel at the target has green %d, want 140", g>>8)
	}
	if _, err := e.Render(0, 5); err == nil {
		t.Error("Render(0, 5) = nil error, want one")
	}
}
