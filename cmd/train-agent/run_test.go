package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"offrl/collect"
	"offrl/internal/testfs"
	"offrl/viz"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelpIsCompleteAndExitsZero(t *testing.T) {
	code, stderr, _ := runCmd(t, "--help")
	if code != 0 {
		t.Fatalf("--help exited %d", code)
	}
	for _, flag := range []string{"-algo", "-env", "-dataset", "-steps", "-eval-every", "-eval-episodes",
		"-seed", "-run-dir", "-resume", "-config", "Example"} {
		if !strings.Contains(stderr, flag) {
			t.Errorf("--help does not mention %s", flag)
		}
	}
}

func TestBadInputExitsTwoWithOneLine(t *testing.T) {
	dir := t.TempDir()
	badCfg := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badCfg, []byte("batch_sise: 3\n"), 0o644)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--nope"}, "nope"},
		{"bad algo", []string{"--algo", "sac", "--dataset", filepath.Join(dir, "x.parquet")}, "sac"},
		{"unparsable value", []string{"--steps", "abc"}, "abc"},
		{"extra argument", []string{"now"}, "now"},
		{"zero episodes", []string{"--eval-episodes", "0"}, "eval_episodes"},
		{"zero threads", []string{"--threads", "0"}, "--threads 0"},
		{"missing dataset file", []string{"--dataset", filepath.Join(dir, "missing.parquet")}, "missing.parquet"},
		{"unknown env", []string{"--env", "Nope-v0"}, "Nope-v0"},
		{"bad steps", []string{"--steps", "-3", "--dataset", "pendulum-medium-v0", "--data-dir", dir}, "steps"},
		{"unknown config key", []string{"--config", badCfg}, "batch_sise"},
		{"resume without run", []string{"--resume", filepath.Join(dir, "norun")}, "norun"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, append(tt.args, "--data-dir", dir)...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr: %s", code, stderr)
			}
			if !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q is not one line naming %q", stderr, tt.want)
			}
		})
	}
	// Nothing was collected on the way to any of these errors.
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the cache holds %d entries after rejected commands, want only bad.yaml", len(entries))
	}
}

// A short run end to end: collect a tiny dataset, train with a small
// network from a config file, and check the run directory and the output.
func TestShortRunWritesRunDirectory(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "pendulum-medium-v0.parquet")
	if _, err := collect.Run(context.Background(), collect.Options{
		EnvID: "Pendulum-v1", Kind: "medium", Steps: 2000, Seed: 3, Out: data}); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "small.yaml")
	os.WriteFile(cfg, []byte("batch_size: 32\nlog_every: 10\ntd3bc:\n  hidden: [32, 32]\n"), 0o644)
	runDir := filepath.Join(dir, "run")
	t.Chdir(dir) // a relative dataset path must still resume from anywhere
	code, stdout, stderr := runCmd(t, "--config", cfg, "--dataset", filepath.Base(data), "--steps", "60",
		"--eval-every", "30", "--eval-episodes", "2", "--run-dir", runDir, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	for _, key := range []string{"normalized_score", "dataset_normalized_score", "return_mean"} {
		if _, ok := sum[key]; !ok {
			t.Errorf("summary lacks %s", key)
		}
	}
	// The dataset path is kept absolute, so the run resumes from anywhere.
	var saved struct{ Dataset string }
	raw0, _ := os.ReadFile(filepath.Join(runDir, "config.json"))
	json.Unmarshal(raw0, &saved)
	if !filepath.IsAbs(saved.Dataset) {
		t.Errorf("config.json keeps dataset %q, want an absolute path", saved.Dataset)
	}
	for _, f := range []string{"config.json", "metrics.csv", "timing.csv", "curve.png", "eval.json",
		"rollout.gif", "checkpoint/agent.safetensors", "checkpoint/state.json"} {
		if _, err := os.Stat(filepath.Join(runDir, f)); err != nil {
			t.Errorf("run directory lacks %s", f)
		}
	}
	var resolved map[string]any
	raw, _ := os.ReadFile(filepath.Join(runDir, "config.json"))
	json.Unmarshal(raw, &resolved)
	if resolved["steps"] != 60.0 || resolved["batch_size"] != 32.0 {
		t.Errorf("config.json steps %v batch_size %v; want the flag (60) over the file and the file (32) over the default",
			resolved["steps"], resolved["batch_size"])
	}

	// Extending the finished run with --resume --steps continues it, from
	// another working directory.
	t.Chdir(t.TempDir())
	code, _, stderr = runCmd(t, "--resume", runDir, "--steps", "90")
	if code != 0 {
		t.Fatalf("resume exit %d: %s", code, stderr)
	}
	metrics, _ := os.ReadFile(filepath.Join(runDir, "metrics.csv"))
	if !strings.Contains(string(metrics), "\n90,") {
		t.Errorf("metrics.csv has no row for step 90 after extending the run:\n%s", metrics)
	}
	// The curve holds the evaluations from before and after the resume.
	r, err := viz.ReadRun(runDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Evals) != 3 || r.Evals[0].Step != 30 || r.Evals[2].Step != 90 {
		t.Errorf("the resumed run's curve has evaluations %+v, want steps 30, 60, 90", r.Evals)
	}
	g := testfs.DecodeGIF(t, filepath.Join(runDir, "rollout.gif"))
	// One Pendulum episode: 200 steps and the reset frame.
	if len(g.Image) != 201 {
		t.Errorf("rollout.gif has %d frames, want 201", len(g.Image))
	}
	// A resumed run cannot stop before where it already is.
	if code, _, stderr := runCmd(t, "--resume", runDir, "--steps", "50"); code != 2 ||
		!strings.Contains(stderr, "90") {
		t.Errorf("--resume --steps 50 after step 90: exit %d, %q; want 2 naming step 90", code, stderr)
	}
	// Other flags cannot change a resumed run.
	if code, _, _ := runCmd(t, "--resume", runDir, "--seed", "4"); code != 2 {
		t.Errorf("--resume with --seed exited %d, want 2", code)
	}
}

