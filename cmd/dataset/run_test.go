package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"offrl/collect"
	"offrl/datasets"
)

// runCmd runs the command with args and returns its exit status, stdout
// and stderr.
func runCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// collectTo writes a dataset with offrl/collect and returns its path.
func collectTo(t *testing.T, out, env, kind string, steps int, seed uint64) string {
	t.Helper()
	_, err := collect.Run(context.Background(), collect.Options{
		EnvID: env, Kind: kind, Steps: steps, Seed: seed, Out: out, Command: "go test"})
	if err != nil {
		t.Fatalf("collecting %s %s: %v", env, kind, err)
	}
	return out
}

func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"info", "validate", "merge", "head", "Examples"}},
		{[]string{"help"}, []string{"info", "validate", "merge", "head"}},
		{[]string{"info", "--help"}, []string{"dataset info PATH", "-json", "Examples"}},
		{[]string{"validate", "-h"}, []string{"dataset validate PATH", "Examples"}},
		{[]string{"merge", "--help"}, []string{"-out", "-id", "-kind", "Examples"}},
		{[]string{"head", "--help"}, []string{"-n", "-offset", "Examples"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCmd(tt.args...)
			if code != 0 || stderr != "" {
				t.Fatalf("dataset %v: exit %d, stderr %q; want 0 and nothing", tt.args, code, stderr)
			}
			for _, s := range tt.want {
				if !strings.Contains(stdout, s) {
					t.Errorf("dataset %v does not mention %q on stdout", tt.args, s)
				}
			}
		})
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "command is required"},
		{[]string{"frobnicate"}, "frobnicate"},
		{[]string{"info"}, "PATH"},
		{[]string{"info", "a", "b"}, "got 2"},
		{[]string{"info", "--bogus", "x"}, "bogus"},
		{[]string{"validate"}, "PATH"},
		{[]string{"merge", "a", "b"}, "--out"},
		{[]string{"merge", "--out", "x"}, "source"},
		{[]string{"merge", "--out", "x", "--id", "Not An ID", "a"}, "--id"},
		{[]string{"head", "x", "-n", "-1"}, "-n = -1"},
		{[]string{"head", "x", "--offset", "ten"}, "ten"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCmd(tt.args...)
		lines := strings.Count(stderr, "\n")
		if code != 2 || !strings.Contains(stderr, tt.want) || lines != 1 || stdout != "" {
			t.Errorf("dataset %v: exit %d, stderr %q; want exit 2 and one line naming %q",
				tt.args, code, stderr, tt.want)
		}
	}
}

// TestParse_FlagsAnywhere checks that flags may come before or after the
// positional arguments, and that "--" ends the flags.
func TestParse_FlagsAnywhere(t *testing.T) {
	tests := []struct {
		args     []string
		wantJSON bool
		wantPos  []string
	}{
		{[]string{"p", "--json"}, true, []string{"p"}},
		{[]string{"--json", "p"}, true, []string{"p"}},
		{[]string{"p", "q"}, false, []string{"p", "q"}},
		{[]string{"p", "--", "--json"}, false, []string{"p", "--json"}},
	}
	for _, tt := range tests {
		fs := newFlagSet("t", "")
		asJSON := fs.Bool("json", false, "")
		_, pos, err := parse(fs, tt.args, &bytes.Buffer{})
		if err != nil || *asJSON != tt.wantJSON || fmt.Sprint(pos) != fmt.Sprint(tt.wantPos) {
			t.Errorf("parse(%v) = json %v, positional %v, %v; want %v, %v",
				tt.args, *asJSON, pos, err, tt.wantJSON, tt.wantPos)
		}
	}
}

