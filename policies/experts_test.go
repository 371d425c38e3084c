package policies

import (
	"math"
	"math/rand/v2"
	"testing"

	"offrl/envs/registry"
)

// TestMuJoCoExpertActions pins the scripted MuJoCo experts at chosen
// observations.
func TestMuJoCoExpertActions(t *testing.T) {
	// Reacher with q = (0, 0): the fingertip is at (0.21, 0).
	reacherAt := func(tipMinusTarget [2]float64, qvel [2]float64) []float64 {
		return []float64{1, 1, 0, 0, 0.21 - tipMinusTarget[0], -tipMinusTarget[1],
			qvel[0], qvel[1], tipMinusTarget[0], tipMinusTarget[1], 0}
	}
	tests := []struct {
		name string
		p    Policy
		obs  []float64
		want []float64
	}{
		// Upright and still: nothing to correct.
		{"pendulum upright", InvertedPendulumExpert{}, []float64{0, 0, 0, 0}, []float64{0}},
		// Pole tilted +0.1 rad: u = −K·x = 9.936·0.1, pushing the cart
		// under the pole.
		{"pendulum tilted", InvertedPendulumExpert{}, []float64{0, 0.1, 0, 0},
			[]float64{0.99361}},
		// Far out, the force saturates at the actuator range.
		{"pendulum clips", InvertedPendulumExpert{}, []float64{0, 0.5, 0, 2}, []float64{3}},
		{"double pendulum upright", InvertedDoublePendulumExpert{},
			[]float64{0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0}, []float64{0}},
		// Upper pole tilted 0.05 rad: u = −5.5687·0.05.
		{"double pendulum upper tilted", InvertedDoublePendulumExpert{},
			[]float64{0, 0, math.Sin(0.05), 1, math.Cos(0.05), 0, 0, 0, 0, 0, 0},
			[]float64{-0.27843}},
		// Upper pole tilted 0.5 rad: −2.78 saturates at the actuator range.
		{"double pendulum clips", InvertedDoublePendulumExpert{},
			[]float64{0, 0, math.Sin(0.5), 1, math.Cos(0.5), 0, 0, 0, 0, 0, 0}, []float64{-1}},
		// On the target and still: no torque.
		{"reacher on target", ReacherExpert{}, reacherAt([2]float64{0, 0}, [2]float64{}),
			[]float64{0, 0}},
		// On the target but moving: damping only, −kd·q̇.
		{"reacher damps", ReacherExpert{}, reacherAt([2]float64{0, 0}, [2]float64{1, -2}),
			[]float64{-reacherKD, 2 * reacherKD}},
		// Target straight ahead but closer (at 0.15): fold the elbow, the
		// shoulder turning the other way to keep the tip on the line.
		{"reacher folds", ReacherExpert{}, reacherAt([2]float64{0.06, 0}, [2]float64{}),
			[]float64{-0.20576, 0.38815}},
		// First step of the gait: sin 0 and sin(−lag), saturated at 3×.
		{"swimmer phase 0", NewSwimmerExpert(), make([]float64, 8),
			[]float64{0, clip1(-swimmerAmplitude * math.Sin(swimmerPhaseLag))}},
		// The heading bias is added to both torques.
		{"swimmer heading", NewSwimmerExpert(), []float64{0.1, 0, 0, 0, 0, 0, 0, 0},
			[]float64{0.1 * swimmerHeadingGain,
				clip1(-swimmerAmplitude*math.Sin(swimmerPhaseLag) + 0.1*swimmerHeadingGain)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			action := make([]float64, len(tt.want))
			for i := range action {
				action[i] = math.NaN()
			}
			tt.p.Act(tt.obs, nil, action) // experts never touch rng
			for i := range action {
				if math.Abs(action[i]-tt.want[i]) > 1e-4 {
					t.Errorf("Act(%v) = %v, want %v", tt.obs, action, tt.want)
					break
				}
			}
		})
	}
}

// TestSwimmerGaitPeriodic checks that the gait repeats after one period
// and that the period divides the episode, so episodes start in phase.
func TestSwimmerGaitPeriodic(t *testing.T) {
	s := NewSwimmerExpert()
	obs := make([]float64, 8)
	first, action := make([]float64, 2), make([]float64, 2)
	s.Act(obs, nil, first)
	for range swimmerPeriod - 1 {
		s.Act(obs, nil, action)
	}
	s.Act(obs, nil, action)
	if action[0] != first[0] || action[1] != first[1] {
		t.Errorf("step %d: %v, want step 0's %v", swimmerPeriod, action, first)
	}
	if 1000%swimmerPeriod != 0 {
		t.Errorf("period %d does not divide the 1000-step episode", swimmerPeriod)
	}
}

// TestMuJoCoExpertQuality pins what the MuJoCo experts promise over reset
// seeds 0..99: InvertedPendulum balanced for all 1000 steps in every
// episode, InvertedDoublePendulum within 1% of its 9360 maximum in every
// episode, Reacher above −5 and Swimmer above 200 on average.
func TestMuJoCoExpertQuality(t *testing.T) {
	tests := []struct {
		id              string
		p               Policy
		minEach, minAvg float64
	}{
		{"InvertedPendulum-v4", InvertedPendulumExpert{}, 1000, 1000},
		{"InvertedDoublePendulum-v4", InvertedDoublePendulumExpert{}, 9265, 9265},
		{"Reacher-v4", ReacherExpert{}, math.Inf(-1), -5},
		{"Swimmer-v4", NewSwimmerExpert(), math.Inf(-1), 200},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			env, err := registry.Make(tt.id)
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			action := make([]float64, env.ActionSpace().Dim())
			sum := 0.0
			const n = 100
			for seed := range uint64(n) {
				ret, err := runEpisode(env, tt.p, seed, nil, action)
				if err != nil {
					t.Fatal(err)
				}
				if ret < tt.minEach {
					t.Errorf("seed %d: return %.3f, want ≥ %v", seed, ret, tt.minEach)
				}
				sum += ret
			}
			if avg := sum / n; avg < tt.minAvg {
				t.Errorf("mean return %.3f, want ≥ %v", avg, tt.minAvg)
			}
		})
	}
}

// TestMuJoCoExpertsDoNotAllocate checks that Act allocates nothing, so
// collecting large datasets puts no load on the garbage collector.
func TestMuJoCoExpertsDoNotAllocate(t *testing.T) {
	tests := []struct {
		name   string
		p      Policy
		obsDim int
		actDim int
	}{
		{"InvertedPendulum", InvertedPendulumExpert{}, 4, 1},
		{"InvertedDoublePendulum", InvertedDoublePendulumExpert{}, 11, 1},
		{"Reacher", ReacherExpert{}, 11, 2},
		{"Swimmer", NewSwimmerExpert(), 8, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs, action := make([]float64, tt.obsDim), make([]float64, tt.actDim)
			obs[0] = 0.01
			rng := rand.New(rand.NewPCG(1, 2))
			if n := testing.AllocsPerRun(100, func() { tt.p.Act(obs, rng, action) }); n != 0 {
				t.Errorf("Act allocates %v times per call", n)
			}
		})
	}
}
