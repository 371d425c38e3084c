package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"offrl/nn"
	"offrl/policies"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var o, e bytes.Buffer
	code := run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

// fakeRun makes a SAC run directory on Reacher-v4 with n constant-action
// actors as its policy snapshots: snapshot k (k = 0, 1, ...) pushes both
// joints with tanh(1.5·(n−1−k)/n) and hardly any noise, so later
// snapshots pay less control cost and score higher, the last (action 0)
// well above the random policy.
func fakeRun(t *testing.T, n int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "reacher-sac-0")
	os.MkdirAll(filepath.Join(dir, "policies"), 0o755)
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"algo": "sac", "env": "Reacher-v4", "env_id": "Reacher-v4", "seed": 4}`), 0o644)
	for i := range n {
		rng := rand.New(rand.NewPCG(uint64(i), 9))
		spec := policies.ActorSpec{ObsDim: 11, ActDim: 2, Hidden: []int{8}, MaxAction: 1, LogStdMin: -20, LogStdMax: 2}
		trunk := nn.NewMLP("actor.trunk", []int{11, 8}, nn.ReLU, nn.ReLU, rng)
		mu := nn.NewMLP("actor.mu", []int{8, 2}, nn.Identity, nn.Identity, rng)
		ls := nn.NewMLP("actor.log_std", []int{8, 2}, nn.Identity, nn.Identity, rng)
		for _, p := range mu.Params() {
			clear(p.Value)
		}
		for _, p := range ls.Params() {
			clear(p.Value)
		}
		mu.Params()[1].Value[0] = float32(1.5 * float64(n-1-i) / float64(n))
		mu.Params()[1].Value[1] = mu.Params()[1].Value[0]
		ls.Params()[1].Value[0], ls.Params()[1].Value[1] = -10, -10
		path := filepath.Join(dir, "policies", fmt.Sprintf("step-%08d.safetensors", 1000*(i+1)))
		if err := policies.SaveTanhGaussian(path, spec, trunk, mu, ls, nil); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPickWritesPoliciesAndManifest(t *testing.T) {
	runDir := fakeRun(t, 4)
	out := filepath.Join(t.TempDir(), "trained")
	args := []string{"pick", "--run", runDir, "--out", out, "--episodes", "2", "--ref-episodes", "3"}
	code, stdout, stderr := runCmd(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := policies.ReadTrainedManifest(raw)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := m["Reacher-v4"]
	if !ok || e.Expert.NormalizedScore != 100 || e.Episodes != 3 || !strings.Contains(e.PickCommand, runDir) ||
		e.Expert.Step != 4000 || e.Medium.Step == e.Expert.Step {
		t.Fatalf("entry %+v", e)
	}
	var trainCfg struct{ Env string }
	if err := json.Unmarshal(e.TrainConfig, &trainCfg); err != nil || trainCfg.Env != "Reacher-v4" {
		t.Fatalf("train_config %s does not hold the run's config (%v)", e.TrainConfig, err)
	}
	for _, p := range []policies.TrainedPolicy{e.Medium, e.Expert} {
		got, _ := os.ReadFile(filepath.Join(out, p.File))
		want, _ := os.ReadFile(filepath.Join(runDir, "policies", fmt.Sprintf("step-%08d.safetensors", p.Step)))
		if len(got) == 0 || !bytes.Equal(got, want) {
			t.Fatalf("%s is not the snapshot of step %d", p.File, p.Step)
		}
	}
	if !strings.Contains(stdout, "expert:") || !strings.Contains(stdout, "medium:") {
		t.Fatalf("stdout %q", stdout)
	}
	// Policies already there are not replaced without --overwrite, and
	// the refusal comes before any scoring.
	code, stdout, stderr = runCmd(t, args...)
	if code != 2 || !strings.Contains(stderr, "pass --overwrite") || strings.Contains(stdout, "scoring") {
		t.Fatalf("a second pick without --overwrite: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// With it, the same command gives the same manifest.
	if code, _, stderr := runCmd(t, append(args, "--overwrite")...); code != 0 {
		t.Fatal(stderr)
	}
	again, _ := os.ReadFile(filepath.Join(out, "manifest.json"))
	if !bytes.Equal(raw, again) {
		t.Fatal("a second pick changed manifest.json")
	}
}

func TestPickRefusesBadRuns(t *testing.T) {
	one := fakeRun(t, 1)
	td3 := fakeRun(t, 3)
	os.WriteFile(filepath.Join(td3, "config.json"), []byte(`{"algo": "td3bc", "env_id": "Reacher-v4"}`), 0o644)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"pick"}, 2, "--run"},
		{[]string{"choose"}, 2, "pick"},
		{[]string{"pick", "--run", t.TempDir()}, 2, "not a run directory"},
		{[]string{"pick", "--run", td3}, 2, "td3bc"},
		{[]string{"pick", "--run", one}, 1, "at least 2"},
		{[]string{"pick", "--run", one, "--target", "150"}, 2, "--target"},
	} {
		code, _, stderr := runCmd(t, c.args...)
		if code != c.code || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and one line naming %q", c.args, code, stderr, c.code, c.want)
		}
	}
}
