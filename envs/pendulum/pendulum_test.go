package pendulum_test

import (
	"errors"
	"image/color"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"offrl/envs"
	"offrl/envs/envtest"
	"offrl/envs/pendulum"
	"offrl/envs/registry"
)

func TestContract(t *testing.T) {
	envtest.Check(t, func() envs.Env { return pendulum.New() })
}

func TestContractWithTimeLimit(t *testing.T) {
	envtest.Check(t, func() envs.Env {
		env, err := registry.Make("Pendulum-v1")
		if err != nil {
			t.Fatalf("registry.Make(%q) = %v", "Pendulum-v1", err)
		}
		return env
	})
}

func TestStateFromObservation(t *testing.T) {
	envtest.CheckStateFromObservation(t, func() envs.Env { return pendulum.New() },
		envtest.RebuildOptions{Observe: func(e envs.Env) []float64 {
			return pendulum.Observation(e.(*pendulum.Env))
		}})
}

// TestStateFromObservationUnwrapsAngles pins that the rebuilt angle is
// the wrapped one: the observation cannot tell θ from θ + 2π.
func TestStateFromObservationUnwrapsAngles(t *testing.T) {
	env := newAt(t, 2*math.Pi+0.5, -3)
	state, err := env.StateFromObservation(pendulum.Observation(env))
	if err != nil || len(state) != 2 || math.Abs(state[0]-0.5) > 1e-12 || state[1] != -3 {
		t.Errorf("StateFromObservation(obs of [2π+0.5, −3]) = %v, %v; want [0.5 −3], nil",
			state, err)
	}
	if _, err := env.StateFromObservation([]float64{0, 0, 1}); err == nil ||
		!strings.Contains(err.Error(), "norm") {
		t.Errorf("StateFromObservation([0 0 1]) = %v, want an error naming the norm", err)
	}
}

// newAt returns a reset environment placed in state [theta, thetaDot].
func newAt(t *testing.T, theta, thetaDot float64) *pendulum.Env {
	t.Helper()
	env := pendulum.New()
	if _, _, err := env.Reset(0); err != nil {
		t.Fatalf("Reset(0) = %v", err)
	}
	if err := env.SetState([]float64{theta, thetaDot}); err != nil {
		t.Fatalf("SetState(%v, %v) = %v", theta, thetaDot, err)
	}
	return env
}

