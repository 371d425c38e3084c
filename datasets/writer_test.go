package datasets

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// outputs are the two kinds of destination: a single file and a
// directory with a manifest.
var outputs = []struct{ name, path string }{
	{"single file", "d.parquet"},
	{"directory", "hopper-medium-v0"},
}

// TestRoundTrip_B02 writes a 1-step and a 3-step episode (pitfall B02) and
// reads them back: every row, and in particular each episode's last
// next_observations, must come back as written.
func TestRoundTrip_B02(t *testing.T) {
	for _, out := range outputs {
		t.Run(out.name, func(t *testing.T) {
			d := makeDataset(t, []int{1, 3}, 3, 1, 2)
			path := filepath.Join(t.TempDir(), out.path)
			if err := Write(path, d); err != nil {
				t.Fatalf("Write: %v", err)
			}
			got, err := Read(path)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			assertSameRows(t, got, d)

			eps := got.Episodes()
			if len(eps) != 2 || eps[0].End-eps[0].Start != 1 || eps[1].End-eps[1].Start != 3 {
				t.Fatalf("Episodes() = %v, want lengths 1 and 3", eps)
			}
			for _, ep := range eps {
				last := ep.End - 1
				gotNext := got.NextObservations[last*3 : last*3+3]
				wantNext := d.NextObservations[last*3 : last*3+3]
				if !slices.Equal(gotNext, wantNext) {
					t.Errorf("last next_observations of episode at row %d = %v, want %v",
						last, gotNext, wantNext)
				}
				nextFirst := got.Observations[min(last+1, got.Len()-1)*3:][:3]
				if last+1 < got.Len() && slices.Equal(gotNext, nextFirst) {
					t.Errorf("last next_observations of episode at row %d equals the next episode's first observation", last)
				}
			}

			meta, err := ReadMetadata(path)
			if err != nil {
				t.Fatalf("ReadMetadata: %v", err)
			}
			if !reflect.DeepEqual(meta, got.Meta) {
				t.Errorf("ReadMetadata = %+v, want the Dataset's %+v", meta, got.Meta)
			}
			for _, c := range []struct{ key, got, want string }{
				{"dataset_id", meta.DatasetID, d.Meta.DatasetID},
				{"env_id", meta.EnvID, d.Meta.EnvID},
				{"env_version", string(meta.EnvVersion), string(d.Meta.EnvVersion)},
				{"behaviour_policy", string(meta.BehaviourPolicy), string(d.Meta.BehaviourPolicy)},
				{"seed", string(meta.Seed), string(d.Meta.Seed)},
				{"created_at", meta.CreatedAt, d.Meta.CreatedAt},
				{"schema_version", meta.SchemaVersion, SchemaVersion},
			} {
				if c.got != c.want {
					t.Errorf("metadata %s = %q, want %q", c.key, c.got, c.want)
				}
			}
		})
	}
}