// TestInfo_B04 writes 10 rows whose terminals are 1,1,0,0,1,1,1,0,0,1:
// info reports 6 episodes and does not panic (pitfall B04).
func TestInfo_B04(t *testing.T) {
	terms := []bool{true, true, false, false, true, true, true, false, false, true}
	d := &datasets.Dataset{ObsDim: 1, ActDim: 1, Meta: datasets.Metadata{
		EnvID: "Pendulum-v1", RefMinScore: 0, RefMaxScore: 10}}
	var ep, step int32
	for i, term := range terms {
		d.EpisodeIDs, d.Steps = append(d.EpisodeIDs, ep), append(d.Steps, step)
		x := float32(i)
		d.Observations = append(d.Observations, x)
		d.NextObservations = append(d.NextObservations, x+1)
		d.Actions = append(d.Actions, -x)
		d.Rewards = append(d.Rewards, 1)
		d.Terminals, d.Timeouts = append(d.Terminals, term), append(d.Timeouts, false)
		step++
		if term {
			ep, step = ep+1, 0
		}
	}
	path := filepath.Join(t.TempDir(), "b04.parquet")
	if err := datasets.Write(path, d); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCmd("info", path, "--json")
	if code != 0 {
		t.Fatalf("info exit %d: %s", code, stderr)
	}
	var rep info
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	c, r := rep.Counts, rep.Returns
	if c.Rows != 10 || c.Episodes != 6 || c.Terminals != 6 || c.Parts != 1 {
		t.Errorf("info counts = %+v, want 10 rows, 6 episodes, 6 terminals, 1 part", c)
	}
	if r.LengthMin != 1 || r.LengthMax != 3 || r.Mean != 10.0/6 || r.Complete != 6 {
		t.Errorf("info returns = %+v, want lengths 1 to 3 and mean return 10/6", r)
	}
	code, stdout, _ = runCmd("info", path)
	if code != 0 || !strings.Contains(stdout, "episodes:           6 (6 complete)") {
		t.Errorf("info text: exit %d, output %q; want 6 episodes", code, stdout)
	}
	code, stdout, _ = runCmd("validate", path)
	if code != 0 || stdout != fmt.Sprintf("ok %s (10 rows, 6 episodes)\n", path) {
		t.Errorf("validate: exit %d, output %q", code, stdout)
	}
}

