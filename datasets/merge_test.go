package datasets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// mergeSource writes a time-limit dataset of the given kind whose episodes
// have the given lengths under a 5-step limit: episodes of 5 steps end in a
// timeout, shorter ones in a terminal. With cutTail the last episode ends
// in a budget-cut timeout instead; with openTail it has no end flag.
func mergeSource(t *testing.T, path, kind string, seed uint64, cutTail, openTail bool,
	lengths ...int) *Dataset {
	t.Helper()
	d := makeDataset(t, lengths, 3, 2, seed)
	row := 0
	for _, n := range lengths {
		row += n
		d.Terminals[row-1], d.Timeouts[row-1] = n < 5, n == 5
	}
	last := d.Len() - 1
	switch {
	case cutTail:
		d.Terminals[last], d.Timeouts[last] = false, true
		d.Meta.TailTruncated = true
	case openTail:
		d.Terminals[last], d.Timeouts[last] = false, false
	}
	d.Meta.DatasetID, d.Meta.DatasetKind = "pendulum-"+kind+"-v0", kind
	d.Meta.MaxEpisodeSteps = 5
	d.Meta.ActionLow, d.Meta.ActionHigh = []float64{-2, -2}, []float64{2, 2}
	if err := WriteWith(path, d, WriterOptions{PartRows: 6}); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Validate(); err != nil {
		t.Fatalf("source %s does not validate: %v", path, err)
	}
	return got
}

