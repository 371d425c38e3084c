package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"offrl/datasets"
	"offrl/train"
)

// A replay kind writes a SAC run's experience: its first --steps rows, in
// episodes, each with the simulator state, as a valid dataset.
func TestReplayKindFromRun(t *testing.T) {
	dir := t.TempDir()
	cfg := train.DefaultConfig()
	cfg.Algo, cfg.Env, cfg.Steps, cfg.StartSteps, cfg.BufferSize = "sac", "Hopper-v4", 300, 100, 1000
	cfg.EvalEvery, cfg.LogEvery, cfg.EvalEpisodes, cfg.BatchSize = 300, 100, 1, 16
	cfg.SAC.Hidden = []int{16}
	runDir := filepath.Join(dir, "hopper-sac-0")
	if _, err := train.Run(context.Background(), cfg, runDir, train.Options{}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "hopper-medium-replay-v1")
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"--env", "Hopper-v4", "--kind", "medium-replay",
		"--from-run", runDir, "--steps", "250", "--out", out}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	d, err := datasets.ReadWith(out, datasets.ReadOptions{State: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 250 || d.Meta.DatasetKind != "medium-replay" || d.NQ != 6 || len(d.Qpos) != 250*6 {
		t.Fatalf("rows %d kind %q nq %d qpos %d", d.Len(), d.Meta.DatasetKind, d.NQ, len(d.Qpos))
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if !d.Timeouts[249] && !d.Terminals[249] {
		t.Fatal("the last row ends no episode")
	}
	if !strings.Contains(string(d.Meta.BehaviourPolicy), "hopper-sac-0") {
		t.Fatalf("behaviour %s does not name the run", d.Meta.BehaviourPolicy)
	}
}

func TestReplayKindNeedsARun(t *testing.T) {
	for _, args := range [][]string{
		{"--env", "Pendulum-v1", "--kind", "full-replay"},
		{"--env", "Pendulum-v1", "--kind", "medium-replay", "--from-run", "x"},
		{"--env", "Pendulum-v1", "--kind", "medium", "--steps", "10", "--from-run", "x"},
	} {
		var stdout, stderr strings.Builder
		code := run(context.Background(), args, &stdout, &stderr)
		if code != 2 || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, code, stderr.String())
		}
	}
}
