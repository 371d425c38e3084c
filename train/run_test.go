package train

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"offrl/collect"
)

var (
	datasetOnce sync.Once
	datasetPath string
	datasetErr  error
)

// smallDataset collects a 3,000-transition Pendulum medium dataset once per
// test binary.
func smallDataset(t *testing.T) string {
	t.Helper()
	datasetOnce.Do(func() {
		dir, err := os.MkdirTemp("", "train-test-")
		if err != nil {
			datasetErr = err
			return
		}
		datasetPath = filepath.Join(dir, "pendulum-medium-v0")
		_, datasetErr = collect.Run(context.Background(), collect.Options{
			EnvID: "Pendulum-v1", Kind: "medium", Steps: 3000, Seed: 1, Out: datasetPath})
	})
	if datasetErr != nil {
		t.Fatal(datasetErr)
	}
	return datasetPath
}

func smallConfig(t *testing.T) Config {
	c := DefaultConfig()
	c.Dataset = smallDataset(t)
	c.Steps, c.EvalEvery, c.LogEvery, c.EvalEpisodes, c.BatchSize = 240, 80, 20, 2, 32
	c.TD3BC.Hidden = []int{32, 32}
	c.Seed = 1
	return c
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameRun compares the files that must be bit-identical between two runs.
func sameRun(t *testing.T, a, b string) {
	t.Helper()
	for _, name := range []string{"metrics.csv", "eval.json", "config.json",
		filepath.Join("checkpoint", "agent.safetensors")} {
		if !bytes.Equal(readFile(t, filepath.Join(a, name)), readFile(t, filepath.Join(b, name))) {
			t.Errorf("%s differs between the uninterrupted and the resumed run", name)
		}
	}
	lines := strings.Count(string(readFile(t, filepath.Join(a, "metrics.csv"))), "\n")
	if lines != 1+240/20 {
		t.Errorf("metrics.csv has %d lines, want %d", lines, 1+240/20)
	}
}

// B20: a run interrupted by a signal (context cancelled mid-interval, a
// checkpoint written on the way out) and resumed ends with exactly the
// files of an uninterrupted run.
func TestResumeAfterInterruptIsBitIdentical(t *testing.T) {
	cfg := smallConfig(t)
	straight := filepath.Join(t.TempDir(), "straight")
	if _, err := Run(context.Background(), cfg, straight, Options{}); err != nil {
		t.Fatal(err)
	}

	broken := filepath.Join(t.TempDir(), "broken")
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Run(ctx, cfg, broken, Options{OnProgress: func(step, _ int) {
		if step == 131 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run returned %v, want context.Canceled", err)
	}
	if _, err := Run(context.Background(), cfg, broken, Options{Resume: true}); err != nil {
		t.Fatal(err)
	}
	sameRun(t, straight, broken)
}

// A crash (no checkpoint on the way out, rows written after the last
// checkpoint) resumes from the last checkpoint and rewrites those rows.
func TestResumeAfterCrashIsBitIdentical(t *testing.T) {
	cfg := smallConfig(t)
	straight := filepath.Join(t.TempDir(), "straight")
	if _, err := Run(context.Background(), cfg, straight, Options{}); err != nil {
		t.Fatal(err)
	}

	crashed := filepath.Join(t.TempDir(), "crashed")
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the simulated crash did not happen")
			}
		}()
		Run(context.Background(), cfg, crashed, Options{OnProgress: func(step, _ int) {
			if step == 205 { // checkpoint at 160, rows to 200 written
				panic("simulated crash")
			}
		}})
	}()
	if _, err := Run(context.Background(), cfg, crashed, Options{Resume: true}); err != nil {
		t.Fatal(err)
	}
	sameRun(t, straight, crashed)
}

func TestNewRunRefusesNonEmptyDirectory(t *testing.T) {
	cfg := smallConfig(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x"), []byte("keep me"), 0o644)
	if _, err := Run(context.Background(), cfg, dir, Options{}); err == nil {
		t.Fatal("a new run overwrote a non-empty directory")
	}
	if _, err := Run(context.Background(), cfg, t.TempDir(), Options{Resume: true}); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("resuming an empty directory: %v, want ErrNoCheckpoint", err)
	}
}

func TestConfigFileIsStrict(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("# comment\nsteps: 123\ntd3bc:\n  alpha: 4\n"), 0o644)
	c := DefaultConfig()
	if err := LoadConfigFile(good, &c); err != nil {
		t.Fatal(err)
	}
	if c.Steps != 123 || c.TD3BC.Alpha != 4 || c.TD3BC.Tau != 0.005 {
		t.Fatalf("loaded steps %d alpha %v tau %v; want 123, 4 and the default 0.005", c.Steps, c.TD3BC.Alpha, c.TD3BC.Tau)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("stepz: 5\n"), 0o644)
	err := LoadConfigFile(bad, &c)
	if err == nil || !strings.Contains(err.Error(), "stepz") || !strings.Contains(err.Error(), "bad.yaml") {
		t.Fatalf("unknown key gave %v, want an error naming stepz and the file", err)
	}
}