// TestWriter_RejectsBadRows checks each row rule: the error is a
// ValidationError naming the column and the row, nothing is written, and
// the Writer accepts the next valid row.
func TestWriter_RejectsBadRows(t *testing.T) {
	good := func(ep, step int32) Transition {
		return Transition{EpisodeID: ep, Step: step, Obs: []float32{1, 2}, Action: []float32{0.5},
			NextObs: []float32{3, 4}, Reward: 1}
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	tests := []struct {
		name   string
		prev   []Transition // rows appended first
		bad    Transition
		column string
		row    int64
		text   string
	}{
		{"NaN observation", nil, func() Transition { t := good(0, 0); t.Obs = []float32{1, nan}; return t }(),
			"observations", 0, "NaN"},
		{"infinite reward", []Transition{good(0, 0)}, func() Transition { t := good(0, 1); t.Reward = inf; return t }(),
			"rewards", 1, "+Inf"},
		{"NaN next observation", nil, func() Transition { t := good(0, 0); t.NextObs = []float32{nan, 0}; return t }(),
			"next_observations", 0, "NaN"},
		{"NaN action", nil, func() Transition { t := good(0, 0); t.Action = []float32{nan}; return t }(),
			"actions", 0, "NaN"},
		{"short observation", nil, func() Transition { t := good(0, 0); t.Obs = []float32{1}; return t }(),
			"observations", 0, "want obs_dim 2"},
		{"long action", nil, func() Transition { t := good(0, 0); t.Action = []float32{1, 2}; return t }(),
			"actions", 0, "want act_dim 1"},
		{"first step not 0", nil, good(0, 1), "step", 0, "want 0"},
		{"negative episode", nil, good(-1, 0), "episode_id", 0, "want ≥ 0"},
		{"step skipped", []Transition{good(0, 0)}, good(0, 2), "step", 1, "want 1"},
		{"new episode without an end flag", []Transition{good(0, 0)}, good(1, 0), "episode_id", 1, "has not ended"},
		{"episode id skipped after an end", []Transition{func() Transition { t := good(0, 0); t.Terminal = true; return t }()},
			good(2, 0), "episode_id", 1, "want 1"},
		{"new episode not at step 0", []Transition{func() Transition { t := good(0, 0); t.Timeout = true; return t }()},
			good(1, 1), "step", 1, "want 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.parquet")
			w, err := NewWriter(path, testMeta(2, 1), WriterOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range tt.prev {
				if err := w.Append(p); err != nil {
					t.Fatalf("Append(valid row): %v", err)
				}
			}
			err = w.Append(tt.bad)
			wantValidation(t, err, tt.column, tt.row)
			msg := err.Error()
			if !strings.Contains(msg, tt.text) || !strings.Contains(msg, "d.parquet") {
				t.Errorf("error %q, want it to mention %q and the file", err, tt.text)
			}

			// The bad row was not written: the next valid row takes its place.
			next := good(0, int32(len(tt.prev)))
			if n := len(tt.prev); n > 0 && (tt.prev[n-1].Terminal || tt.prev[n-1].Timeout) {
				next = good(1, 0)
			}
			next.Timeout = true
			if err := w.Append(next); err != nil {
				t.Fatalf("Append(valid row after a rejected one): %v", err)
			}
			if err := w.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			d, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			if d.Len() != len(tt.prev)+1 {
				t.Errorf("Len() = %d, want %d", d.Len(), len(tt.prev)+1)
			}
		})
	}
}

// derivedRow is one row of a TestWriter_DerivedMetadata case.
type derivedRow struct {
	reward            float32
	terminal, timeout bool
}

// derivedRows lays out episodes with the given rewards; odd episodes end
// with a terminal, even ones with a timeout.
func derivedRows(eps ...[]float32) []derivedRow {
	var rows []derivedRow
	for k, rewards := range eps {
		for i, r := range rewards {
			last := i == len(rewards)-1
			rows = append(rows, derivedRow{r, last && k%2 == 1, last && k%2 == 0})
		}
	}
	return rows
}

// derivedCases are the cases of TestWriter_DerivedMetadata, with
// ref_min_score 0 and ref_max_score 10.
var derivedCases = []struct {
	name      string
	rows      []derivedRow
	maxSteps  int
	truncated bool // caller sets tail_truncated
	want      Metadata
}{
	{
		name: "complete episodes",
		rows: derivedRows([]float32{1, 2}, []float32{3}, []float32{-1, 0, 4}),
		want: Metadata{NumEpisodes: 3, NumTransitions: 6, NumTerminals: 1, NumTimeouts: 2,
			ReturnMean: 3, ReturnStd: 0, ReturnMin: 3, ReturnMax: 3, NormalizedScore: 30},
	},
	{
		name: "spread of returns",
		rows: derivedRows([]float32{0}, []float32{10}),
		want: Metadata{NumEpisodes: 2, NumTransitions: 2, NumTerminals: 1, NumTimeouts: 1,
			ReturnMean: 5, ReturnStd: 5, ReturnMin: 0, ReturnMax: 10, NormalizedScore: 50},
	},
	{
		name: "open tail is counted but not in the returns",
		rows: append(derivedRows([]float32{2}, []float32{4}), derivedRow{100, false, false}),
		want: Metadata{NumEpisodes: 3, NumTransitions: 3, NumTerminals: 1, NumTimeouts: 1,
			TailOpen: true, ReturnMean: 3, ReturnStd: 1, ReturnMin: 2, ReturnMax: 4, NormalizedScore: 30},
	},
	{
		name:     "timeout before max_episode_steps marks a truncated tail",
		rows:     derivedRows([]float32{1, 1, 1}, []float32{2, 2, 2}, []float32{9}),
		maxSteps: 3,
		want: Metadata{NumEpisodes: 3, NumTransitions: 7, NumTerminals: 1, NumTimeouts: 2,
			TailTruncated: true, ReturnMean: 4.5, ReturnStd: 1.5, ReturnMin: 3, ReturnMax: 6,
			NormalizedScore: 45},
	},
	{
		name:      "caller-set tail_truncated drops the last episode from the returns",
		rows:      derivedRows([]float32{1}, []float32{2}, []float32{7}),
		truncated: true,
		want: Metadata{NumEpisodes: 3, NumTransitions: 3, NumTerminals: 1, NumTimeouts: 2,
			TailTruncated: true, ReturnMean: 1.5, ReturnStd: 0.5, ReturnMin: 1, ReturnMax: 2,
			NormalizedScore: 15},
	},
	{
		name: "only an open episode",
		rows: []derivedRow{{1, false, false}, {2, false, false}},
		want: Metadata{NumEpisodes: 1, NumTransitions: 2, TailOpen: true},
	},
}

