package fromrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
	offline := filepath.Join(dir, "offline")
	if err := os.MkdirAll(offline, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(offline, "config.json"),
		[]byte(`{"algo": "td3bc", "dataset_id": "hopper-medium-v1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = Source(context.Background(), Options{Env: "Hopper-v4", Kind: "medium-replay", Run: offline, Rows: 10})
	if err == nil || !strings.Contains(err.Error(), "offline td3bc run on dataset hopper-medium-v1") {
		t.Errorf("an offline run: err %v", err)
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

// A retraining of the shipped run that is interrupted goes on from its
// checkpoint when the command is run again, reaches the shipped policy
// bit for bit and writes the same rows as the uninterrupted run; a
// full-replay afterwards extends the same run. The "shipped" run here is
// a small one trained without interruption, standing in for
// policies/trained.
func TestInterruptedRetrainingResumesToTheSameData(t *testing.T) {
	dir := t.TempDir()
	cfg := train.DefaultConfig()
	cfg.Algo, cfg.Env, cfg.Steps, cfg.StartSteps, cfg.BufferSize = "sac", "Hopper-v4", 600, 100, 1000
	cfg.EvalEvery, cfg.LogEvery, cfg.EvalEpisodes, cfg.BatchSize = 300, 100, 1, 16
	cfg.SAC.Hidden = []int{16}
	ref := filepath.Join(dir, "ref")
	if _, err := train.Run(context.Background(), cfg, ref, train.Options{}); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	entry := policies.TrainedEntry{EnvID: "Hopper-v4", Run: "tiny-sac-0", TrainConfig: raw,
		Medium: policies.TrainedPolicy{Step: 300}, Expert: policies.TrainedPolicy{Step: 600}}
	oldTrained, oldShipped := trained, shippedPolicy
	t.Cleanup(func() { trained, shippedPolicy = oldTrained, oldShipped })
	trained = func(string) (policies.TrainedEntry, bool) { return entry, true }
	shippedPolicy = func(_, kind string) (*policies.TanhGaussian, error) {
		step := entry.Medium.Step
		if kind == policies.KindExpert {
			step = entry.Expert.Step
		}
		return policies.LoadTanhGaussian(filepath.Join(ref, "policies", fmt.Sprintf("step-%08d.safetensors", step)))
	}

	cache := filepath.Join(dir, "cache")
	out := filepath.Join(cache, "hopper-medium-replay-v1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = Write(ctx, Options{Env: "Hopper-v4", Kind: "medium-replay", DataDir: cache, Out: out,
		OnTrain: func(step, _ int) {
			if step == 200 {
				cancel()
			}
		}})
	if err == nil {
		t.Fatal("the interrupted retraining reported no error")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("%s exists after the interruption (err %v)", out, err)
	}
	if step, err := train.CheckpointStep(filepath.Join(cache, "behaviour-runs", entry.Run)); err != nil || step >= 300 {
		t.Fatalf("checkpoint at step %d (err %v), want one before 300", step, err)
	}
	if _, err := Write(context.Background(), Options{Env: "Hopper-v4", Kind: "medium-replay", DataDir: cache,
		Out: out}); err != nil {
		t.Fatalf("rerun: %v", err)
	}
	want := filepath.Join(dir, "from-ref")
	if _, err := Write(context.Background(), Options{Env: "Hopper-v4", Kind: "medium-replay", Run: ref, Rows: 300,
		Out: want}); err != nil {
		t.Fatal(err)
	}
	sameRows(t, out, want)

	full := filepath.Join(cache, "hopper-full-replay-v1")
	if _, err := Write(context.Background(), Options{Env: "Hopper-v4", Kind: "full-replay", DataDir: cache,
		Out: full}); err != nil {
		t.Fatalf("full-replay: %v", err)
	}
	wantFull := filepath.Join(dir, "full-from-ref")
	if _, err := Write(context.Background(), Options{Env: "Hopper-v4", Kind: "full-replay", Run: ref, Rows: 600,
		Out: wantFull}); err != nil {
		t.Fatal(err)
	}
	sameRows(t, full, wantFull)
}

// sameRows checks that two datasets hold the same transitions and states.
func sameRows(t *testing.T, a, b string) {
	t.Helper()
	da, err := datasets.ReadWith(a, datasets.ReadOptions{State: true})
	if err != nil {
		t.Fatal(err)
	}
	db, err := datasets.ReadWith(b, datasets.ReadOptions{State: true})
	if err != nil {
		t.Fatal(err)
	}
	if da.Len() != db.Len() {
		t.Fatalf("%d rows vs %d", da.Len(), db.Len())
	}
	for name, pair := range map[string][2][]float32{
		"observations": {da.Observations, db.Observations}, "actions": {da.Actions, db.Actions},
		"rewards": {da.Rewards, db.Rewards}, "next_observations": {da.NextObservations, db.NextObservations},
	} {
		if !slices.Equal(pair[0], pair[1]) {
			t.Errorf("%s differ", name)
		}
	}
	if !slices.Equal(da.Qpos, db.Qpos) || !slices.Equal(da.Qvel, db.Qvel) {
		t.Error("qpos/qvel differ")
	}
	if !slices.Equal(da.Terminals, db.Terminals) || !slices.Equal(da.Timeouts, db.Timeouts) {
		t.Error("terminals/timeouts differ")
	}
}