// sha256Of hashes the files in order, as Merge hashes a source.
func sha256Of(t *testing.T, files ...string) string {
	t.Helper()
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// sameRowsFrom fails unless rows [from, from+src.Len()) of got equal src's
// rows bit for bit, with episode ids shifted by episodeShift.
func sameRowsFrom(t *testing.T, got, src *Dataset, from int, episodeShift int32) {
	t.Helper()
	n, o, a := src.Len(), src.ObsDim, src.ActDim
	ids := slices.Clone(src.EpisodeIDs)
	for i := range ids {
		ids[i] += episodeShift
	}
	sameInts(t, "episode_id", got.EpisodeIDs[from:from+n], ids)
	sameInts(t, "step", got.Steps[from:from+n], src.Steps)
	sameFloats(t, "observations", got.Observations[from*o:(from+n)*o], src.Observations)
	sameFloats(t, "actions", got.Actions[from*a:(from+n)*a], src.Actions)
	sameFloats(t, "rewards", got.Rewards[from:from+n], src.Rewards)
	sameFloats(t, "next_observations", got.NextObservations[from*o:(from+n)*o],
		src.NextObservations)
	sameBools(t, "terminals", got.Terminals[from:from+n], src.Terminals)
	sameBools(t, "timeouts", got.Timeouts[from:from+n], src.Timeouts)
}

// TestMerge_MediumExpert merges a medium directory dataset (N1 rows, its
// last episode cut by the budget) and an expert file (N2 rows) and checks
// pitfall B34: N1+N2 rows, the first N1 the medium rows and the rest the
// expert rows, both sources listed with their SHA-256, and the result
// validates.
func TestMerge_MediumExpert(t *testing.T) {
	dir := t.TempDir()
	medPath := filepath.Join(dir, "pendulum-medium-v0")
	expPath := filepath.Join(dir, "pendulum-expert-v0.parquet")
	med := mergeSource(t, medPath, "medium", 1, true, false, 5, 3, 5, 5, 2)
	exp := mergeSource(t, expPath, "expert", 2, false, false, 5, 4, 5)

	for _, out := range []string{"me", "me.parquet"} {
		t.Run(out, func(t *testing.T) {
			path := filepath.Join(dir, out)
			meta, err := Merge(context.Background(), path, []string{medPath, expPath}, MergeOptions{
				DatasetID: "pendulum-medium-expert-v0", Kind: "medium-expert",
				Writer: WriterOptions{PartRows: 7}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			n1, n2 := med.Len(), exp.Len()
			if got.Len() != n1+n2 || meta.NumTransitions != int64(n1+n2) {
				t.Fatalf("merged rows = %d (metadata %d), want %d + %d",
					got.Len(), meta.NumTransitions, n1, n2)
			}
			sameRowsFrom(t, got, med, 0, 0)
			sameRowsFrom(t, got, exp, n1, 5)
			if err := got.Validate(); err != nil {
				t.Fatalf("merged dataset does not validate: %v", err)
			}

			parts := []string{filepath.Join(medPath, manifestName)}
			for _, name := range dirEntries(t, medPath) {
				if filepath.Ext(name) == ".parquet" {
					parts = append(parts, filepath.Join(medPath, name))
				}
			}
			want := []Source{
				{DatasetID: "pendulum-medium-v0", SHA256: sha256Of(t, parts...),
					Rows: int64(n1), TailCut: true},
				{DatasetID: "pendulum-expert-v0", SHA256: sha256Of(t, expPath), Rows: int64(n2)},
			}
			if !slices.Equal(meta.Sources, want) {
				t.Errorf("sources = %+v, want %+v", meta.Sources, want)
			}
			if meta.DatasetKind != "medium-expert" || meta.RefMinScore != -1200 ||
				meta.EnvID != "Pendulum-v1" || meta.MaxEpisodeSteps != 5 {
				t.Errorf("merged metadata %+v lost kind, env or reference scores", meta)
			}
			// 5 medium episodes, the last cut by the budget, and 3 expert ones.
			if meta.NumEpisodes != 8 || meta.TailTruncated {
				t.Errorf("num_episodes %d, tail_truncated %v, want 8, false",
					meta.NumEpisodes, meta.TailTruncated)
			}
		})
	}
}

// TestMerge_OpenTail merges an imported source whose last episode has no
// end flag: that row gains timeouts=true, every other value is unchanged,
// and the result validates.
func TestMerge_OpenTail(t *testing.T) {
	dir := t.TempDir()
	a := mergeSource(t, filepath.Join(dir, "a.parquet"), "medium", 3, false, true, 5, 2, 3)
	b := mergeSource(t, filepath.Join(dir, "b.parquet"), "expert", 4, false, true, 5, 1)
	out := filepath.Join(dir, "ab.parquet")
	meta, err := Merge(context.Background(), out, []string{filepath.Join(dir, "a.parquet"),
		filepath.Join(dir, "b.parquet")}, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Validate(); err != nil {
		t.Fatalf("merged dataset does not validate: %v", err)
	}
	a.Timeouts[a.Len()-1] = true
	sameRowsFrom(t, got, a, 0, 0)
	sameRowsFrom(t, got, b, a.Len(), 3)
	if !meta.TailOpen || !meta.Sources[0].TailCut || meta.Sources[1].TailCut {
		t.Errorf("tail_open %v, sources %+v; want the merged tail open and only "+
			"the first source cut", meta.TailOpen, meta.Sources)
	}
}

// TestMerge_Mismatch checks that sources which disagree are refused with an
// error naming the key, both sources and both values, and that nothing is
// written.
func TestMerge_Mismatch(t *testing.T) {
	tests := []struct {
		name   string
		change func(d *Dataset)
		key    string
		values [2]string
	}{
		{"env", func(d *Dataset) { d.Meta.EnvID = "MountainCarContinuous-v0" },
			"env_id", [2]string{"Pendulum-v1", "MountainCarContinuous-v0"}},
		{"time limit", func(d *Dataset) { d.Meta.MaxEpisodeSteps = 6 },
			"max_episode_steps", [2]string{"5", "6"}},
		{"action bounds", func(d *Dataset) { d.Meta.ActionHigh = []float64{2, 3} },
			"action_high", [2]string{"[2 2]", "[2 3]"}},
		{"reference", func(d *Dataset) { d.Meta.RefMaxScore = 0 },
			"ref_max_score", [2]string{"-150", "0"}},
		{"timeouts meaning", func(d *Dataset) { d.Meta.TimeoutsMeaning = TimeoutsGoalSwitch },
			"timeouts_meaning", [2]string{TimeoutsTimeLimit, TimeoutsGoalSwitch}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := filepath.Join(dir, "a.parquet")
			mergeSource(t, a, "medium", 5, false, false, 5, 5)
			d := makeDataset(t, []int{5}, 3, 2, 6)
			d.Terminals[4], d.Timeouts[4] = false, true
			d.Meta.MaxEpisodeSteps = 5
			d.Meta.ActionLow, d.Meta.ActionHigh = []float64{-2, -2}, []float64{2, 2}
			tt.change(d)
			b := filepath.Join(dir, "b.parquet")
			if err := Write(b, d); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out.parquet")
			_, err := Merge(context.Background(), out, []string{a, b}, MergeOptions{})
			wantValidation(t, err, tt.key, -1)
			for _, s := range []string{a, b, tt.values[0], tt.values[1]} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %q", err, s)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a refused merge wrote its output")
			}
		})
	}
}

// TestMerge_Refuses checks the other refusals: no sources, and an output
// that is one of the sources.
func TestMerge_Refuses(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.parquet")
	mergeSource(t, a, "medium", 7, false, false, 5)
	tests := []struct {
		name    string
		out     string
		sources []string
	}{
		{"no sources", filepath.Join(dir, "x.parquet"), nil},
		{"output is a source", a, []string{a}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := MergeOptions{Writer: WriterOptions{Overwrite: true}}
			if _, err := Merge(context.Background(), tt.out, tt.sources, opts); err == nil {
				t.Fatalf("Merge(%s, %v) = nil error", tt.out, tt.sources)
			}
		})
	}
	if _, err := Read(a); err != nil {
		t.Errorf("the source was damaged: %v", err)
	}
}

