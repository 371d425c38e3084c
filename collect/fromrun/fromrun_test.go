package fromrun

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"offrl/datasets"
	"offrl/policies"
	"offrl/train"
)

// tinyRun trains a small SAC run on Hopper-v4 for 300 steps, with a
// policy snapshot at step 300.
func tinyRun(t *testing.T, runDir string) {
	t.Helper()
	cfg := train.DefaultConfig()
	cfg.Algo, cfg.Env, cfg.Steps, cfg.StartSteps, cfg.BufferSize = "sac", "Hopper-v4", 300, 100, 1000
	cfg.EvalEvery, cfg.LogEvery, cfg.EvalEpisodes, cfg.BatchSize = 300, 100, 1, 16
	cfg.SAC.Hidden = []int{16}
	if _, err := train.Run(context.Background(), cfg, runDir, train.Options{}); err != nil {
		t.Fatal(err)
	}
}

// An existing dataset is refused before any retraining, which can take
// hours, and nothing is trained.
func TestWriteRefusesAnExistingOutputFirst(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "hopper-medium-replay-v1")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Write(context.Background(), Options{Env: "Hopper-v4", Kind: "medium-replay", DataDir: dir, Out: out})
	if !errors.Is(err, datasets.ErrExists) || !strings.Contains(err.Error(), out) {
		t.Fatalf("err %v, want ErrExists naming %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "behaviour-runs")); !os.IsNotExist(err) {
		t.Fatalf("behaviour-runs exists after the refusal (err %v)", err)
	}
}

// A run in the cache's behaviour-runs whose snapshot is not the shipped
// policy is refused, also when it is already trained far enough: a
// retraining refused once (another CPU, another binary) must not be
// accepted on the next attempt.
func TestShippedRunMustReachTheShippedPolicy(t *testing.T) {
	entry, ok := policies.Trained("Hopper-v4")
	if !ok {
		t.Skip("no shipped Hopper-v4 policies")
	}
	dir := t.TempDir()
	tinyRun(t, filepath.Join(dir, "behaviour-runs", entry.Run))
	for _, kind := range []string{"medium-replay", "full-replay"} {
		_, _, err := Source(context.Background(), Options{Env: "Hopper-v4", Kind: kind, Rows: 300, DataDir: dir})
		if err == nil || !strings.Contains(err.Error(), "another policy") {
			t.Errorf("%s: err %v, want a refusal naming another policy", kind, err)
		}
	}
}

// With a run of the caller's own, the rows must be given and the run must
// be of the same environment.
func TestSourceFromRun(t *testing.T) {
	dir := t.TempDir()
	runDir := filepath.Join(dir, "run")
	tinyRun(t, runDir)
	got, rows, err := Source(context.Background(), Options{Env: "Hopper-v4", Kind: "medium-replay", Run: runDir, Rows: 250})
	if err != nil || got != runDir || rows != 250 {
		t.Fatalf("Source = %q, %d, %v; want %q, 250", got, rows, err, runDir)
	}
	for _, o := range []Options{
		{Env: "Hopper-v4", Kind: "medium-replay", Run: runDir},
		{Env: "Walker2d-v4", Kind: "medium-replay", Run: runDir, Rows: 10},
		{Env: "Hopper-v4", Kind: "medium-replay", Run: filepath.Join(dir, "missing"), Rows: 10},
	} {
		if _, _, err := Source(context.Background(), o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}
