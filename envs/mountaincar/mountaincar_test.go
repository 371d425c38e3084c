package mountaincar_test

import (
	"errors"
	"image/color"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"offrl/envs"
	"offrl/envs/envtest"
	"offrl/envs/mountaincar"
	"offrl/envs/registry"
)

func TestContract(t *testing.T) {
	envtest.Check(t, func() envs.Env { return mountaincar.New() })
}

func TestStateFromObservation(t *testing.T) {
	envtest.CheckStateFromObservation(t, func() envs.Env { return mountaincar.New() },
		envtest.RebuildOptions{Observe: func(e envs.Env) []float64 {
			return mountaincar.Observation(e.(*mountaincar.Env))
		}})
}

func TestContractWithTimeLimit(t *testing.T) {
	envtest.Check(t, func() envs.Env {
		env, err := registry.Make("MountainCarContinuous-v0")
		if err != nil {
			t.Fatalf("registry.Make(%q) = %v", "MountainCarContinuous-v0", err)
		}
		return env
	})
}

// f32 rounds x to float32, the precision of the stored state.
func f32(x float64) float64 { return float64(float32(x)) }

// newAt returns a reset environment placed in state [position, velocity].
func newAt(t *testing.T, position, velocity float64) *mountaincar.Env {
	t.Helper()
	env := mountaincar.New()
	if _, _, err := env.Reset(0); err != nil {
		t.Fatalf("Reset(0) = %v", err)
	}
	if err := env.SetState([]float64{position, velocity}); err != nil {
		t.Fatalf("SetState(%v, %v) = %v", position, velocity, err)
	}
	return env
}

// TestStepFromState pins single steps from chosen states. Expected values
// were worked out from the update of continuous_mountain_car.py:
//
//	v' = clip(v + 0.0015·clip(a, −1, 1) − 0.0025·cos(3p), ±0.07)
//	p' = clip(p + v', −1.2, 0.6);  v' = 0 if p' = −1.2 and v' < 0
//	terminated = p' ≥ 0.45 and v' ≥ 0;  r = 100·terminated − 0.1·a²
//
// with the state rounded to float32 before and after the step. Reward,
// termination and observation all come from the post-step state
// (pitfall B32).
func TestStepFromState(t *testing.T) {
	tests := []struct {
		name               string
		position, velocity float64
		action             float64
		reward             float64
		terminated         bool
		nextPos, nextVel   float64
	}{
		// Pitfall B25, first case: v' = 0.07 + 0.0015 − 0.0025·cos(1.32)
		// ≈ 0.07088, clipped to 0.07; p' = 0.44 + 0.07 = 0.51 ≥ 0.45.
		{"B25 reaches the goal", 0.44, 0.07, 1, 99.9, true, f32(0.51), f32(0.07)},
		// Pitfall B25, second case: v' ≈ −0.00926, p' clamps at −1.2 and
		// the wall stops the car.
		{"B25 inelastic left wall", -1.2, -0.01, -1, -0.1, false, f32(-1.2), 0},
		// At the wall at rest, gravity (cos(−3.6) < 0) pulls right harder
		// than full reverse force: v' = −0.0015 + 0.0022419 > 0.
		{"wall, slope pulls right", -1.2, 0, -1, -0.1, false, f32(-1.1992582082748413), f32(0.0007418958703055978)},
		// Past the goal position but rolling back: not terminal.
		{"past goal moving left", 0.5, -0.001, 0, 0, false, f32(0.4988231658935547), f32(-0.0011768430704250932)},
		// Just short of the goal: p' ≈ 0.449094 < 0.45.
		{"just short of goal", 0.4, 0.05, 0, 0, false, f32(0.44909411668777466), f32(0.04909410700201988)},
		// Right bound: p' = 0.66 clips to 0.6; still terminal.
		{"right bound", 0.59, 0.07, 1, 99.9, true, f32(0.6), f32(0.07)},
		// a = 3 pushes like a = 1 but costs 0.1·9 = 0.9.
		{"force clipped, cost unclipped", -0.5, 0, 3, -0.9, false, f32(-0.4986768364906311), f32(0.0013231569901108742)},
		// Speed clip at −0.07.
		{"speed clipped", 0, -0.07, -1, -0.1, false, f32(-0.07), f32(-0.07)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newAt(t, tt.position, tt.velocity)
			res, err := env.Step([]float64{tt.action})
			if err != nil {
				t.Fatalf("Step(%v) = %v", tt.action, err)
			}
			if math.Abs(res.Reward-tt.reward) > 1e-9 || res.Terminated != tt.terminated {
				t.Errorf("Step(%v) from (%v, %v) = reward %v terminated %v, want %v %v",
					tt.action, tt.position, tt.velocity, res.Reward, res.Terminated,
					tt.reward, tt.terminated)
			}
			if res.Truncated {
				t.Errorf("Step(%v) truncated, want false without a time limit", tt.action)
			}
			if res.Obs[0] != tt.nextPos || res.Obs[1] != tt.nextVel {
				t.Errorf("Step(%v) from (%v, %v) observation = %v, want [%v %v]",
					tt.action, tt.position, tt.velocity, res.Obs, tt.nextPos, tt.nextVel)
			}
			if s := env.State(); s[0] != res.Obs[0] || s[1] != res.Obs[1] {
				t.Errorf("State() = %v, want the observation %v", s, res.Obs)
			}
		})
	}
}

func TestStepAfterGoalNeedsReset(t *testing.T) {
	env := newAt(t, 0.44, 0.07)
	if res, err := env.Step([]float64{1}); err != nil || !res.Terminated {
		t.Fatalf("Step = %+v, %v; want terminated", res, err)
	}
	if _, err := env.Step([]float64{0}); !errors.Is(err, envs.ErrNeedsReset) {
		t.Errorf("Step after termination = %v, want an error wrapping ErrNeedsReset", err)
	}
}

