package eval

import (
	"context"
	"math"
	"testing"

	"offrl/envs"
	"offrl/envs/registry"
)

type constantPolicy float64

func (c constantPolicy) Act(_ []float64, action []float64) {
	for i := range action {
		action[i] = float64(c)
	}
}

// Results are in episode order and identical whatever the worker count.
func TestRunIsDeterministicAcrossWorkers(t *testing.T) {
	newEnv := func() (envs.Env, error) { return registry.Make("Pendulum-v1") }
	one, err := Run(context.Background(), newEnv, constantPolicy(0.5), Options{Episodes: 6, Seed: 100, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	three, err := Run(context.Background(), newEnv, constantPolicy(0.5), Options{Episodes: 6, Seed: 100, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range one.Returns {
		if one.Returns[i] != three.Returns[i] || one.Lengths[i] != 200 {
			t.Fatalf("episode %d: return %v (1 worker) vs %v (3 workers), length %d",
				i, one.Returns[i], three.Returns[i], one.Lengths[i])
		}
	}
	if one.Returns[0] == one.Returns[1] {
		t.Fatal("episodes with different seeds gave the same return")
	}
	sum := 0.0
	for _, r := range one.Returns {
		sum += r
	}
	if math.Abs(one.ReturnMean-sum/6) > 1e-9 {
		t.Fatalf("ReturnMean %v, want %v", one.ReturnMean, sum/6)
	}
}

func TestRunReportsActionErrors(t *testing.T) {
	newEnv := func() (envs.Env, error) { return registry.Make("Pendulum-v1") }
	_, err := Run(context.Background(), newEnv, constantPolicy(math.NaN()), Options{Episodes: 2})
	if err == nil {
		t.Fatal("a policy emitting NaN evaluated without error")
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	newEnv := func() (envs.Env, error) { return registry.Make("Pendulum-v1") }
	if _, err := Run(ctx, newEnv, constantPolicy(0), Options{Episodes: 2}); err == nil {
		t.Fatal("a cancelled evaluation returned no error")
	}
}
