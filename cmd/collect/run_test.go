package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelp(t *testing.T) {
	code, stderr, _ := runCmd("--help")
	if code != 0 {
		t.Fatalf("--help exited %d", code)
	}
	for _, s := range []string{"-env", "-kind", "-steps", "-seed", "-out", "-part-rows",
		"resumes", "Example", "Pendulum-v1", "medium-expert", "-shard", "-shards", "-merge",
		".shards/shard-IIIII-of-NNNNN"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("--help does not mention %s", s)
		}
	}
}

func TestBadFlagsExitTwo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.parquet")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--kind", "medium", "--steps", "10", "--out", out}, "--env"},
		{[]string{"--env", "Pendulum-v1", "--steps", "10", "--out", out}, "--kind"},
		{[]string{"--env", "Pendulum-v1", "--kind", "medium", "--steps", "-5", "--out", out}, "--steps"},
		{[]string{"--env", "Pendulum-v9", "--kind", "medium", "--steps", "10", "--out", out}, "Pendulum-v9"},
		{[]string{"--env", "Pendulum-v1", "--kind", "great", "--steps", "10", "--out", out}, "great"},
		{[]string{"--env", "Pendulum-v1", "--kind", "medium", "--steps", "ten", "--out", out}, "ten"},
		{[]string{"--bogus"}, "bogus"},
	}
	for _, tt := range tests {
		code, _, stderr := runCmd(tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("collect %v: exit %d, stderr %q; want exit 2 naming %q", tt.args, code, stderr, tt.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a rejected command wrote a file")
	}
}

func TestCollectSummary(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sub", "pendulum-random.parquet")
	code, stdout, stderr := runCmd("--env", "Pendulum-v1", "--kind", "random", "--steps", "1000", "--out", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if sum["transitions"] != 1000.0 || sum["episodes"] != 5.0 || sum["dataset_id"] != "pendulum-random-v0" {
		t.Fatalf("summary %v, want 1000 transitions in 5 episodes of pendulum-random-v0", sum)
	}
	// Without --out the dataset goes to the cache under its name.
	cache := t.TempDir()
	if code, _, stderr := runCmd("--env", "Pendulum-v1", "--kind", "expert", "--steps", "200",
		"--data-dir", cache); code != 0 {
		t.Fatalf("collect into the cache: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(cache, "pendulum-expert-v0", "manifest.json")); err != nil {
		t.Fatalf("no dataset in the cache: %v", err)
	}
	// Writing again without --overwrite refuses and keeps the file.
	before, _ := os.ReadFile(out)
	if code, _, _ := runCmd("--env", "Pendulum-v1", "--kind", "random", "--steps", "10", "--out", out); code == 0 {
		t.Fatal("collect overwrote an existing dataset without --overwrite")
	}
	after, _ := os.ReadFile(out)
	if !bytes.Equal(before, after) {
		t.Fatal("a refused collection changed the existing file")
	}
}
