package a2pr_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"offrl/collect"
	"offrl/train"
)

// A2PR, through the training loop, learns a Pendulum policy from a small
// medium-quality dataset (collected here) that scores above the dataset
// itself. Networks are narrowed so that the run takes well under 30 s on
// one core; skipped under -short.
func TestLearnsPendulumBeyondDataset(t *testing.T) {
	if testing.Short() {
		t.Skip("a training run of several seconds; skipped under -short")
	}
	data := filepath.Join(t.TempDir(), "pendulum-medium-v0")
	if _, err := collect.Run(context.Background(), collect.Options{
		EnvID: "Pendulum-v1", Kind: "medium", Steps: 10_000, Seed: 1, Out: data}); err != nil {
		t.Fatal(err)
	}
	cfg := train.DefaultConfig()
	cfg.Algo, cfg.Dataset, cfg.Seed = "a2pr", data, 1
	cfg.Steps, cfg.EvalEvery, cfg.LogEvery, cfg.EvalEpisodes, cfg.BatchSize = 10_000, 2500, 500, 10, 64
	cfg.A2PR.ActorHidden = []int{64, 64, 64}
	cfg.A2PR.CriticHidden = []int{64, 64, 64, 64}
	cfg.A2PR.ValueHidden = []int{64, 64, 64, 64}
	cfg.A2PR.VAE.Hidden = []int{128, 128}
	start := time.Now()
	run := filepath.Join(t.TempDir(), "run")
	sum, err := train.Run(context.Background(), cfg, run, train.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d updates in %v: normalised score %.1f, dataset %.1f (history %+v)",
		sum.Step, time.Since(start).Round(time.Millisecond), sum.Score, sum.DatasetScore, sum.History)
	if !(sum.Score > sum.DatasetScore+20) {
		t.Errorf("normalised score %.1f, want 20 above the dataset's %.1f", sum.Score, sum.DatasetScore)
	}
}