func TestRolloutGIFCanBeTurnedOff(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "p.parquet")
	if _, err := collect.Run(context.Background(), collect.Options{
		EnvID: "Pendulum-v1", Kind: "medium", Steps: 400, Seed: 3, Out: data}); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "small.yaml")
	os.WriteFile(cfg, []byte("batch_size: 16\nlog_every: 10\ntd3bc:\n  hidden: [16]\n"), 0o644)
	runDir := filepath.Join(dir, "run")
	code, _, stderr := runCmd(t, "--config", cfg, "--dataset", data, "--steps", "20", "--eval-every", "20",
		"--eval-episodes", "1", "--run-dir", runDir, "--rollout-gif=false")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(runDir, "rollout.gif")); !os.IsNotExist(err) {
		t.Fatalf("--rollout-gif=false still wrote rollout.gif (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(runDir, "curve.png")); err != nil {
		t.Fatalf("curve.png: %v", err)
	}
}

// The default dataset comes from the cache only: a folder of the same name
// in the working directory is never mistaken for it.
func TestDefaultDatasetIgnoresWorkingDirectory(t *testing.T) {
	work, cache := t.TempDir(), t.TempDir()
	t.Chdir(work)
	decoy := filepath.Join(work, "pendulum-medium-v0")
	if _, err := collect.Run(context.Background(), collect.Options{
		EnvID: "Pendulum-v1", Kind: "random", Steps: 400, Seed: 1, Out: decoy}); err != nil {
		t.Fatal(err)
	}
	f, _, err := parseFlags([]string{"--data-dir", cache, "--steps", "1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	cfg, runDir, err := resolve(context.Background(), f, log, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cache, "pendulum-medium-v0"); cfg.Dataset != want {
		t.Fatalf("default dataset %s, want %s (collected into the cache)", cfg.Dataset, want)
	}
	// Two runs resolved in the same second get their own directories.
	_, second, err := resolve(context.Background(), f, log, io.Discard)
	if err != nil || second == runDir {
		t.Fatalf("second run directory %q (err %v), want one other than %q", second, err, runDir)
	}
}

// --algo sac trains online in --env with no dataset, writes the run
// directory with the replay buffer in its checkpoint, and resumes.
func TestOnlineSACRun(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sac.yaml")
	os.WriteFile(cfg, []byte("algo: sac\nbatch_size: 32\nlog_every: 50\nsac:\n  hidden: [16, 16]\n"), 0o644)
	runDir := filepath.Join(dir, "run")
	code, stdout, stderr := runCmd(t, "--config", cfg, "--env", "Pendulum-v1", "--steps", "300",
		"--start-steps", "100", "--buffer-size", "1000", "--eval-every", "150", "--eval-episodes", "1",
		"--run-dir", runDir, "--data-dir", dir, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if _, ok := sum["dataset_normalized_score"]; ok {
		t.Errorf("an online run reports a dataset score: %v", sum)
	}
	for _, f := range []string{"config.json", "metrics.csv", "curve.png", "eval.json",
		"checkpoint/agent.safetensors", "checkpoint/replay.bin", "checkpoint/state.json"} {
		if _, err := os.Stat(filepath.Join(runDir, f)); err != nil {
			t.Errorf("run directory lacks %s", f)
		}
	}
	var resolved map[string]any
	raw, _ := os.ReadFile(filepath.Join(runDir, "config.json"))
	json.Unmarshal(raw, &resolved)
	if resolved["env"] != "Pendulum-v1" || resolved["start_steps"] != 100.0 ||
		resolved["buffer_size"] != 1000.0 || resolved["dataset"] != nil {
		t.Errorf("config.json env %v start_steps %v buffer_size %v dataset %v", resolved["env"],
			resolved["start_steps"], resolved["buffer_size"], resolved["dataset"])
	}
	metrics, _ := os.ReadFile(filepath.Join(runDir, "metrics.csv"))
	if !strings.HasPrefix(string(metrics), "step,critic_loss") ||
		!strings.Contains(string(metrics), "train_return_mean") {
		t.Errorf("metrics.csv header: %q", strings.SplitN(string(metrics), "\n", 2)[0])
	}
	if code, _, stderr := runCmd(t, "--resume", runDir, "--steps", "450"); code != 0 {
		t.Fatalf("resume exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "--algo", "sac", "--dataset", "pendulum-medium-v0",
		"--data-dir", dir); code != 2 || !strings.Contains(stderr, "--dataset cannot be used") {
		t.Errorf("--algo sac --dataset: exit %d, %q; want 2 and a clear message", code, stderr)
	}
	if code, _, stderr := runCmd(t, "--start-steps", "5", "--data-dir", dir); code != 2 ||
		!strings.Contains(stderr, "--start-steps") {
		t.Errorf("--start-steps offline: exit %d, %q; want 2", code, stderr)
	}
}