func TestResetRange(t *testing.T) {
	env := mountaincar.New()
	for seed := range uint64(10000) {
		obs, _, err := env.Reset(seed)
		if err != nil {
			t.Fatalf("Reset(%d) = %v", seed, err)
		}
		if !(obs[0] >= f32(-0.6) && obs[0] <= f32(-0.4)) || obs[1] != 0 {
			t.Fatalf("Reset(%d) = %v, want position in [-0.6, -0.4], velocity 0", seed, obs)
		}
		if obs[0] != f32(obs[0]) {
			t.Fatalf("Reset(%d) position %v is not a float32 value", seed, obs[0])
		}
	}
}

func TestTruncationAt999(t *testing.T) {
	env, err := registry.Make("MountainCarContinuous-v0")
	if err != nil {
		t.Fatal(err)
	}
	// A zero force never leaves the valley, so only the time limit ends it.
	if _, _, err := env.Reset(4); err != nil {
		t.Fatal(err)
	}
	for step := 1; step <= 999; step++ {
		res, err := env.Step([]float64{0})
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if res.Terminated || res.Truncated != (step == 999) {
			t.Fatalf("step %d: terminated %v truncated %v, want false %v",
				step, res.Terminated, res.Truncated, step == 999)
		}
	}
	if _, err := env.Step([]float64{0}); !errors.Is(err, envs.ErrNeedsReset) {
		t.Errorf("step 1000 = %v, want an error wrapping ErrNeedsReset", err)
	}
}

// TestInvalidActionLeavesState covers pitfall B08.
func TestInvalidActionLeavesState(t *testing.T) {
	tests := []struct {
		name   string
		action []float64
		want   string
	}{
		{"NaN", []float64{math.NaN()}, "NaN"},
		{"+Inf", []float64{math.Inf(1)}, "+Inf"},
		{"-Inf", []float64{math.Inf(-1)}, "-Inf"},
		{"nil", nil, "length 0, want 1"},
		{"two components", []float64{1, 1}, "length 2, want 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newAt(t, -0.3, 0.01)
			before := env.State()
			_, err := env.Step(tt.action)
			if !errors.Is(err, envs.ErrInvalidAction) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Step(%v) = %v, want ErrInvalidAction naming %q", tt.action, err, tt.want)
			}
			if s := env.State(); s[0] != before[0] || s[1] != before[1] {
				t.Errorf("state after Step(%v) = %v, want %v", tt.action, s, before)
			}
		})
	}
}

// TestObservationMatchesSpace covers pitfall B19: with float32 state the
// car can sit at float32(−1.2) < −1.2, which the float32 bounds admit.
func TestObservationMatchesSpace(t *testing.T) {
	env := mountaincar.New()
	space := env.ObservationSpace()
	rng := rand.New(rand.NewPCG(9, 9))
	obs, _, _ := env.Reset(1)
	for step := range 2000 {
		if len(obs) != space.Dim() || !space.Contains(obs) {
			t.Fatalf("step %d: observation %v does not fit space %+v", step, obs, space)
		}
		// Mostly reverse, to spend time at the left wall.
		res, err := env.Step([]float64{2*rng.Float64() - 1.5})
		if err != nil {
			t.Fatal(err)
		}
		obs = res.Obs
		if res.Terminated {
			obs, _, _ = env.Reset(uint64(step))
		}
	}
	wall := newAt(t, -1.2, -0.05)
	res, _ := wall.Step([]float64{-1})
	if !space.Contains(res.Obs) || res.Obs[0] != f32(-1.2) {
		t.Errorf("observation at the wall %v, want [float32(-1.2) 0] inside %+v", res.Obs, space)
	}
}

func TestRender(t *testing.T) {
	white := color.RGBA{255, 255, 255, 255}
	tests := []struct {
		name          string
		width, height int
	}{
		{"gymnasium size", 600, 400},
		{"square", 64, 64},
		{"small", 24, 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newAt(t, -0.5, 0)
			img, err := env.Render(tt.width, tt.height)
			if err != nil {
				t.Fatal(err)
			}
			b := img.Bounds()
			if b.Dx() != tt.width || b.Dy() != tt.height {
				t.Fatalf("Render(%d, %d) size = %v", tt.width, tt.height, b)
			}
			painted := 0
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					if img.At(x, y) != white {
						painted++
					}
				}
			}
			if painted == 0 || painted == tt.width*tt.height {
				t.Errorf("Render(%d, %d) painted %d of %d pixels, want a drawing",
					tt.width, tt.height, painted, tt.width*tt.height)
			}
		})
	}
	if _, err := mountaincar.New().Render(10, -1); err == nil {
		t.Errorf("Render(10, -1) = nil error, want an error")
	}
}

func TestHeight(t *testing.T) {
	tests := []struct{ x, want float64 }{
		{0, 0.55},
		{math.Pi / 6, 1.0},
		{-math.Pi / 6, 0.1},
	}
	for _, tt := range tests {
		if got := mountaincar.Height(tt.x); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("Height(%v) = %v, want %v", tt.x, got, tt.want)
		}
	}
}

func BenchmarkMountainCarStep(b *testing.B) {
	env := mountaincar.New()
	if _, _, err := env.Reset(1); err != nil {
		b.Fatal(err)
	}
	action := []float64{0.25}
	steps := 0
	for b.Loop() {
		res, err := env.Step(action)
		if err != nil {
			b.Fatal(err)
		}
		if res.Terminated {
			if _, _, err := env.Reset(uint64(steps)); err != nil {
				b.Fatal(err)
			}
		}
		steps++
	}
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
}
