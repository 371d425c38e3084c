package collect

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"offrl/envs/registry"
	"offrl/nn"
	"offrl/policies"
)

// BenchmarkCollect splits collection throughput: simulate plays the
// behaviour policy in the environment and keeps nothing (physics and
// policy), collect is Run writing the same transitions as a dataset
// (Parquet, compression, state columns). Both report transitions/s; their
// ratio is the share of time writing adds.
//
//	go test -run ^$ -bench Collect -benchtime 20000x ./collect
func BenchmarkCollect(b *testing.B) {
	for _, c := range []struct{ env, kind string }{
		{"Hopper-v4", "random"},
		{"HalfCheetah-v4", "random"},
		{"InvertedDoublePendulum-v4", "expert"},
		{"Pendulum-v1", "expert"},
	} {
		name := fmt.Sprintf("%s-%s", c.env, c.kind)
		policy, err := policies.ForKind(c.env, c.kind)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/simulate", func(b *testing.B) { simulate(b, c.env, policy) })
		b.Run(name+"/collect", func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "d")
			b.ResetTimer()
			if _, err := Run(context.Background(), Options{EnvID: c.env, Kind: c.kind, Steps: b.N,
				Out: out}); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transitions/s")
		})
	}
	// A trained locomotion expert costs an actor forward pass per step:
	// a 256-256 SAC actor (random weights: the cost is the same).
	b.Run("HalfCheetah-v4-sac-actor/simulate", func(b *testing.B) {
		simulate(b, "HalfCheetah-v4", sacSizedActor(b, 17, 6))
	})
}

// simulate steps env with policy for b.N transitions, resetting at
// episode ends.
func simulate(b *testing.B, envID string, policy policies.Policy) {
	env, err := registry.Make(envID)
	if err != nil {
		b.Fatal(err)
	}
	defer env.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	act := make([]float64, env.ActionSpace().Dim())
	obs, _, err := env.Reset(0)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		policy.Act(obs, rng, act)
		st, err := env.Step(act)
		if err != nil {
			b.Fatal(err)
		}
		obs = st.Obs
		if st.Terminated || st.Truncated {
			if obs, _, err = env.Reset(uint64(i)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transitions/s")
}

func sacSizedActor(b *testing.B, obsDim, actDim int) policies.Policy {
	rng := rand.New(rand.NewPCG(3, 4))
	spec := policies.ActorSpec{ObsDim: obsDim, ActDim: actDim, Hidden: []int{256, 256}, MaxAction: 1,
		LogStdMin: -20, LogStdMax: 2}
	trunk := nn.NewMLP("actor.trunk", []int{obsDim, 256, 256}, nn.ReLU, nn.ReLU, rng)
	mu := nn.NewMLP("actor.mu", []int{256, actDim}, nn.Identity, nn.Identity, rng)
	ls := nn.NewMLP("actor.log_std", []int{256, actDim}, nn.Identity, nn.Identity, rng)
	path := filepath.Join(b.TempDir(), "actor.safetensors")
	if err := policies.SaveTanhGaussian(path, spec, trunk, mu, ls, nil); err != nil {
		b.Fatal(err)
	}
	p, err := policies.LoadTanhGaussian(path)
	if err != nil {
		b.Fatal(err)
	}
	return p
}