// TestCompleteEpisodes checks that the complete episodes are those the
// metadata's return statistics cover.
func TestCompleteEpisodes(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet")
	mergeSource(t, a, "medium", 8, true, false, 5, 2, 3)
	mergeSource(t, b, "expert", 9, true, false, 5, 4, 1)
	out := filepath.Join(dir, "ab.parquet")
	if _, err := Merge(context.Background(), out, []string{a, b}, MergeOptions{}); err != nil {
		t.Fatal(err)
	}
	d, err := Read(out)
	if err != nil {
		t.Fatal(err)
	}
	var starts []int
	sum := 0.0
	for _, ep := range d.CompleteEpisodes() {
		starts = append(starts, ep.Start)
		sum += ep.Return
	}
	if want := []int{0, 5, 10, 15}; !slices.Equal(starts, want) {
		t.Errorf("CompleteEpisodes() start at rows %v, want %v", starts, want)
	}
	if mean := sum / float64(len(starts)); math.Abs(mean-d.Meta.ReturnMean) > 1e-9 {
		t.Errorf("mean return of CompleteEpisodes() = %v, metadata return_mean %v",
			mean, d.Meta.ReturnMean)
	}
}

// TestValidate_Sources checks the rules on a merged dataset's sources: the
// rows add up, a cut tail ends on a timeout row, and a cut tail on the last
// row needs tail_truncated; a cut tail shorter than the time limit is
// accepted where it ends.
func TestValidate_Sources(t *testing.T) {
	sum := hex.EncodeToString(make([]byte, 32))
	tests := []struct {
		name      string
		sources   []Source
		truncated bool
		wantErr   string
	}{
		{"cut tail inside", []Source{{SHA256: sum, Rows: 7, TailCut: true},
			{SHA256: sum, Rows: 5}}, false, ""},
		{"rows do not add up", []Source{{SHA256: sum, Rows: 7, TailCut: true},
			{SHA256: sum, Rows: 4}}, false, "rows add up to 11, but the dataset has 12 rows"},
		{"cut tail not on a timeout", []Source{{SHA256: sum, Rows: 6, TailCut: true},
			{SHA256: sum, Rows: 6}}, false, "ends on row 5, which has timeouts=false"},
		{"no cut recorded", []Source{{SHA256: sum, Rows: 7}, {SHA256: sum, Rows: 5}},
			false, "time-limit timeout after 2 steps"},
		{"last cut without tail_truncated", []Source{{SHA256: sum, Rows: 7, TailCut: true},
			{SHA256: sum, Rows: 5, TailCut: true}}, false, "tail_truncated is false"},
		{"last cut with tail_truncated", []Source{{SHA256: sum, Rows: 7, TailCut: true},
			{SHA256: sum, Rows: 5, TailCut: true}}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Episodes of 5 and 2 (cut) rows, then one of 5 rows.
			d := makeDataset(t, []int{5, 2, 5}, 2, 1, 11)
			for _, end := range []int{4, 6, 11} {
				d.Terminals[end], d.Timeouts[end] = false, true
			}
			d.Meta.MaxEpisodeSteps, d.Meta.Sources = 5, tt.sources
			d.Meta.TailTruncated = tt.truncated
			var tl tally
			tl.cuts = cutEnds(d.Meta.Sources)
			for i := range d.Len() {
				tl.add(d.Rewards[i], d.Terminals[i], d.Timeouts[i])
			}
			tl.finish(tt.truncated)
			tl.fill(&d.Meta)
			d.Meta.ObsDim, d.Meta.ActDim = 2, 1

			err := d.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestReadLayout checks the stored schema and part list of a file and of a
// directory in two parts.
func TestReadLayout(t *testing.T) {
	dir := t.TempDir()
	d := makeDataset(t, []int{3, 4}, 2, 1, 12)
	file, parts := filepath.Join(dir, "d.parquet"), filepath.Join(dir, "d")
	if err := Write(file, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteWith(parts, d, WriterOptions{PartRows: 1}); err != nil {
		t.Fatal(err)
	}
	wantCols := []StoredColumn{{"episode_id", "INT32"}, {"step", "INT32"},
		{"observations", "LIST<FLOAT>"}, {"actions", "LIST<FLOAT>"}, {"rewards", "FLOAT"},
		{"next_observations", "LIST<FLOAT>"}, {"terminals", "BOOLEAN"},
		{"timeouts", "BOOLEAN"}}
	tests := []struct {
		path      string
		wantParts []string
	}{
		{file, []string{"d.parquet"}},
		{parts, []string{"part-00000.parquet", "part-00001.parquet"}},
	}
	for _, tt := range tests {
		l, err := ReadLayout(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(l.Parts, tt.wantParts) || !slices.Equal(l.Columns, wantCols) {
			t.Errorf("ReadLayout(%s) = %+v, want parts %v and columns %v",
				tt.path, l, tt.wantParts, wantCols)
		}
	}
}

// TestMerge_Cancelled checks that a cancelled merge reports the
// cancellation and leaves nothing at the output.
func TestMerge_Cancelled(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.parquet")
	mergeSource(t, a, "medium", 13, false, false, 5, 5)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(dir, "out")
	_, err := Merge(ctx, out, []string{a, a}, MergeOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Merge with a cancelled context = %v, want context.Canceled", err)
	}
	if names := dirEntries(t, dir); !slices.Equal(names, []string{"a.parquet"}) {
		t.Errorf("a cancelled merge left %v behind", names)
	}
}

// MergeOptions.CreatedAt and CreatedBy are recorded as given; left empty,
// a reproducible merge records no time and the default creator.
func TestMerge_CreatedFields(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.parquet")
	mergeSource(t, a, "medium", 3, false, false, 5, 2)
	for _, c := range []struct{ at, by, wantAt, wantBy string }{
		{"2026-01-02T03:04:05Z", "offrl 9.9", "2026-01-02T03:04:05Z", "offrl 9.9"},
		{"", "", "", "offrl"},
	} {
		out := filepath.Join(dir, "m"+c.by+".parquet")
		meta, err := Merge(context.Background(), out, []string{a}, MergeOptions{
			CreatedAt: c.at, CreatedBy: c.by, Writer: WriterOptions{Reproducible: true}})
		if err != nil {
			t.Fatal(err)
		}
		if meta.CreatedAt != c.wantAt || meta.CreatedBy != c.wantBy {
			t.Errorf("created_at %q, created_by %q; want %q, %q",
				meta.CreatedAt, meta.CreatedBy, c.wantAt, c.wantBy)
		}
	}
}