// TestValidate_Collected checks that datasets written by offrl/collect
// validate, for every kind on Pendulum and MountainCar.
func TestValidate_Collected(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, env := range []string{"Pendulum-v1", "MountainCarContinuous-v0"} {
		for k, kind := range collect.Kinds {
			name := fmt.Sprintf("%s-%s", env, kind)
			if k%2 == 1 {
				name += ".parquet"
			}
			paths = append(paths, collectTo(t, filepath.Join(dir, name), env, kind, 2500, 3))
		}
	}
	code, stdout, stderr := runCmd(append([]string{"validate"}, paths...)...)
	if code != 0 {
		t.Fatalf("validate: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, p := range paths {
		if !strings.Contains(stdout, "ok "+p+" (2500 rows, ") {
			t.Errorf("validate output %q lacks an ok line for %s", stdout, p)
		}
	}
}

// flipInColumn flips one byte inside the data of a column chunk of the
// Parquet file at path.
func flipInColumn(t *testing.T, path, column string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range pf.Metadata().RowGroups[0].Columns {
		if c.MetaData.PathInSchema[0] == column {
			at := c.MetaData.DataPageOffset + c.MetaData.TotalCompressedSize - 3
			b[at] ^= 0x5a
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("%s has no column %q", path, column)
}

// TestValidate_Corrupted damages copies of a collected dataset and checks
// that validate fails with exit 1 and one line naming the fault.
func TestValidate_Corrupted(t *testing.T) {
	tests := []struct {
		name   string
		file   bool // a single .parquet file rather than a directory
		damage func(t *testing.T, path string)
		want   []string
	}{
		{"flipped byte in rewards", true, func(t *testing.T, p string) {
			flipInColumn(t, p, "rewards")
		}, []string{`"rewards"`}},
		{"flipped byte in observations", true, func(t *testing.T, p string) {
			flipInColumn(t, p, "observations")
		}, []string{`"observations"`}},
		{"edited manifest", false, func(t *testing.T, p string) {
			m := filepath.Join(p, "manifest.json")
			b, err := os.ReadFile(m)
			if err != nil {
				t.Fatal(err)
			}
			b = bytes.Replace(b, []byte(`"env_id": "Pendulum-v1"`),
				[]byte(`"env_id": "Pendulum-v2"`), 1)
			if err := os.WriteFile(m, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{`"env_id"`, "Pendulum-v2", "Pendulum-v1"}},
		{"truncated part", false, func(t *testing.T, p string) {
			if err := os.Truncate(filepath.Join(p, "part-00000.parquet"), 1000); err != nil {
				t.Fatal(err)
			}
		}, []string{"part-00000.parquet"}},
		{"truncated file", true, func(t *testing.T, p string) {
			if err := os.Truncate(p, 1000); err != nil {
				t.Fatal(err)
			}
		}, []string{"pendulum.parquet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "pendulum"
			if tt.file {
				name += ".parquet"
			}
			path := collectTo(t, filepath.Join(t.TempDir(), name), "Pendulum-v1", "medium", 1000, 4)
			tt.damage(t, path)
			code, stdout, _ := runCmd("validate", path)
			if code != 1 || strings.Count(stdout, "\n") != 1 ||
				!strings.HasPrefix(stdout, "FAIL "+path+": ") {
				t.Fatalf("validate on a damaged copy: exit %d, output %q; "+
					"want exit 1 and one FAIL line", code, stdout)
			}
			for _, s := range tt.want {
				if !strings.Contains(stdout, s) {
					t.Errorf("validate output %q does not name %s", stdout, s)
				}
			}
		})
	}
}

// TestValidate_B17 collects Pendulum episodes under their 200-step limit
// and checks that a copy whose metadata claims max_episode_steps = 100
// fails naming the key and both values (pitfall B17), while the original
// passes.
func TestValidate_B17(t *testing.T) {
	dir := t.TempDir()
	good := collectTo(t, filepath.Join(dir, "good.parquet"), "Pendulum-v1", "random", 800, 5)
	d, err := datasets.Read(good)
	if err != nil {
		t.Fatal(err)
	}
	d.Meta.MaxEpisodeSteps = 100
	bad := filepath.Join(dir, "bad.parquet")
	if err := datasets.Write(bad, d); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := runCmd("validate", good, bad)
	if code != 1 || !strings.Contains(stdout, "ok "+good+" (800 rows, 4 episodes)") {
		t.Fatalf("validate: exit %d, output %q; want exit 1 with the original ok", code, stdout)
	}
	want := `FAIL ` + bad + `: metadata "max_episode_steps": value 100, ` +
		`but episode 0 (rows 0 to 199) has 200 steps`
	if !strings.Contains(stdout, want) {
		t.Errorf("validate output %q lacks %q", stdout, want)
	}
}

// TestMerge_EndToEnd merges collected medium and expert datasets with the
// command, then checks the result with info and validate (pitfall B34).
func TestMerge_EndToEnd(t *testing.T) {
	dir := t.TempDir()
	med := collectTo(t, filepath.Join(dir, "pendulum-medium-v0"), "Pendulum-v1", "medium", 1100, 6)
	exp := collectTo(t, filepath.Join(dir, "pendulum-expert-v0.parquet"),
		"Pendulum-v1", "expert", 700, 7)
	out := filepath.Join(dir, "pendulum-medium-expert-v0")

	code, stdout, stderr := runCmd("merge", "--out", out, "--id", "pendulum-medium-expert-v0",
		med, exp)
	if code != 0 {
		t.Fatalf("merge: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "rows:         1800") {
		t.Errorf("merge summary %q does not report 1800 rows", stdout)
	}
	code, stdout, _ = runCmd("validate", out)
	if code != 0 || !strings.HasPrefix(stdout, "ok "+out+" (1800 rows, ") {
		t.Errorf("validate merged: exit %d, output %q", code, stdout)
	}

	code, stdout, stderr = runCmd("info", "--json", out)
	if code != 0 {
		t.Fatalf("info: exit %d: %s", code, stderr)
	}
	var rep info
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	m := rep.Meta
	if rep.Counts.Rows != 1800 || m.DatasetKind != "medium-expert" || len(m.Sources) != 2 ||
		m.Sources[0].DatasetID != "pendulum-medium-v0" || m.Sources[0].Rows != 1100 ||
		m.Sources[1].DatasetID != "pendulum-expert-v0" || m.Sources[1].Rows != 700 ||
		!m.Sources[0].TailCut || m.RefMaxScore == 0 {
		t.Errorf("info of the merged dataset: counts %+v, metadata %+v", rep.Counts, m)
	}

	code, _, stderr = runCmd("merge", "--out", out, med, exp)
	if code != 2 || !strings.Contains(stderr, "exists") {
		t.Errorf("merge onto an existing dataset: exit %d, stderr %q; want 2", code, stderr)
	}
	mc := collectTo(t, filepath.Join(dir, "mc.parquet"), "MountainCarContinuous-v0", "random", 50, 1)
	code, _, stderr = runCmd("merge", "--out", filepath.Join(dir, "x"), med, mc)
	if code != 1 || !strings.Contains(stderr, "env_id") {
		t.Errorf("merge of different environments: exit %d, stderr %q; want 1 naming env_id",
			code, stderr)
	}
}

func TestHead(t *testing.T) {
	path := collectTo(t, filepath.Join(t.TempDir(), "p.parquet"), "Pendulum-v1", "random", 300, 8)
	d, err := datasets.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd("head", path, "-n", "2", "--offset", "199")
	if code != 0 {
		t.Fatalf("head: exit %d: %s", code, stderr)
	}
	want := fmt.Sprintf("row 199: episode_id 0 step 199\n  obs       [%.4g %.4g %.4g]\n",
		d.Observations[597], d.Observations[598], d.Observations[599])
	if !strings.HasPrefix(stdout, want) || !strings.Contains(stdout, "timeout true") ||
		!strings.Contains(stdout, "row 200: episode_id 1 step 0") ||
		strings.Contains(stdout, "row 201") {
		t.Errorf("head output %q, want rows 199 and 200 starting %q", stdout, want)
	}
	code, _, stderr = runCmd("head", path, "--offset", "300")
	if code != 1 || !strings.Contains(stderr, "300 rows") {
		t.Errorf("head past the end: exit %d, stderr %q", code, stderr)
	}
}
