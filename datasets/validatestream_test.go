package datasets

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// readAndValidate is what ValidateStream must agree with.
func readAndValidate(path string) error {
	d, err := Read(path)
	if err != nil {
		return err
	}
	return d.Validate()
}

// sameVerdict checks that ValidateStream and Read+Validate agree on path,
// and returns their error.
func sameVerdict(t *testing.T, path string) error {
	t.Helper()
	want := readAndValidate(path)
	_, got := ValidateStream(context.Background(), path, ReadOptions{})
	switch {
	case (got == nil) != (want == nil):
		t.Errorf("ValidateStream(%s) = %v, Read+Validate = %v", path, got, want)
	case got != nil && got.Error() != want.Error():
		t.Errorf("ValidateStream(%s) =\n  %v\nRead+Validate =\n  %v", path, got, want)
	}
	return want
}

// TestValidateStream_AgreesWithValidate writes datasets with small row
// groups, so that episodes, continuity and the time-limit checks span row
// group boundaries, edits their data or their manifest in each way the
// validation rules catch, and wants ValidateStream to give the verdict and
// message of Read followed by Validate.
func TestValidateStream_AgreesWithValidate(t *testing.T) {
	allTimeouts := func(d *Dataset) {
		for i := range d.Terminals {
			d.Timeouts[i] = d.Timeouts[i] || d.Terminals[i]
			d.Terminals[i] = false
		}
	}
	sha := strings.Repeat("ab", 32)
	tests := []struct {
		name     string
		lengths  []int
		data     func(d *Dataset)  // edits the rows and metadata before writing
		manifest func(m *manifest) // edits the manifest after writing (directories only)
		fails    bool              // Read+Validate must fail, so that the case tests a rule
	}{
		{"clean", []int{5, 5, 5}, allTimeouts, nil, false},
		{"mixed flags", []int{5, 4, 5, 1, 5}, nil, nil, false},
		{"truncated tail", []int{5, 5, 2}, func(d *Dataset) { allTimeouts(d); d.Meta.TailTruncated = true }, nil, false},
		{"early timeout", []int{5, 3, 5}, allTimeouts, nil, true},
		{"short last episode", []int{5, 5, 3}, allTimeouts, nil, false},
		{"short last episode not truncated", []int{5, 5, 3}, allTimeouts, func(m *manifest) { m.TailTruncated = false }, true},
		{"too long", []int{5, 7, 5}, nil, nil, true},
		{"open tail too long", []int{5, 5, 7}, func(d *Dataset) {
			d.Terminals[d.Len()-1], d.Timeouts[d.Len()-1] = false, false
		}, nil, true},
		{"goal switches", []int{1, 4, 2}, func(d *Dataset) {
			allTimeouts(d)
			d.Meta.TimeoutsMeaning = TimeoutsGoalSwitch
		}, nil, false},
		{"continuity inside a group", []int{5, 5}, func(d *Dataset) { d.NextObservations[1*d.ObsDim+1] += 1 }, nil, true},
		{"continuity across groups", []int{5, 5}, func(d *Dataset) { d.NextObservations[2*d.ObsDim] += 1 }, nil, true},
		{"next observation at an episode end", []int{5, 5}, func(d *Dataset) { d.NextObservations[4*d.ObsDim] += 1 }, nil, false},
		{"num_transitions", []int{5, 5}, nil, func(m *manifest) { m.NumTransitions = 11 }, true},
		{"num_episodes", []int{5, 5}, nil, func(m *manifest) { m.NumEpisodes = 3 }, true},
		{"num_terminals and num_timeouts", []int{5, 5}, nil, func(m *manifest) { m.NumTerminals, m.NumTimeouts = 2, 0 }, true},
		{"return_mean", []int{5, 5, 5}, nil, func(m *manifest) { m.ReturnMean += 1e-3 }, true},
		{"return_std", []int{5, 5, 5}, nil, func(m *manifest) { m.ReturnStd += 1 }, true},
		{"normalized_score", []int{5, 5}, nil, func(m *manifest) { m.NormalizedScore = 1 }, true},
		{"tail_open", []int{5}, nil, func(m *manifest) { m.TailOpen = true }, true},
		{"tail_truncated without a timeout", []int{4, 5}, nil, func(m *manifest) { m.TailTruncated = true }, true},
		{"tail_truncated and an early timeout", []int{4, 5, 2}, allTimeouts, func(m *manifest) {
			m.TailTruncated = true
			m.NumTransitions = 1
		}, true},
		{"sources add up wrong", []int{5, 5}, nil, func(m *manifest) {
			m.Sources = []Source{{SHA256: sha, Rows: 3}, {SHA256: sha, Rows: 3}}
		}, true},
		{"cut source tail", []int{5, 3, 5}, allTimeouts, func(m *manifest) {
			m.Sources = []Source{{SHA256: sha, Rows: 8, TailCut: true}, {SHA256: sha, Rows: 5}}
		}, true}, // the return statistics now leave episode 1 out
		{"cut source tail on a row without timeout", []int{5, 5}, allTimeouts, func(m *manifest) {
			m.Sources = []Source{{SHA256: sha, Rows: 7, TailCut: true}, {SHA256: sha, Rows: 3}}
		}, true},
		{"last source cut without tail_truncated", []int{5, 5}, allTimeouts, func(m *manifest) {
			m.Sources = []Source{{SHA256: sha, Rows: 5}, {SHA256: sha, Rows: 5, TailCut: true}}
		}, true},
		{"manifest identity edited", []int{5, 5}, nil, func(m *manifest) { m.MaxEpisodeSteps = 3 }, true},
		{"manifest rows edited", []int{5, 5}, nil, func(m *manifest) { m.Shards[0].Rows = 9 }, true},
		{"manifest episodes edited", []int{5, 5}, nil, func(m *manifest) { m.Shards[0].Episodes[1] = 2 }, true},
	}
	for _, tt := range tests {
		for _, groupRows := range []int{1, 3, 4, 1000} {
			for _, out := range outputs {
				if tt.manifest != nil && out.name != "directory" {
					continue
				}
				t.Run(fmt.Sprintf("%s/groups of %d/%s", tt.name, groupRows, out.name), func(t *testing.T) {
					d := makeDataset(t, tt.lengths, 3, 2, 5)
					d.Meta.MaxEpisodeSteps = 5
					if tt.data != nil {
						tt.data(d)
					}
					path := filepath.Join(t.TempDir(), out.path)
					if err := WriteWith(path, d, WriterOptions{RowGroupRows: groupRows, PartRows: 6}); err != nil {
						t.Fatal(err)
					}
					if tt.manifest != nil {
						editManifest(t, path, tt.manifest)
					}
					if err := sameVerdict(t, path); (err != nil) != tt.fails {
						t.Errorf("Read+Validate = %v, want failure %v", err, tt.fails)
					}
				})
			}
		}
	}
}

