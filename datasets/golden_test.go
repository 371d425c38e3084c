package datasets

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// Golden files: a small dataset written as a single file, and the
// manifest of the same dataset written as a directory (its sha256 pins
// the part's bytes). The same rows and metadata must always give the same
// bytes; an intended change of layout is reviewed by running
// `go test ./datasets -run Golden -update` and reading the diff.
const (
	goldenFile     = "testdata/golden.parquet"
	goldenManifest = "testdata/golden-manifest.json"
)

// goldenDataset is three short episodes with readable values: a 1-step
// episode ending in a terminal, a 3-step one ending in a timeout, and a
// 2-step one cut by the budget (tail_truncated under a 3-step limit).
func goldenDataset() *Dataset {
	d := &Dataset{ObsDim: 3, ActDim: 2}
	d.Meta = testMeta(3, 2)
	d.Meta.MaxEpisodeSteps = 3
	d.Meta.ActionLow, d.Meta.ActionHigh = []float64{-2, -1}, []float64{2, 1}
	lengths := []int{1, 3, 2}
	row := 0
	for ep, n := range lengths {
		for step := range n {
			r := float32(row)
			d.EpisodeIDs = append(d.EpisodeIDs, int32(ep))
			d.Steps = append(d.Steps, int32(step))
			d.Observations = append(d.Observations, r, r+0.5, -r)
			d.NextObservations = append(d.NextObservations, r+1, r+1.5, -r-1)
			d.Actions = append(d.Actions, r/10, -r/10)
			d.Rewards = append(d.Rewards, r-2.25)
			d.Terminals = append(d.Terminals, ep == 0 && step == n-1)
			d.Timeouts = append(d.Timeouts, ep > 0 && step == n-1)
			row++
		}
	}
	return d
}

// checkGolden compares got with the golden file, or rewrites it with
// -update.
func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("bytes differ from %s (%d bytes, want %d); if the change is intended, rerun with -update",
			golden, len(got), len(want))
	}
}

func TestGolden_File(t *testing.T) {
	path := filepath.Join(t.TempDir(), "golden.parquet")
	if err := Write(path, goldenDataset()); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, goldenFile, got)
}

func TestGolden_Manifest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "golden")
	if err := Write(path, goldenDataset()); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(path, manifestName))
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, goldenManifest, got)
}

// TestGolden_Read reads the committed golden file, so the reader is
// checked against bytes written by an earlier build, not only by the
// writer of this one.
func TestGolden_Read(t *testing.T) {
	d, err := Read(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	want := goldenDataset()
	assertSameRows(t, d, want)
	if err := d.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
	m := d.Meta
	if m.NumEpisodes != 3 || m.NumTransitions != 6 || m.NumTerminals != 1 || m.NumTimeouts != 2 ||
		!m.TailTruncated || m.TailOpen || m.CreatedAt != want.Meta.CreatedAt {
		t.Errorf("golden metadata = %+v, want 3 episodes, 6 rows, 1 terminal, 2 timeouts, "+
			"a truncated tail and created_at %s", m, want.Meta.CreatedAt)
	}
}
