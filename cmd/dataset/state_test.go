package main

import (
	"path/filepath"
	"strings"
	"testing"

	"offrl/datasets"
)

// info, head, validate and merge on datasets with the qpos/qvel state
// columns: info and head show them, validate checks nq/nv against the
// environment, merge keeps them and refuses to mix with a dataset without.
func TestStateColumnsInCommands(t *testing.T) {
	dir := t.TempDir()
	hop := collectTo(t, filepath.Join(dir, "hopper.parquet"), "Hopper-v4", "random", 80, 1)

	code, out, errs := runCmd("info", hop)
	if code != 0 || !strings.Contains(out, "state (nq, nv):     6, 6") ||
		!strings.Contains(out, "qpos") || !strings.Contains(out, "LIST<DOUBLE>") {
		t.Fatalf("info: code %d, stderr %q, stdout:\n%s", code, errs, out)
	}
	code, out, errs = runCmd("head", hop, "-n", "2")
	if code != 0 || strings.Count(out, "  qpos      [") != 2 || strings.Count(out, "  qvel      [") != 2 {
		t.Fatalf("head: code %d, stderr %q, stdout:\n%s", code, errs, out)
	}
	if code, out, _ = runCmd("validate", hop); code != 0 {
		t.Fatalf("validate: code %d:\n%s", code, out)
	}

	// A dataset whose nq/nv do not match its environment's layout.
	d, err := datasets.ReadWith(hop, datasets.ReadOptions{State: true})
	if err != nil {
		t.Fatal(err)
	}
	narrow := *d
	narrow.NQ, narrow.Meta.NQ = 3, 3
	narrow.Qpos = nil
	for i := range d.Len() {
		narrow.Qpos = append(narrow.Qpos, d.Qpos[i*6:i*6+3]...)
	}
	bad := filepath.Join(dir, "narrow.parquet")
	if err := datasets.Write(bad, &narrow); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd("validate", bad)
	if code != 1 || !strings.Contains(out, "nq 3, nv 6, but Hopper-v4 has nq 6, nv 6") {
		t.Fatalf("validate of nq 3 Hopper data: code %d:\n%s", code, out)
	}

	// Merge keeps the state; mixing with and without is refused by name.
	hop2 := collectTo(t, filepath.Join(dir, "hopper2.parquet"), "Hopper-v4", "random", 40, 2)
	merged := filepath.Join(dir, "merged.parquet")
	if code, out, errs = runCmd("merge", "--out", merged, hop, hop2); code != 0 {
		t.Fatalf("merge: code %d, %s %s", code, out, errs)
	}
	m, err := datasets.ReadWith(merged, datasets.ReadOptions{State: true})
	if err != nil || m.NQ != 6 || len(m.Qpos) != 120*6 {
		t.Fatalf("merged dataset: %v, nq %d, %d qpos values", err, m.NQ, len(m.Qpos))
	}
	plain, err := datasets.Read(hop2)
	if err != nil {
		t.Fatal(err)
	}
	plain.Meta.NQ, plain.Meta.NV = 0, 0
	noState := filepath.Join(dir, "nostate.parquet")
	if err := datasets.Write(noState, plain); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCmd("merge", "--out", filepath.Join(dir, "mixed.parquet"), hop, noState)
	if code == 0 || !strings.Contains(out+errs, "nostate.parquet") || !strings.Contains(out+errs, "qpos/qvel") {
		t.Fatalf("merge with and without state: code %d, %s %s", code, out, errs)
	}
}