// TestValidateStream_RowFaults writes foreign files whose row groups hold
// two rows, with one bad value in a later group, and wants the error to
// name the row within the file, as Read's does.
func TestValidateStream_RowFaults(t *testing.T) {
	d := makeDataset(t, []int{3, 4, 3}, 2, 1, 9)
	tests := []struct {
		name  string
		cells map[string]cellFunc
	}{
		{"NaN reward", map[string]cellFunc{colRewards: func(i int) any { return map[bool]float64{true: math.NaN()}[i == 7] }}},
		{"infinite observation", map[string]cellFunc{colObs: func(i int) any {
			return []float64{0, map[bool]float64{true: math.Inf(1)}[i == 5]}
		}}},
		{"short list", map[string]cellFunc{colNextObs: func(i int) any { return make([]float64, 2-btoi(i == 6)) }}},
		{"step out of order", map[string]cellFunc{colStep: func(i int) any {
			return float64([]int{0, 1, 2, 0, 1, 3, 3, 0, 1, 2}[i])
		}}},
		{"episode id across a group boundary", map[string]cellFunc{colEpisodeID: func(i int) any {
			return float64([]int{0, 0, 0, 1, 1, 1, 1, 3, 3, 3}[i])
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := defaultForeignSpec()
			spec.options = []parquet.WriterOption{parquet.MaxRowsPerRowGroup(2)}
			path := filepath.Join(t.TempDir(), "bad.parquet")
			writeForeign(t, path, d, spec, tt.cells)
			if pf := openTestParquet(t, path); len(pf.RowGroups()) < 2 {
				t.Fatalf("%d row groups, want several", len(pf.RowGroups()))
			}
			if sameVerdict(t, path) == nil {
				t.Error("Read+Validate passed, want a fault")
			}
		})
	}
}

// TestValidateStream_Fixtures checks the committed corrupted datasets.
func TestValidateStream_Fixtures(t *testing.T) {
	dir := filepath.Join("..", "testdata", "corrupt")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "README.md" {
			continue
		}
		t.Run(e.Name(), func(t *testing.T) {
			err := sameVerdict(t, filepath.Join(dir, e.Name()))
			if (err == nil) != (e.Name() == "clean") {
				t.Errorf("Read+Validate = %v", err)
			}
		})
	}
}