// TestWriter_DerivedMetadata checks the counts, return statistics,
// normalized score and tail flags Close computes, and that Validate agrees.
func TestWriter_DerivedMetadata(t *testing.T) {
	for _, tt := range derivedCases {
		t.Run(tt.name, func(t *testing.T) {
			meta := testMeta(1, 1)
			meta.RefMinScore, meta.RefMaxScore = 0, 10
			meta.MaxEpisodeSteps = tt.maxSteps
			meta.TailTruncated = tt.truncated
			path := filepath.Join(t.TempDir(), "d")
			writeDerivedRows(t, path, meta, tt.rows)
			got, err := ReadMetadata(path)
			if err != nil {
				t.Fatal(err)
			}
			checkDerivedFields(t, got, tt.want)
			d, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Validate(); err != nil {
				t.Errorf("Validate() on the written dataset: %v", err)
			}
		})
	}
}

// writeDerivedRows writes one-value rows with the given rewards and flags.
func writeDerivedRows(t *testing.T, path string, meta Metadata, rows []derivedRow) {
	t.Helper()
	w, err := NewWriter(path, meta, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ep, step int32
	for _, r := range rows {
		err := w.Append(Transition{EpisodeID: ep, Step: step,
			Obs: []float32{0}, Action: []float32{0}, NextObs: []float32{0},
			Reward: r.reward, Terminal: r.terminal, Timeout: r.timeout})
		if err != nil {
			t.Fatal(err)
		}
		step++
		if r.terminal || r.timeout {
			ep, step = ep+1, 0
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// checkDerivedFields compares the derived fields of got with want.
func checkDerivedFields(t *testing.T, got, want Metadata) {
	t.Helper()
	checks := []struct {
		key       string
		got, want float64
	}{
		{"num_episodes", float64(got.NumEpisodes), float64(want.NumEpisodes)},
		{"num_transitions", float64(got.NumTransitions), float64(want.NumTransitions)},
		{"num_terminals", float64(got.NumTerminals), float64(want.NumTerminals)},
		{"num_timeouts", float64(got.NumTimeouts), float64(want.NumTimeouts)},
		{"return_mean", got.ReturnMean, want.ReturnMean},
		{"return_std", got.ReturnStd, want.ReturnStd},
		{"return_min", got.ReturnMin, want.ReturnMin},
		{"return_max", got.ReturnMax, want.ReturnMax},
		{"normalized_score", got.NormalizedScore, want.NormalizedScore},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", c.key, c.got, c.want)
		}
	}
	if got.TailOpen != want.TailOpen || got.TailTruncated != want.TailTruncated {
		t.Errorf("tail_open, tail_truncated = %v, %v, want %v, %v",
			got.TailOpen, got.TailTruncated, want.TailOpen, want.TailTruncated)
	}
}

func TestWriter_TailTruncatedNeedsTimeout(t *testing.T) {
	meta := testMeta(1, 1)
	meta.TailTruncated = true
	dir := t.TempDir()
	w, err := NewWriter(filepath.Join(dir, "d.parquet"), meta, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	row := Transition{Obs: []float32{0}, Action: []float32{0}, NextObs: []float32{0},
		Terminal: true}
	if err := w.Append(row); err != nil {
		t.Fatal(err)
	}
	err = w.Close()
	wantValidation(t, err, "timeouts", 0)
	if names := dirEntries(t, dir); len(names) != 0 {
		t.Errorf("directory holds %v after a failed Close, want nothing", names)
	}
}

// TestWriter_LeavesNothingOnFailure checks atomicity: Abort, a failing
// Close and a rejected Write leave no file under the final name and no
// temporary file either.
func TestWriter_LeavesNothingOnFailure(t *testing.T) {
	for _, out := range outputs {
		t.Run(out.name, func(t *testing.T) {
			cases := []struct {
				name string
				run  func(path string) error
			}{
				{"Abort after rows", func(path string) error {
					w, err := NewWriter(path, testMeta(3, 1), WriterOptions{})
					if err != nil {
						return err
					}
					d := makeDataset(t, []int{2, 2}, 3, 1, 1)
					for i := range d.Len() {
						if err := w.Append(d.transition(i)); err != nil {
							return err
						}
					}
					if err := w.Abort(); err != nil {
						return err
					}
					if err := w.Abort(); err != nil {
						return err
					}
					if err := w.Close(); !errors.Is(err, ErrClosed) {
						t.Errorf("Close after Abort = %v, want ErrClosed", err)
					}
					return nil
				}},
				{"Close without rows", func(path string) error {
					w, err := NewWriter(path, testMeta(3, 1), WriterOptions{})
					if err != nil {
						return err
					}
					if err := w.Close(); !errors.Is(err, ErrEmpty) {
						t.Errorf("Close() = %v, want ErrEmpty", err)
					}
					return nil
				}},
				{"Write of a dataset with a NaN in its last row", func(path string) error {
					d := makeDataset(t, []int{3, 4}, 3, 1, 1)
					d.Rewards[d.Len()-1] = float32(math.NaN())
					err := Write(path, d)
					wantValidation(t, err, "rewards", int64(d.Len()-1))
					return nil
				}},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					dir := t.TempDir()
					if err := c.run(filepath.Join(dir, out.path)); err != nil {
						t.Fatal(err)
					}
					if names := dirEntries(t, dir); len(names) != 0 {
						t.Errorf("directory holds %v, want nothing", names)
					}
				})
			}
		})
	}
}

// TestWriter_Overwrite checks that an existing destination is refused
// unless Overwrite is set, and then replaced whole.
func TestWriter_Overwrite(t *testing.T) {
	for _, out := range outputs {
		t.Run(out.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, out.path)
			first := makeDataset(t, []int{2}, 3, 1, 1)
			second := makeDataset(t, []int{3, 1}, 3, 1, 2)
			if err := Write(path, first); err != nil {
				t.Fatal(err)
			}
			if err := Write(path, second); !errors.Is(err, ErrExists) {
				t.Fatalf("second Write = %v, want ErrExists", err)
			}
			got, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			assertSameRows(t, got, first)

			if err := WriteWith(path, second, WriterOptions{Overwrite: true}); err != nil {
				t.Fatalf("WriteWith(Overwrite) = %v", err)
			}
			got, err = Read(path)
			if err != nil {
				t.Fatal(err)
			}
			assertSameRows(t, got, second)
			if names := dirEntries(t, dir); !slices.Equal(names, []string{out.path}) {
				t.Errorf("directory holds %v, want only %s", names, out.path)
			}
		})
	}
}