// TestStepFromState pins the reward and the next state of single steps
// from chosen states. The expected values were worked out by hand from
// the equations of Gymnasium's pendulum.py (g = 10, m = l = 1, dt = 0.05):
//
//	cost = normalize(θ)² + 0.1·θ̇² + 0.001·u²,  u = clip(a, −2, 2)
//	θ̇'  = clip(θ̇ + (15·sin θ + 3u)·0.05, −8, 8),  θ' = θ + 0.05·θ̇'
//
// The reward comes from the state BEFORE the step (pitfall B32).
func TestStepFromState(t *testing.T) {
	const pi = math.Pi
	tests := []struct {
		name               string
		theta, thetaDot, a float64
		reward             float64
		nextTheta, nextDot float64
	}{
		// Upright and still is the equilibrium: no cost, no motion.
		{"upright at rest", 0, 0, 0, 0, 0, 0},
		// cost = (π/2)²; θ̇' = 15·0.05 = 0.75; θ' = π/2 + 0.0375.
		{"horizontal", pi / 2, 0, 0, -pi * pi / 4, pi/2 + 0.0375, 0.75},
		// cost = 1 + 0.4 + 0.00225; θ̇' = 2 + (15 sin 1 + 4.5)·0.05.
		{"generic", 1, 2, 1.5, -1.40225, 1.142805161930, 2.856103238606},
		// a = 5 is clipped to 2: cost = 0.09 + 0.1 + 0.004.
		{"torque clipped at +2", 0.3, -1, 5, -0.194, 0.276082007750, -0.478359845004},
		// a = −7 is clipped to −2: the mirror image of the case above.
		{"torque clipped at -2", -0.3, 1, -7, -0.194, -0.276082007750, 0.478359845004},
		// θ̇ = 7.9 + (15 + 6)·0.05 = 8.95 is clipped to 8; θ' = π/2 + 0.4.
		{"speed clipped at +8", pi / 2, 7.9, 2, -(pi*pi/4 + 6.241 + 0.004), pi/2 + 0.4, 8},
		{"speed clipped at -8", -pi / 2, -7.9, -2, -(pi*pi/4 + 6.241 + 0.004), -pi/2 - 0.4, -8},
		// Pitfall B22: both angles normalise to ±(π/2 + 0.1), so both cost
		// (π/2 + 0.1)² ≈ 2.7916 (math.Mod would give (−3π/2 + 0.1)² ≈ 21.27).
		{"B22 theta -3pi/2+0.1", -3*pi/2 + 0.1, 0, 0, -2.791560365631, -4.575076324187, 0.746253123959},
		{"B22 theta +3pi/2-0.1", 3*pi/2 - 0.1, 0, 0, -2.791560365631, 4.575076324187, -0.746253123959},
		// θ = 7 normalises to 7 − 2π; θ is not wrapped in the next state.
		{"unwrapped theta 7", 7, 0.5, -1, -0.539823303843, 7.042136997452, 0.842739949039},
		// (±π + π) mod 2π = 0, so both ends of the range cost π².
		{"theta = pi", pi, 0, 0, -pi * pi, pi, 15 * math.Sin(pi) * 0.05},
		{"theta = -pi", -pi, 0, 0, -pi * pi, -pi, 15 * math.Sin(-pi) * 0.05},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newAt(t, tt.theta, tt.thetaDot)
			res, err := env.Step([]float64{tt.a})
			if err != nil {
				t.Fatalf("Step(%v) = %v", tt.a, err)
			}
			if math.Abs(res.Reward-tt.reward) > 1e-6 {
				t.Errorf("Step(%v) from (%v, %v) reward = %.9f, want %.9f",
					tt.a, tt.theta, tt.thetaDot, res.Reward, tt.reward)
			}
			state := env.State()
			if math.Abs(state[0]-tt.nextTheta) > 1e-6 || math.Abs(state[1]-tt.nextDot) > 1e-6 {
				t.Errorf("Step(%v) from (%v, %v) state = %v, want [%v %v]",
					tt.a, tt.theta, tt.thetaDot, state, tt.nextTheta, tt.nextDot)
			}
			wantObs := []float64{math.Cos(state[0]), math.Sin(state[0]), state[1]}
			for i := range wantObs {
				if res.Obs[i] != wantObs[i] {
					t.Errorf("observation = %v, want %v (post-step state)", res.Obs, wantObs)
					break
				}
			}
			if res.Terminated || res.Truncated {
				t.Errorf("Step flags terminated=%v truncated=%v, want both false",
					res.Terminated, res.Truncated)
			}
		})
	}
}

// TestClippedTorqueEqualsBound checks that an out-of-range torque acts and
// costs exactly like the bound it is clipped to.
func TestClippedTorqueEqualsBound(t *testing.T) {
	tests := []struct {
		name          string
		action, bound float64
	}{
		{"above", 3.5, 2},
		{"far above", 1e9, 2},
		{"below", -2.0001, -2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clipped, _ := newAt(t, 0.7, -0.4).Step([]float64{tt.action})
			atBound, _ := newAt(t, 0.7, -0.4).Step([]float64{tt.bound})
			if clipped.Reward != atBound.Reward || clipped.Obs[2] != atBound.Obs[2] {
				t.Errorf("Step(%v) = (%v, %v), want Step(%v) = (%v, %v)", tt.action,
					clipped.Reward, clipped.Obs, tt.bound, atBound.Reward, atBound.Obs)
			}
		})
	}
}

func TestResetRange(t *testing.T) {
	env := pendulum.New()
	for seed := range uint64(10000) {
		obs, _, err := env.Reset(seed)
		if err != nil {
			t.Fatalf("Reset(%d) = %v", seed, err)
		}
		s := env.State()
		if !(s[0] >= -math.Pi && s[0] < math.Pi) || !(s[1] >= -1 && s[1] <= 1) {
			t.Fatalf("Reset(%d) state = %v, want theta in [-pi, pi), thetadot in [-1, 1]", seed, s)
		}
		if obs[0] != math.Cos(s[0]) || obs[1] != math.Sin(s[0]) || obs[2] != s[1] {
			t.Fatalf("Reset(%d) observation %v does not match state %v", seed, obs, s)
		}
	}
}

func TestTruncationAt200NeverTerminated(t *testing.T) {
	env, err := registry.Make("Pendulum-v1")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for episode := range uint64(3) {
		if _, _, err := env.Reset(episode); err != nil {
			t.Fatal(err)
		}
		for step := 1; step <= 200; step++ {
			res, err := env.Step([]float64{4*rng.Float64() - 2})
			if err != nil {
				t.Fatalf("episode %d step %d: %v", episode, step, err)
			}
			if res.Terminated {
				t.Fatalf("episode %d step %d: terminated, want never", episode, step)
			}
			if res.Truncated != (step == 200) {
				t.Fatalf("episode %d step %d: truncated = %v, want %v",
					episode, step, res.Truncated, step == 200)
			}
		}
		if _, err := env.Step([]float64{0}); !errors.Is(err, envs.ErrNeedsReset) {
			t.Errorf("step 201 = %v, want an error wrapping ErrNeedsReset", err)
		}
	}
}