// TestScan_Chunks checks that Scan passes every row once, in order, with
// the dataset row of each chunk, and that an error from fn stops it.
func TestScan_Chunks(t *testing.T) {
	d := makeDataset(t, []int{7, 5, 9}, 3, 2, 4)
	for _, out := range outputs {
		path := filepath.Join(t.TempDir(), out.path)
		if err := WriteWith(path, d, WriterOptions{RowGroupRows: 4, PartRows: 10}); err != nil {
			t.Fatal(err)
		}
		got := &Dataset{}
		var chunks int
		meta, err := Scan(context.Background(), path, func(c *Dataset, first int64) error {
			if first != int64(got.Len()) {
				t.Errorf("%s: chunk at row %d after %d rows", out.name, first, got.Len())
			}
			chunks++
			got.ObsDim, got.ActDim = c.ObsDim, c.ActDim
			got.EpisodeIDs = append(got.EpisodeIDs, c.EpisodeIDs...)
			got.Steps = append(got.Steps, c.Steps...)
			got.Observations = append(got.Observations, c.Observations...)
			got.Actions = append(got.Actions, c.Actions...)
			got.Rewards = append(got.Rewards, c.Rewards...)
			got.NextObservations = append(got.NextObservations, c.NextObservations...)
			got.Terminals = append(got.Terminals, c.Terminals...)
			got.Timeouts = append(got.Timeouts, c.Timeouts...)
			return nil
		})
		if err != nil {
			t.Fatalf("%s: Scan = %v", out.name, err)
		}
		if chunks < 5 {
			t.Errorf("%s: %d chunks, want one per row group", out.name, chunks)
		}
		if meta.NumTransitions != int64(d.Len()) {
			t.Errorf("%s: metadata says %d rows, want %d", out.name, meta.NumTransitions, d.Len())
		}
		assertSameRows(t, got, d)

		stop := fmt.Errorf("stop")
		calls := 0
		_, err = Scan(context.Background(), path, func(*Dataset, int64) error { calls++; return stop })
		if err != stop || calls != 1 {
			t.Errorf("%s: Scan with a failing fn = %v after %d calls, want the fn's error after 1", out.name, err, calls)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := Scan(ctx, path, func(*Dataset, int64) error { return nil }); err == nil {
			t.Errorf("%s: Scan with a cancelled context = nil", out.name)
		}
	}
}

// TestValidateStream_B26_Memory validates 300k HalfCheetah-shaped rows
// (obs 17, act 6) stored in 50k-row row groups and wants the peak heap
// growth well below the size of the rows' arrays, which Read would hold
// all at once (pitfall B26).
func TestValidateStream_B26_Memory(t *testing.T) {
	const rows, obsDim, actDim, groupRows = 300_000, 17, 6, 50_000
	if testing.Short() {
		t.Skip("writes 300k rows")
	}
	path := filepath.Join(t.TempDir(), "big")
	w, err := NewWriter(path, testMeta(obsDim, actDim), WriterOptions{RowGroupRows: groupRows})
	if err != nil {
		t.Fatal(err)
	}
	obs, next := make([]float32, obsDim), make([]float32, obsDim)
	act := make([]float32, actDim)
	const episodeSteps = 1000
	for i := range rows {
		step := i % episodeSteps
		for j := range next {
			next[j] = float32(i)*0.001 + float32(j)
		}
		act[i%actDim] = float32(step) * 0.01
		tr := Transition{EpisodeID: int32(i / episodeSteps), Step: int32(step), Obs: obs, Action: act,
			NextObs: next, Reward: float32(step%7) * 0.1, Timeout: step == episodeSteps-1}
		if err := w.Append(tr); err != nil {
			t.Fatal(err)
		}
		obs, next = next, obs
		if step == episodeSteps-1 {
			for j := range obs {
				obs[j] = -1
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	full := int64(rows) * int64(4*(2*obsDim+actDim+1+2)+2) // floats, ids and steps, flags

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	meta, err := ValidateStream(context.Background(), path, ReadOptions{})
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatalf("ValidateStream = %v", err)
	}
	if meta.NumTransitions != rows {
		t.Fatalf("%d rows, want %d", meta.NumTransitions, rows)
	}
	growth := int64(peak.Load()) - int64(base.HeapAlloc)
	ratio := float64(growth) / float64(full)
	t.Logf("peak heap growth %.1f MB, full arrays %.1f MB, ratio %.2f",
		float64(growth)/1e6, float64(full)/1e6, ratio)
	if ratio > 0.4 {
		t.Errorf("peak heap growth is %.0f%% of the full arrays, want < 40%%", 100*ratio)
	}
}