// TestWriter_RefusesLateConflict checks the final rename: a destination
// created while the Writer ran is not replaced.
func TestWriter_RefusesLateConflict(t *testing.T) {
	for _, out := range outputs {
		t.Run(out.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, out.path)
			w, err := NewWriter(path, testMeta(1, 1), WriterOptions{})
			if err != nil {
				t.Fatal(err)
			}
			row := Transition{Obs: []float32{1}, Action: []float32{1}, NextObs: []float32{1},
				Timeout: true}
			if err := w.Append(row); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte("someone else's"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); !errors.Is(err, ErrExists) {
				t.Fatalf("Close() = %v, want ErrExists", err)
			}
			b, err := os.ReadFile(path)
			if err != nil || string(b) != "someone else's" {
				t.Errorf("destination = %q, %v, want it untouched", b, err)
			}
			if names := dirEntries(t, dir); !slices.Equal(names, []string{out.path}) {
				t.Errorf("directory holds %v, want only %s", names, out.path)
			}
		})
	}
}

// TestWriter_Deterministic writes the same rows twice and wants identical
// bytes in every file.
func TestWriter_Deterministic(t *testing.T) {
	for _, out := range outputs {
		t.Run(out.name, func(t *testing.T) {
			d := makeDataset(t, []int{5, 1, 7, 3}, 4, 2, 9)
			a, b := filepath.Join(t.TempDir(), out.path), filepath.Join(t.TempDir(), out.path)
			opts := WriterOptions{RowGroupRows: 5, PageBytes: 64, PartRows: 6}
			if err := WriteWith(a, d, opts); err != nil {
				t.Fatal(err)
			}
			if err := WriteWith(b, d, opts); err != nil {
				t.Fatal(err)
			}
			files := []string{""}
			if out.name == "directory" {
				files = dirEntries(t, a)
			}
			for _, f := range files {
				x, err := os.ReadFile(filepath.Join(a, f))
				if err != nil {
					t.Fatal(err)
				}
				y, err := os.ReadFile(filepath.Join(b, f))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(x, y) {
					t.Errorf("%s differs between two writes of the same rows",
						filepath.Join(out.path, f))
				}
			}
		})
	}
}

