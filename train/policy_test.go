package train

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"offrl/envs"
	"offrl/envs/registry"
	"offrl/eval"
)

// The agent LoadAgent rebuilds acts exactly as the trained one did: its
// evaluation repeats the run's final one, return for return.
func TestLoadAgentActsAsTheRunsAgent(t *testing.T) {
	for _, algo := range Algos {
		t.Run(algo, func(t *testing.T) {
			cfg := smallConfig(t)
			if algo == "sac" {
				cfg = smallOnlineConfig()
			}
			cfg.Algo, cfg.Steps = algo, 80
			dir := shortRun(t, cfg)
			agent, info, err := LoadAgent(dir)
			if err != nil {
				t.Fatal(err)
			}
			if info.Algo != algo || info.EnvID != "Pendulum-v1" || info.Step != 80 || info.Seed != cfg.Seed {
				t.Fatalf("info %+v", info)
			}
			var rep EvalReport
			if err := json.Unmarshal(readFile(t, filepath.Join(dir, "eval.json")), &rep); err != nil {
				t.Fatal(err)
			}
			newEnv := func() (envs.Env, error) { return registry.Make(info.EnvID) }
			res, err := eval.Run(context.Background(), newEnv, agent,
				eval.Options{Episodes: cfg.EvalEpisodes, Seed: cfg.Seed + 100})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Returns, rep.Returns) {
				t.Fatalf("reloaded agent returns %v, the run's final evaluation %v", res.Returns, rep.Returns)
			}
		})
	}
}

func TestLoadAgentNamesWhatIsMissing(t *testing.T) {
	if _, _, err := LoadAgent(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a run directory") {
		t.Fatalf("empty directory: %v", err)
	}
	cfg := smallConfig(t)
	cfg.Steps = 80
	dir := shortRun(t, cfg)
	if err := os.RemoveAll(filepath.Join(dir, "checkpoint")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadAgent(dir); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("no checkpoint: %v, want ErrNoCheckpoint", err)
	}
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"algo": "td3bc", "dataset": "x", "env_id": "Nope-v0"}`), 0o644)
	if _, _, err := LoadAgent(dir); err == nil || !strings.Contains(err.Error(), "env_id") {
		t.Fatalf("unknown env: %v", err)
	}
}
