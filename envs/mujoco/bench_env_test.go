package mujoco_test

import (
	"math/rand/v2"
	"testing"

	"offrl/envs/registry"
)

// envBenchIDs are the seven tasks, in the order tools/bench-envs.sh prints.
var envBenchIDs = []string{
	"HalfCheetah-v4", "Hopper-v4", "Walker2d-v4", "InvertedPendulum-v4",
	"InvertedDoublePendulum-v4", "Reacher-v4", "Swimmer-v4",
}

// BenchmarkEnvStep measures env steps per second of the registered
// environment (time limit included) under uniform random actions, single
// thread, resetting when an episode ends, as `mjoracle bench` does for
// MuJoCo (tools/bench-envs.sh puts the two side by side). The cost of the
// resets and of drawing the actions is included, as in the oracle.
func BenchmarkEnvStep(b *testing.B) {
	for _, id := range envBenchIDs {
		b.Run(id, func(b *testing.B) {
			env, err := registry.Make(id)
			if err != nil {
				b.Fatal(err)
			}
			box := env.ActionSpace()
			rng := rand.New(rand.NewPCG(1, 2))
			action := make([]float64, box.Dim())
			seed := uint64(0)
			if _, _, err := env.Reset(seed); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				for i := range action {
					action[i] = box.Low[i] + (box.High[i]-box.Low[i])*rng.Float64()
				}
				res, err := env.Step(action)
				if err != nil {
					b.Fatal(err)
				}
				if res.Terminated || res.Truncated {
					seed++
					if _, _, err := env.Reset(seed); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
		})
	}
}
