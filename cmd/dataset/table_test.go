package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestTableHasARowPerDataset(t *testing.T) {
	dir := t.TempDir()
	a := collectTo(t, filepath.Join(dir, "pendulum-medium-v0"), "Pendulum-v1", "medium", 400, 1)
	b := collectTo(t, filepath.Join(dir, "hopper-random-v1.parquet"), "Hopper-v4", "random", 300, 2)
	code, stdout, stderr := runCmd("table", a, b)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 || !strings.Contains(lines[2], "| pendulum-medium-v0 | Pendulum-v1 | medium | 400 | 2 (2) |") ||
		!strings.Contains(lines[3], "| hopper-random-v1 | Hopper-v4 | random | 300 |") {
		t.Fatalf("table:\n%s", stdout)
	}
	if code, _, stderr := runCmd("table", filepath.Join(dir, "missing")); code != 1 || !strings.Contains(stderr, "missing") {
		t.Fatalf("missing dataset: exit %d, %q", code, stderr)
	}
	if code, _, _ := runCmd("table"); code != 2 {
		t.Fatalf("no paths: exit %d, want 2", code)
	}
}
