package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"offrl/internal/testfs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func runCmd(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out bytes.Buffer
	errb := &syncBuffer{}
	code := run(ctx, args, &out, errb)
	return code, out.String(), errb.String()
}

// syncBuffer is a stderr that two training goroutines may log to at once;
// with cancel set it cancels once a line contains trigger.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	trigger string
	cancel  func()
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil && strings.Contains(string(p), s.trigger) {
		s.cancel()
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tinyConfigs writes per-dataset configs with tiny networks for the three
// algorithms on pendulum-medium-v0, so that a grid trains in a blink.
func tinyConfigs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"td3bc": "batch_size: 16\nlog_every: 10\ntd3bc:\n  hidden: [8, 8]\n",
		"iql":   "batch_size: 16\nlog_every: 10\niql:\n  hidden: [8, 8]\n",
		"a2pr": "batch_size: 16\nlog_every: 10\na2pr:\n  actor_hidden: [8, 8]\n  critic_hidden: [8, 8]\n" +
			"  value_hidden: [8, 8]\n  vae:\n    hidden: [8, 8]\n",
	}
	for algo, text := range files {
		if err := os.MkdirAll(filepath.Join(dir, algo), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, algo, "pendulum-medium-v0.yaml"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestHelpExitsZeroAndExplainsTheSettings(t *testing.T) {
	code, stdout, _ := runCmd(t, context.Background(), "--help")
	if code != 0 {
		t.Fatalf("--help exited %d", code)
	}
	for _, want := range []string{"-full", "-table-only", "-datasets", "-seeds", "-steps", "-jobs",
		"1/16.5", "core-seconds", "Example"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--help does not mention %s", want)
		}
	}
}

func TestBadFlagsExitTwoWithOneLineNamingTheFlag(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--nope"}, "nope"},
		{[]string{"extra"}, "extra"},
		{[]string{"--steps", "0"}, "--steps"},
		{[]string{"--steps", "abc"}, "abc"},
		{[]string{"--eval-every", "-1"}, "--eval-every"},
		{[]string{"--eval-episodes", "0"}, "--eval-episodes"},
		{[]string{"--jobs", "0"}, "--jobs"},
		{[]string{"--algos", "sac"}, "--algos"},
		{[]string{"--algos", "td3bc,,iql"}, "--algos"},
		{[]string{"--datasets", "hopper"}, "--datasets"},
		{[]string{"--seeds", "0,x"}, "--seeds"},
		{[]string{"--seeds", "1,1"}, "--seeds"},
		{[]string{"--collect-steps", "-5"}, "--collect-steps"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := append(tt.args, "--data-dir", dir, "--out", filepath.Join(dir, "out"))
			code, _, stderr := runCmd(t, context.Background(), args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr: %s", code, stderr)
			}
			if !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q is not one line naming %q", stderr, tt.want)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("rejected commands left %d entries in the cache", len(entries))
	}
}

// A dataset that cannot be made here is listed with the reason or the
// command that makes it; nothing is collected or trained, not even the
// datasets that could be.
func TestMissingDatasetsAreListedWithHowToMakeThem(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	// swimmer has a scripted expert but no medium policy; ant is not a
	// task of this toolkit; pendulum-random could be collected.
	code, _, stderr := runCmd(t, context.Background(), "--data-dir", filepath.Join(dir, "cache"), "--out", out,
		"--configs", "../../configs", "--datasets", "swimmer-medium-v1,ant-medium-v2,pendulum-random-v0")
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr: %s", code, stderr)
	}
	for _, w := range []string{"2 of the 3 datasets", "swimmer-medium-v1", "ant-medium-v2", `task "ant"`,
		"--datasets pendulum-medium-v0"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr does not mention %q:\n%s", w, stderr)
		}
	}
	if strings.Contains(stderr, "pendulum-random-v0:") {
		t.Errorf("a collectable dataset is listed as missing:\n%s", stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s exists after a refused grid (err %v)", out, err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "cache")); len(entries) != 0 {
		t.Errorf("something was collected before the refusal: %d entries", len(entries))
	}
}

