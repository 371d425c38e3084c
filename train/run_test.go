package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"offrl/collect"
	"offrl/datasets"
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
	c.IQL.Hidden = []int{32, 32}
	small := []int{32, 32}
	c.A2PR.ActorHidden, c.A2PR.CriticHidden, c.A2PR.ValueHidden = small, small, small
	c.A2PR.VAE.Hidden = small
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
	for _, algo := range Algos {
		if slices.Contains(OnlineAlgos, algo) {
			continue // online_test.go
		}
		t.Run(algo, func(t *testing.T) {
			cfg := smallConfig(t)
			cfg.Algo = algo
			resumeAfterInterrupt(t, cfg)
		})
	}
}

func resumeAfterInterrupt(t *testing.T, cfg Config) {
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
	for name, text := range map[string]string{
		"two documents": "steps: 5\n---\nstepz: 6\n",
		"float steps":   "steps: 1.5\n",
		"capitalised":   "Steps: 5\n",
		"nested case":   "td3bc:\n  Hidden: [8]\n",
	} {
		p := filepath.Join(dir, "x.yaml")
		os.WriteFile(p, []byte(text), 0o644)
		c := DefaultConfig()
		if err := LoadConfigFile(p, &c); err == nil {
			t.Errorf("%s: loaded as steps = %d, want an error", name, c.Steps)
		}
	}
	for text, key := range map[string]string{
		"iql:\n  beta: .nan\n":          "iql.beta",
		"td3bc:\n  alpha: -.inf\n":      "td3bc.alpha",
		"td3bc:\n  hidden: [8, .inf]\n": "td3bc.hidden[1]",
	} {
		p := filepath.Join(dir, "nan.yaml")
		os.WriteFile(p, []byte(text), 0o644)
		c := DefaultConfig()
		if err := LoadConfigFile(p, &c); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: err %v, want one naming %s", text, err, key)
		}
	}
	huge := DefaultConfig()
	huge.Dataset, huge.TD3BC.Hidden = "x", []int{60000, 60000}
	if err := huge.Validate(); err == nil || !strings.Contains(err.Error(), "hidden") {
		t.Errorf("Validate of 60000-wide layers = %v, want an error naming td3bc.hidden", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("stepz: 5\n"), 0o644)
	err := LoadConfigFile(bad, &c)
	if err == nil || !strings.Contains(err.Error(), "stepz") || !strings.Contains(err.Error(), "bad.yaml") {
		t.Fatalf("unknown key gave %v, want an error naming stepz and the file", err)
	}
}

// shortRun trains cfg into a fresh directory and returns it.
func shortRun(t *testing.T, cfg Config) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := Run(context.Background(), cfg, dir, Options{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A damaged checkpoint is refused, naming the file and what happened to it.
func TestDamagedCheckpointIsRefused(t *testing.T) {
	cfg := smallConfig(t)
	cfg.Steps = 80
	dir := shortRun(t, cfg)
	path := filepath.Join(dir, "checkpoint", "agent.safetensors")
	good := readFile(t, path)
	flipped := slices.Clone(good)
	flipped[len(flipped)/2] ^= 0x7f // one weight changes; the file still parses
	for _, c := range []struct {
		name   string
		damage func()
		want   string
	}{
		{"changed", func() { os.WriteFile(path, flipped, 0o644) }, "the content of agent.safetensors changed"},
		{"truncated", func() { os.WriteFile(path, good[:len(good)-100], 0o644) },
			fmt.Sprintf("agent.safetensors is truncated (%d bytes, state.json recorded %d)", len(good)-100, len(good))},
		{"empty", func() { os.WriteFile(path, nil, 0o644) }, "agent.safetensors is truncated (0 bytes"},
		{"missing", func() { os.Remove(path) }, "agent.safetensors is missing"},
	} {
		c.damage()
		cfg.Steps = 160
		_, err := Run(context.Background(), cfg, dir, Options{Resume: true})
		if err == nil || !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: resuming gave %v, want an error saying it is damaged: %s", c.name, err, c.want)
		}
		os.WriteFile(path, good, 0o644)
	}
}

func TestResumeRefusesOtherData(t *testing.T) {
	cfg := smallConfig(t)
	cfg.Steps = 80
	dir := shortRun(t, cfg)
	// Same name and row count, other bytes: another seed.
	other := filepath.Join(t.TempDir(), "pendulum-medium-v0")
	if _, err := collect.Run(context.Background(), collect.Options{
		EnvID: "Pendulum-v1", Kind: "medium", Steps: 3000, Seed: 2, Out: other}); err != nil {
		t.Fatal(err)
	}
	cfg.Dataset, cfg.Steps = other, 160
	_, err := Run(context.Background(), cfg, dir, Options{Resume: true})
	if err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("resuming on other data: %v, want an error comparing the datasets' sha256", err)
	}
}

// writeDataset writes a small dataset with the given widths and metadata.
func writeDataset(t *testing.T, obsDim int, meta datasets.Metadata) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "d.parquet")
	meta.ObsDim, meta.ActDim = obsDim, 1
	w, err := datasets.NewWriter(path, meta, datasets.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 400 {
		obs, next := make([]float32, obsDim), make([]float32, obsDim)
		obs[0], next[0] = float32(i%7), float32((i+1)%7)
		err := w.Append(datasets.Transition{EpisodeID: int32(i / 200), Step: int32(i % 200),
			Obs: obs, Action: []float32{0.5}, NextObs: next, Reward: -1, Timeout: i%200 == 199})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func pendulumMeta() datasets.Metadata {
	return datasets.Metadata{DatasetID: "pendulum-medium-v0", EnvID: "Pendulum-v1", DatasetKind: "medium",
		ActionLow: []float64{-2}, ActionHigh: []float64{2}, MaxEpisodeSteps: 200,
		RefMinScore: -1224.461713, RefMaxScore: -158.409122}
}

// A dataset whose shapes do not fit its environment is an error before
// training, not a crash during evaluation.
func TestDatasetMustFitItsEnvironment(t *testing.T) {
	cfg := smallConfig(t)
	for _, width := range []int{2, 5} {
		cfg.Dataset = writeDataset(t, width, pendulumMeta())
		_, err := Run(context.Background(), cfg, filepath.Join(t.TempDir(), "run"), Options{})
		if err == nil || !strings.Contains(err.Error(), "obs_dim") {
			t.Errorf("%d-wide observations for Pendulum-v1: %v, want an error naming obs_dim", width, err)
		}
	}
}

// Scores use the toolkit's references, whatever a file claims.
func TestScoresUseTheToolkitsReferences(t *testing.T) {
	meta := pendulumMeta()
	meta.RefMinScore = -958.4 // edited
	cfg := smallConfig(t)
	cfg.Dataset, cfg.Steps, cfg.EvalEvery = writeDataset(t, 3, meta), 40, 40
	dir := shortRun(t, cfg)
	var rep EvalReport
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "eval.json")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.RefMinScore != -1224.461713 {
		t.Fatalf("eval.json ref_min_score %v, want the toolkit's -1224.461713", rep.RefMinScore)
	}
	want := datasets.NormalizedScore(rep.ReturnMean, -1224.461713, -158.409122)
	if rep.NormalizedScore != want {
		t.Fatalf("normalized_score %v, want %v", rep.NormalizedScore, want)
	}
}
