package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the corrupted fixtures in testdata/corrupt")

// fixtureDir holds committed datasets, each damaged in one way, and for
// each the text `dataset validate` must name. Regenerate with
//
//	go test ./cmd/dataset -run TestCorruptFixtures -update
const fixtureDir = "../../testdata/corrupt"

// corruptions says how each fixture is made from a clean collected
// dataset and what the one FAIL line must contain.
var corruptions = []struct {
	name   string // file or directory name under fixtureDir
	damage func(t *testing.T, path string)
	want   []string
}{
	{"rewards-page-flipped.parquet", func(t *testing.T, p string) { flipInColumn(t, p, "rewards") },
		[]string{`"rewards"`, "checksum"}},
	{"observations-page-flipped.parquet", func(t *testing.T, p string) { flipInColumn(t, p, "observations") },
		[]string{`"observations"`}},
	{"truncated.parquet", func(t *testing.T, p string) { truncateTo(t, p, 1000) },
		[]string{"truncated.parquet"}},
	{"manifest-env-edited", func(t *testing.T, p string) {
		replaceIn(t, filepath.Join(p, "manifest.json"), `"env_id": "Pendulum-v1"`, `"env_id": "Pendulum-v2"`)
	}, []string{`"env_id"`, "Pendulum-v2", "Pendulum-v1"}},
	{"manifest-sha-edited", func(t *testing.T, p string) {
		m := filepath.Join(p, "manifest.json")
		b, _ := os.ReadFile(m)
		i := bytes.Index(b, []byte(`"sha256": "`)) + len(`"sha256": "`)
		b[i] = map[bool]byte{true: '1', false: '0'}[b[i] == '0']
		os.WriteFile(m, b, 0o644)
	}, []string{"part-00000.parquet", "sha256"}},
	{"part-truncated", func(t *testing.T, p string) {
		truncateTo(t, filepath.Join(p, "part-00000.parquet"), 1000)
	}, []string{"part-00000.parquet"}},
	{"claims-max-steps-100", func(t *testing.T, p string) {
		m := filepath.Join(p, "manifest.json")
		replaceIn(t, m, `"max_episode_steps": 200`, `"max_episode_steps": 100`)
	}, []string{"max_episode_steps"}},
}

func truncateTo(t *testing.T, path string, n int64) {
	t.Helper()
	if err := os.Truncate(path, n); err != nil {
		t.Fatal(err)
	}
}

func replaceIn(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeFixtures(t *testing.T) {
	if err := os.RemoveAll(fixtureDir); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(fixtureDir, 0o755)
	collectTo(t, filepath.Join(fixtureDir, "clean"), "Pendulum-v1", "medium", 400, 4)
	for _, c := range corruptions {
		path := collectTo(t, filepath.Join(fixtureDir, c.name), "Pendulum-v1", "medium", 400, 4)
		c.damage(t, path)
	}
	readme := "Datasets damaged on purpose, one fault each; `dataset validate` must\n" +
		"fail on each with one line naming the fault (cmd/dataset/fixtures_test.go).\n" +
		"Made by: go test ./cmd/dataset -run TestCorruptFixtures -update\n"
	os.WriteFile(filepath.Join(fixtureDir, "README.md"), []byte(readme), 0o644)
}

// TestCorruptFixtures runs `dataset validate` on every committed fixture:
// the clean one passes, each damaged one fails with exactly one line that
// names what is wrong, and no fixture is left unchecked.
func TestCorruptFixtures(t *testing.T) {
	if *update {
		writeFixtures(t)
	}
	clean := filepath.Join(fixtureDir, "clean")
	if code, stdout, _ := runCmd("validate", clean); code != 0 {
		t.Fatalf("the clean fixture fails: %s", stdout)
	}
	entries, err := os.ReadDir(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	var onDisk []string
	for _, e := range entries {
		if e.Name() != "clean" && e.Name() != "README.md" {
			onDisk = append(onDisk, e.Name())
		}
	}
	var known []string
	for _, c := range corruptions {
		known = append(known, c.name)
		path := filepath.Join(fixtureDir, c.name)
		code, stdout, _ := runCmd("validate", path)
		if code != 1 || strings.Count(stdout, "\n") != 1 || !strings.HasPrefix(stdout, "FAIL "+path+": ") {
			t.Errorf("%s: exit %d, output %q; want exit 1 and one FAIL line", c.name, code, stdout)
			continue
		}
		for _, s := range c.want {
			if !strings.Contains(stdout, s) {
				t.Errorf("%s: %q does not name %s", c.name, stdout, s)
			}
		}
	}
	sort.Strings(onDisk)
	sort.Strings(known)
	if strings.Join(onDisk, ",") != strings.Join(known, ",") {
		t.Errorf("fixtures on disk %v, checked %v", onDisk, known)
	}
}