// TestWriter_Parts checks that PartRows cuts a directory dataset into
// parts at episode boundaries, that each footer carries the part's own
// counts, and that Read joins the parts back.
func TestWriter_Parts(t *testing.T) {
	d := makeDataset(t, []int{3, 2, 4, 1, 2}, 2, 1, 5)
	path := filepath.Join(t.TempDir(), "d")
	if err := WriteWith(path, d, WriterOptions{PartRows: 4}); err != nil {
		t.Fatal(err)
	}
	m, err := readManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	// 3+2 rows reach 4 after episode 1; 4 rows fill part 1; 1+2 remain.
	want := []struct {
		path     string
		episodes [2]int64
		rows     int64
	}{
		{"part-00000.parquet", [2]int64{0, 1}, 5},
		{"part-00001.parquet", [2]int64{2, 2}, 4},
		{"part-00002.parquet", [2]int64{3, 4}, 3},
	}
	if len(m.Shards) != len(want) {
		t.Fatalf("manifest has %d parts, want %d", len(m.Shards), len(want))
	}
	for i, w := range want {
		s := m.Shards[i]
		if s.Path != w.path || s.Episodes != w.episodes || s.Rows != w.rows {
			t.Errorf("part %d = %s %v %d rows, want %s %v %d rows",
				i, s.Path, s.Episodes, s.Rows, w.path, w.episodes, w.rows)
		}
		pm, err := ReadMetadata(filepath.Join(path, s.Path))
		if err != nil {
			t.Fatal(err)
		}
		if pm.NumTransitions != w.rows || pm.NumEpisodes != w.episodes[1]-w.episodes[0]+1 {
			t.Errorf("part %d footer counts %d rows, %d episodes, want %d, %d",
				i, pm.NumTransitions, pm.NumEpisodes, w.rows, w.episodes[1]-w.episodes[0]+1)
		}
	}
	if m.NumTransitions != 12 || m.NumEpisodes != 5 {
		t.Errorf("manifest counts %d rows, %d episodes, want 12, 5",
			m.NumTransitions, m.NumEpisodes)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	assertSameRows(t, got, d)
	if err := got.Validate(); err != nil {
		t.Errorf("Validate(): %v", err)
	}
}

// TestNewWriter_RejectsBadMetadata checks the metadata checks, each error
// naming the key.
func TestNewWriter_RejectsBadMetadata(t *testing.T) {
	tests := []struct {
		name string
		edit func(m *Metadata)
		key  string
	}{
		{"zero obs_dim", func(m *Metadata) { m.ObsDim = 0 }, "obs_dim"},
		{"zero act_dim", func(m *Metadata) { m.ActDim = 0 }, "act_dim"},
		{"bad dataset_id", func(m *Metadata) { m.DatasetID = "Hopper-v4" }, "dataset_id"},
		{"kind disagrees with id", func(m *Metadata) { m.DatasetKind = "random" }, "dataset_kind"},
		{"unknown kind", func(m *Metadata) { m.DatasetID, m.DatasetKind = "", "great" }, "dataset_kind"},
		{"action_low length", func(m *Metadata) { m.ActionLow = []float64{-1} }, "action_low"},
		{"invalid seed JSON", func(m *Metadata) { m.Seed = []byte("{oops") }, "seed"},
		{"created_at not RFC 3339", func(m *Metadata) { m.CreatedAt = "yesterday" }, "created_at"},
		{"NaN reference", func(m *Metadata) { m.RefMaxScore = math.NaN() }, "ref_max_score"},
		{"unknown timeouts_meaning", func(m *Metadata) { m.TimeoutsMeaning = "sometimes" }, "timeouts_meaning"},
		{"future schema", func(m *Metadata) { m.SchemaVersion = "2" }, "schema_version"},
		{"bad source hash", func(m *Metadata) { m.Sources = []Source{{DatasetID: "x", SHA256: "abc"}} }, "sources"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMeta(3, 2)
			tt.edit(&m)
			dir := t.TempDir()
			w, err := NewWriter(filepath.Join(dir, "d.parquet"), m, WriterOptions{})
			if err == nil {
				w.Abort()
				t.Fatalf("NewWriter accepted metadata with a bad %s", tt.key)
			}
			wantValidation(t, err, tt.key, -1)
			if names := dirEntries(t, dir); len(names) != 0 {
				t.Errorf("directory holds %v, want nothing", names)
			}
		})
	}
}