// Every dataset of the default grid can be made on a fresh clone: the
// behaviour policies of the three locomotion tasks ship, with the run
// behind them for medium-replay.
func TestDefaultGridNeedsNothingMissing(t *testing.T) {
	s, _, err := parseFlags([]string{"--configs", "../../configs"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range s.datasetIDs {
		envID, kind, err := classify(id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if how, _ := unavailable(envID, kind, "/cache/"+id); how != "" {
			t.Errorf("%s cannot be made: %s", id, how)
		}
	}
	if len(s.datasetIDs) != 9 {
		t.Errorf("default grid has %d datasets, want 9", len(s.datasetIDs))
	}
}

// finalScore reads a run's eval.json.
func finalScore(t *testing.T, dir string) (float64, []float64) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "eval.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Score   float64   `json:"normalized_score"`
		Returns []float64 `json:"returns"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev.Score, ev.Returns
}

// A tiny grid end to end: the dataset is collected on demand, four runs
// train two at a time, the table holds the mean ± std of their final
// scores, the chart decodes; a rerun skips every finished run; other
// settings in the same --out are refused; --table-only rebuilds.
func TestTinyGridWritesTableAndSkipsFinishedRuns(t *testing.T) {
	dir := t.TempDir()
	cache, out := filepath.Join(dir, "cache"), filepath.Join(dir, "out")
	args := []string{"--data-dir", cache, "--out", out, "--configs", tinyConfigs(t),
		"--datasets", "pendulum-medium-v0", "--algos", "td3bc,a2pr", "--seeds", "0,1",
		"--steps", "40", "--eval-every", "20", "--eval-episodes", "2", "--collect-steps", "2000"}
	code, stdout, stderr := runCmd(t, context.Background(), args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "collecting it") {
		t.Errorf("stderr does not say the dataset was collected:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(cache, "pendulum-medium-v0")); err != nil {
		t.Errorf("the dataset was not collected into the cache: %v", err)
	}
	md := filepath.Join(out, "results.md")
	for _, p := range []string{md, filepath.Join(out, "results.png"), filepath.Join(out, "curves", "pendulum-medium-v0.png")} {
		if !strings.Contains(stdout, p) {
			t.Errorf("stdout does not list %s:\n%s", p, stdout)
		}
	}
	mtimes := map[string]time.Time{}
	for _, algo := range []string{"td3bc", "a2pr"} {
		var scores []float64
		for _, seed := range []int{0, 1} {
			run := filepath.Join(out, "runs", fmt.Sprintf("pendulum-medium-v0-%s-%d", algo, seed))
			s, _ := finalScore(t, run)
			scores = append(scores, s)
			fi, err := os.Stat(filepath.Join(run, "eval.json"))
			if err != nil {
				t.Fatal(err)
			}
			mtimes[run] = fi.ModTime()
		}
		mean := (scores[0] + scores[1]) / 2
		std := math.Abs(scores[0]-scores[1]) / 2
		want := fmt.Sprintf("%.1f ± %.1f (2 seeds)", mean, std)
		raw, _ := os.ReadFile(md)
		if !strings.Contains(string(raw), want) {
			t.Errorf("results.md lacks %s's cell %q:\n%s", algo, want, raw)
		}
	}
	raw, _ := os.ReadFile(md)
	table := string(raw)
	for _, want := range []string{"| dataset | TD3+BC | A2PR | TD3+BC paper | A2PR paper |",
		"| pendulum-medium-v0 |", "| **average** |", "gradient updates per run: 40", "--steps 40",
		"Ranked by the average over the 1 datasets: ", "A2PR's average ("} {
		if !strings.Contains(table, want) {
			t.Errorf("results.md lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "| IQL") {
		t.Errorf("results.md has an IQL column, but --algos left IQL out:\n%s", table)
	}
	if b := testfs.DecodePNG(t, filepath.Join(out, "results.png")).Bounds(); b.Dx() < 400 || b.Dy() < 300 {
		t.Errorf("results.png is %v, too small", b)
	}

	// A rerun trains nothing: every run is skipped, no eval.json changes.
	os.Remove(md)
	code, _, stderr = runCmd(t, context.Background(), args...)
	if code != 0 {
		t.Fatalf("rerun exit %d: %s", code, stderr)
	}
	if n := strings.Count(stderr, "skipped (finished earlier)"); n != 4 {
		t.Errorf("rerun skipped %d runs, want 4:\n%s", n, stderr)
	}
	if strings.Contains(stderr, "starting") || strings.Contains(stderr, "collecting") {
		t.Errorf("rerun trained or collected again:\n%s", stderr)
	}
	for run, mt := range mtimes {
		fi, _ := os.Stat(filepath.Join(run, "eval.json"))
		if !fi.ModTime().Equal(mt) {
			t.Errorf("%s/eval.json was rewritten by the rerun", run)
		}
	}
	if again, _ := os.ReadFile(md); string(again) != table {
		t.Errorf("the rerun's results.md differs:\n%s\nwas:\n%s", again, table)
	}

	// Other settings in the same --out: refused, naming the key.
	other := slices.Clone(args)
	other[slices.Index(other, "--steps")+1] = "60"
	code, _, stderr = runCmd(t, context.Background(), other...)
	if code != 2 || !strings.Contains(stderr, "steps = 40 there, 60 now") {
		t.Errorf("a grid with other --steps in the same --out: exit %d, stderr %s", code, stderr)
	}

	// --table-only finds every run by itself.
	os.Remove(md)
	code, _, stderr = runCmd(t, context.Background(), "--out", out, "--table-only")
	if code != 0 {
		t.Fatalf("--table-only exit %d: %s", code, stderr)
	}
	rebuilt, _ := os.ReadFile(md)
	for _, want := range []string{"| dataset | TD3+BC | A2PR |", "(2 seeds)", "| pendulum-medium-v0 |",
		// the command that trained the runs, not only the one that rebuilt the table
		"--steps 40", "table rebuilt with: `go run ./cmd/results --out"} {
		if !strings.Contains(string(rebuilt), want) {
			t.Errorf("--table-only results.md lacks %q:\n%s", want, rebuilt)
		}
	}
	// Training flags with --table-only would change nothing: refused.
	code, _, stderr = runCmd(t, context.Background(), "--out", out, "--table-only", "--steps", "5")
	if code != 2 || !strings.Contains(stderr, "--steps applies to training") {
		t.Errorf("--table-only --steps 5: exit %d, stderr %s", code, stderr)
	}

	// The same bytes in another cache are the same data: the runs are kept.
	moved := filepath.Join(dir, "moved")
	if err := os.Rename(cache, moved); err != nil {
		t.Fatal(err)
	}
	movedArgs := slices.Clone(args)
	movedArgs[slices.Index(movedArgs, "--data-dir")+1] = moved
	code, _, stderr = runCmd(t, context.Background(), movedArgs...)
	if code != 0 || strings.Count(stderr, "skipped (finished earlier)") != 4 {
		t.Errorf("the same dataset in a moved cache: exit %d, stderr %s", code, stderr)
	}
	// Other data under the same name: a finished run is not passed off as
	// trained on it.
	ds := filepath.Join(moved, "pendulum-medium-v0")
	if err := os.RemoveAll(ds); err != nil {
		t.Fatal(err)
	}
	otherData := slices.Clone(movedArgs)
	otherData[slices.Index(otherData, "--collect-steps")+1] = "1500"
	code, _, stderr = runCmd(t, context.Background(), otherData...)
	if code != 2 || !strings.Contains(stderr, "trained on other data") {
		t.Errorf("a finished run on replaced data: exit %d, stderr %s", code, stderr)
	}
	// A directory in the cache that is not a dataset is named before any
	// training.
	if err := os.RemoveAll(ds); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(ds, 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCmd(t, context.Background(), append(movedArgs, "--out", filepath.Join(dir, "out2"))...)
	if code != 1 || !strings.Contains(stderr, "not a readable dataset") || strings.Contains(stderr, "starting") {
		t.Errorf("an empty dataset directory: exit %d, stderr %s", code, stderr)
	}
	// A missing --configs directory is an error, not the defaults in silence.
	bad := slices.Clone(args)
	bad[slices.Index(bad, "--configs")+1] = filepath.Join(dir, "no-configs")
	code, _, stderr = runCmd(t, context.Background(), bad...)
	if code != 2 || !strings.Contains(stderr, "no-configs is not a directory") {
		t.Errorf("a missing --configs: exit %d, stderr %s", code, stderr)
	}
	// Without any run there is nothing to tabulate: an error, not an empty table.
	code, _, stderr = runCmd(t, context.Background(), "--out", filepath.Join(dir, "empty"), "--table-only")
	if code != 1 || !strings.Contains(stderr, "no finished runs") {
		t.Errorf("--table-only on an empty --out: exit %d, stderr %s", code, stderr)
	}
}

// A grid interrupted mid-run exits 130 with the checkpoint kept, and the
// same command continues it to the result an uninterrupted run gets.
func TestInterruptedGridResumes(t *testing.T) {
	dir := t.TempDir()
	cache, configs := filepath.Join(dir, "cache"), tinyConfigs(t)
	grid := func(out string) []string {
		return []string{"--data-dir", cache, "--out", out, "--configs", configs, "--datasets", "pendulum-medium-v0",
			"--algos", "iql", "--steps", "40", "--eval-every", "20", "--eval-episodes", "2",
			"--collect-steps", "2000", "--jobs", "1"}
	}
	whole := filepath.Join(dir, "whole")
	if code, _, stderr := runCmd(t, context.Background(), grid(whole)...); code != 0 {
		t.Fatalf("uninterrupted grid exit %d: %s", code, stderr)
	}
	_, wantReturns := finalScore(t, filepath.Join(whole, "runs", "pendulum-medium-v0-iql-0"))

	out := filepath.Join(dir, "cut")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errb := &syncBuffer{trigger: "msg=evaluated", cancel: cancel}
	var stdout bytes.Buffer
	code := run(ctx, grid(out), &stdout, errb)
	if code != 130 {
		t.Fatalf("interrupted grid exit %d, want 130: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "run the same command again") {
		t.Errorf("the interruption does not say how to continue:\n%s", errb.String())
	}
	runDir := filepath.Join(out, "runs", "pendulum-medium-v0-iql-0")
	if _, err := os.Stat(filepath.Join(runDir, "eval.json")); err == nil {
		t.Fatal("the interrupted run has eval.json: it was not interrupted")
	}
	if _, err := os.Stat(filepath.Join(runDir, "checkpoint", "state.json")); err != nil {
		t.Fatalf("the interrupted run kept no checkpoint: %v", err)
	}
	code, _, stderr := runCmd(t, context.Background(), grid(out)...)
	if code != 0 {
		t.Fatalf("resumed grid exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "msg=resuming") {
		t.Errorf("the rerun did not resume:\n%s", stderr)
	}
	if _, got := finalScore(t, runDir); !slices.Equal(got, wantReturns) {
		t.Errorf("resumed run's final returns %v, uninterrupted %v", got, wantReturns)
	}
}