// TestInvalidActionLeavesState covers pitfall B08: a malformed action is
// rejected with an error naming it before any physics runs.
func TestInvalidActionLeavesState(t *testing.T) {
	tests := []struct {
		name   string
		action []float64
		want   string
	}{
		{"NaN", []float64{math.NaN()}, "NaN"},
		{"+Inf", []float64{math.Inf(1)}, "+Inf"},
		{"-Inf", []float64{math.Inf(-1)}, "-Inf"},
		{"empty", []float64{}, "length 0, want 1"},
		{"two components", []float64{0, 0}, "length 2, want 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newAt(t, 0.5, -0.25)
			_, err := env.Step(tt.action)
			if !errors.Is(err, envs.ErrInvalidAction) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Step(%v) = %v, want ErrInvalidAction naming %q", tt.action, err, tt.want)
			}
			if s := env.State(); s[0] != 0.5 || s[1] != -0.25 {
				t.Errorf("state after Step(%v) = %v, want [0.5 -0.25]", tt.action, s)
			}
		})
	}
}

func TestSetStateRejects(t *testing.T) {
	tests := []struct {
		name  string
		state []float64
		want  string
	}{
		{"short", []float64{1}, "length 1"},
		{"NaN theta", []float64{math.NaN(), 0}, "theta = NaN"},
		{"Inf thetadot", []float64{0, math.Inf(1)}, "thetadot = +Inf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newAt(t, 0.5, -0.25)
			err := env.SetState(tt.state)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("SetState(%v) = %v, want an error naming %q", tt.state, err, tt.want)
			}
		})
	}
}

// TestObservationMatchesSpace covers pitfall B19.
func TestObservationMatchesSpace(t *testing.T) {
	env := pendulum.New()
	space := env.ObservationSpace()
	obs, _, _ := env.Reset(3)
	rng := rand.New(rand.NewPCG(2, 2))
	for step := range 100 {
		if len(obs) != space.Dim() || !space.Contains(obs) {
			t.Fatalf("step %d: observation %v does not fit space %+v", step, obs, space)
		}
		res, err := env.Step([]float64{4*rng.Float64() - 2})
		if err != nil {
			t.Fatal(err)
		}
		obs = res.Obs
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name          string
		theta         float64
		width, height int
		rodX, rodY    int // a pixel that must show the rod
		emptyX, emptY int // a pixel that must show the background
	}{
		{"upright", 0, 100, 100, 50, 15, 50, 85},
		{"hanging", math.Pi, 100, 100, 50, 85, 50, 15},
		{"left, wide frame", math.Pi / 2, 200, 100, 70, 50, 130, 50},
	}
	white := color.RGBA{255, 255, 255, 255}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newAt(t, tt.theta, 0)
			img, err := env.Render(tt.width, tt.height)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != tt.width || b.Dy() != tt.height {
				t.Fatalf("Render(%d, %d) size = %v", tt.width, tt.height, b)
			}
			if img.At(tt.rodX, tt.rodY) == white {
				t.Errorf("pixel (%d, %d) is background, want the rod", tt.rodX, tt.rodY)
			}
			if img.At(tt.emptyX, tt.emptY) != white {
				t.Errorf("pixel (%d, %d) = %v, want background", tt.emptyX, tt.emptY,
					img.At(tt.emptyX, tt.emptY))
			}
		})
	}
	if _, err := pendulum.New().Render(0, 10); err == nil {
		t.Errorf("Render(0, 10) = nil error, want an error")
	}
}

func BenchmarkPendulumStep(b *testing.B) {
	env := pendulum.New()
	if _, _, err := env.Reset(1); err != nil {
		b.Fatal(err)
	}
	action := []float64{0.5}
	steps := 0
	for b.Loop() {
		if _, err := env.Step(action); err != nil {
			b.Fatal(err)
		}
		steps++
	}
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
}

func BenchmarkPendulumRender(b *testing.B) {
	env := pendulum.New()
	if _, _, err := env.Reset(1); err != nil {
		b.Fatal(err)
	}
	frames := 0
	for b.Loop() {
		if _, err := env.Render(500, 500); err != nil {
			b.Fatal(err)
		}
		frames++
	}
	b.ReportMetric(float64(frames)/b.Elapsed().Seconds(), "frames/s")
}