func TestNewWriter_RejectsBadOptions(t *testing.T) {
	bad := []WriterOptions{
		{RowGroupRows: -1}, {PageBytes: -5}, {CompressionLevel: 23}, {PartRows: -1},
	}
	for _, o := range bad {
		if w, err := NewWriter(filepath.Join(t.TempDir(), "d"), testMeta(1, 1), o); err == nil {
			w.Abort()
			t.Errorf("NewWriter(%+v) succeeded, want an error", o)
		}
	}
}

// Overwrite replaces a dataset, never a folder or file of the user's.
func TestWriter_OverwriteOnlyReplacesDatasets(t *testing.T) {
	dir := t.TempDir()
	meta := Metadata{DatasetID: "pendulum-medium-v0", EnvID: "Pendulum-v1", DatasetKind: "medium", ObsDim: 1, ActDim: 1}
	write := func(path string) error {
		w, err := NewWriter(path, meta, WriterOptions{Overwrite: true})
		if err != nil {
			return err
		}
		if err := w.Append(Transition{Obs: []float32{1}, Action: []float32{0}, NextObs: []float32{2},
			Timeout: true}); err != nil {
			return errors.Join(err, w.Abort())
		}
		return w.Close()
	}

	// A folder with the user's files survives.
	victim := filepath.Join(dir, "victim")
	os.MkdirAll(filepath.Join(victim, "src"), 0o755)
	os.WriteFile(filepath.Join(victim, "notes.txt"), []byte("mine"), 0o644)
	if err := write(victim); !errors.Is(err, ErrNotDataset) {
		t.Fatalf("overwriting a folder of notes: %v, want ErrNotDataset", err)
	}
	if b, _ := os.ReadFile(filepath.Join(victim, "notes.txt")); string(b) != "mine" {
		t.Fatal("the user's file was lost")
	}
	// A text file named .parquet survives.
	text := filepath.Join(dir, "thesis.parquet")
	os.WriteFile(text, []byte("chapter one"), 0o644)
	if err := write(text); !errors.Is(err, ErrNotDataset) {
		t.Fatalf("overwriting a text file: %v, want ErrNotDataset", err)
	}
	// A dataset is replaced, both as a folder and as a file.
	for _, p := range []string{filepath.Join(dir, "ds"), filepath.Join(dir, "ds.parquet")} {
		if err := write(p); err != nil {
			t.Fatal(err)
		}
		if err := write(p); err != nil {
			t.Fatalf("replacing the dataset %s: %v", p, err)
		}
	}
}
