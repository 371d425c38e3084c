package datasets

import (
	"context"
	"encoding/base64"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// withState adds qpos (nq values) and qvel (nv values) to every row of d,
// float64 values that float32 cannot hold, so that a round trip through
// float32 would show.
func withState(d *Dataset, nq, nv int) *Dataset {
	d.NQ, d.NV = nq, nv
	d.Meta.NQ, d.Meta.NV = nq, nv
	d.Qpos, d.Qvel = nil, nil
	for i := range d.Len() {
		for j := range nq {
			d.Qpos = append(d.Qpos, math.Pi*float64(i+1)+float64(j)/3)
		}
		for j := range nv {
			d.Qvel = append(d.Qvel, -math.E*float64(i)-float64(j)/7)
		}
	}
	return d
}

func sameFloat64s(t testing.TB, col string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", col, len(got), len(want))
	}
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s[%d] = %v, want %v", col, i, got[i], want[i])
		}
	}
}

// The state columns round-trip bit for bit as float64, in a single file
// and across the parts of a directory, and are loaded only on request.
func TestState_RoundTrip(t *testing.T) {
	for _, name := range []string{"d.parquet", "d"} {
		t.Run(name, func(t *testing.T) {
			want := withState(makeDataset(t, []int{3, 5, 2, 4}, 4, 2, 9), 3, 2)
			path := filepath.Join(t.TempDir(), name)
			if err := WriteWith(path, want, WriterOptions{PartRows: 4, RowGroupRows: 3}); err != nil {
				t.Fatal(err)
			}
			got, err := ReadWith(path, ReadOptions{State: true})
			if err != nil {
				t.Fatal(err)
			}
			assertSameRows(t, got, want)
			if got.NQ != 3 || got.NV != 2 || got.Meta.NQ != 3 || got.Meta.NV != 2 {
				t.Fatalf("nq, nv = %d, %d (metadata %d, %d), want 3, 2",
					got.NQ, got.NV, got.Meta.NQ, got.Meta.NV)
			}
			sameFloat64s(t, "qpos", got.Qpos, want.Qpos)
			sameFloat64s(t, "qvel", got.Qvel, want.Qvel)
			if s := got.State(5); !slices.Equal(s, append(slices.Clone(want.Qpos[15:18]), want.Qvel[10:12]...)) {
				t.Fatalf("State(5) = %v", s)
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if _, err := ValidateStream(context.Background(), path, ReadOptions{}); err != nil {
				t.Fatalf("ValidateStream: %v", err)
			}

			// Without the option the columns stay on disk.
			plain, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			if plain.Qpos != nil || plain.Qvel != nil || plain.NQ != 0 || plain.Meta.NQ != 3 {
				t.Fatalf("Read without State loaded %d qpos values, NQ %d, metadata nq %d",
					len(plain.Qpos), plain.NQ, plain.Meta.NQ)
			}
			if err := plain.Validate(); err != nil {
				t.Fatalf("Validate of a Dataset read without state: %v", err)
			}
			wrong := *got
			wrong.Meta.NQ = 4
			if err := wrong.Validate(); err == nil || !strings.Contains(err.Error(), "nq") {
				t.Fatalf("Validate of metadata nq 4 over 3-wide qpos: %v", err)
			}
			if err := Write(filepath.Join(t.TempDir(), "x.parquet"), plain); err == nil ||
				!strings.Contains(err.Error(), "nq 3") {
				t.Fatalf("writing a Dataset read without state kept nq: %v", err)
			}

			// Scan hands each row group its own rows of state.
			var qpos []float64
			_, err = ScanWith(context.Background(), path, ReadOptions{State: true},
				func(c *Dataset, first int64) error {
					if len(c.Qpos) != c.Len()*3 || len(c.Qvel) != c.Len()*2 {
						t.Fatalf("chunk at %d: %d qpos, %d qvel values for %d rows",
							first, len(c.Qpos), len(c.Qvel), c.Len())
					}
					qpos = append(qpos, c.Qpos...)
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
			sameFloat64s(t, "scanned qpos", qpos, want.Qpos)
		})
	}
}

// The Arrow schema declares the state columns as FixedSizeList<float64>,
// after the eight layout columns, and the Parquet schema as LIST<DOUBLE>.
func TestState_Schema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.parquet")
	if err := Write(path, withState(makeDataset(t, []int{2}, 5, 3, 1), 6, 4)); err != nil {
		t.Fatal(err)
	}
	got, ok := openTestParquet(t, path).Lookup(arrowSchemaKey)
	if !ok || got != arrowSchema(5, 3, 6, 4) {
		t.Fatalf("footer %s does not hold the schema with state", arrowSchemaKey)
	}
	raw, err := base64.StdEncoding.DecodeString(got)
	if err != nil {
		t.Fatal(err)
	}
	r := &fbReader{t: t, b: raw[8:]}
	fields := r.table(int(r.u32(0))).table(2).tables(1)
	if len(fields) != 10 {
		t.Fatalf("%d Arrow fields, want 10", len(fields))
	}
	for i, w := range []struct {
		name string
		size int32
	}{{"qpos", 6}, {"qvel", 4}} {
		f := fields[8+i]
		typ, kids := f.table(3), f.tables(5)
		if f.str(0) != w.name || f.uint8(2) != arrowTypeFixedSizeLst || typ.int32(0) != w.size ||
			len(kids) != 1 || kids[0].str(0) != "element" ||
			kids[0].table(3).int16(0) != arrowPrecisionDouble {
			t.Errorf("field %d: %q type %d size %d, want %s FixedSizeList<float64>[%d]",
				8+i, f.str(0), f.uint8(2), typ.int32(0), w.name, w.size)
		}
	}
	l, err := ReadLayout(path)
	if err != nil {
		t.Fatal(err)
	}
	n := len(l.Columns)
	if n != 10 || l.Columns[8] != (StoredColumn{"qpos", "LIST<DOUBLE>"}) ||
		l.Columns[9] != (StoredColumn{"qvel", "LIST<DOUBLE>"}) {
		t.Fatalf("stored columns %v, want qpos and qvel LIST<DOUBLE> last", l.Columns)
	}
	if v, ok := openTestParquet(t, path).Lookup("nq"); !ok || v != "6" {
		t.Fatalf("footer nq = %q, %v, want 6", v, ok)
	}
}

// The writer checks the state of every row and names the column and row.
func TestState_WriterChecks(t *testing.T) {
	row := func(step int32) Transition {
		return Transition{Step: step, Obs: []float32{1}, Action: []float32{0}, NextObs: []float32{1},
			Qpos: []float64{1, 2}, Qvel: []float64{3}}
	}
	meta := testMeta(1, 1)
	meta.NQ, meta.NV = 2, 1
	tests := []struct {
		name   string
		edit   func(*Transition)
		column string
		text   string
	}{
		{"short qpos", func(t *Transition) { t.Qpos = t.Qpos[:1] }, "qpos", "list length 1, want nq 2"},
		{"missing qvel", func(t *Transition) { t.Qvel = nil }, "qvel", "list length 0, want nv 1"},
		{"NaN qvel", func(t *Transition) { t.Qvel = []float64{nan()} }, "qvel", "NaN"},
		{"infinite qpos", func(t *Transition) { t.Qpos = []float64{0, math.Inf(-1)} }, "qpos", "element 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := NewWriter(filepath.Join(t.TempDir(), "d.parquet"), meta, WriterOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			if err := w.Append(row(0)); err != nil {
				t.Fatal(err)
			}
			r := row(1)
			tt.edit(&r)
			err = w.Append(r)
			wantValidation(t, err, tt.column, 1)
			if !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("error %q does not say %q", err, tt.text)
			}
		})
	}

	// State given to a dataset declared without it.
	w, err := NewWriter(filepath.Join(t.TempDir(), "d.parquet"), testMeta(1, 1), WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	err = w.Append(row(0))
	wantValidation(t, err, "qpos", 0)
	if !strings.Contains(err.Error(), "no nq") {
		t.Fatalf("error %q does not say the metadata lacks nq", err)
	}

	// nq without nv is not a layout.
	bad := testMeta(1, 1)
	bad.NQ = 2
	if _, err := NewWriter(filepath.Join(t.TempDir(), "e.parquet"), bad, WriterOptions{}); err == nil ||
		!strings.Contains(err.Error(), "nv") {
		t.Fatalf("nq 2 without nv: %v", err)
	}
}

// writeRaw writes rows of type T with parquet-go directly and the given
// footer keys, for files the Writer would refuse to produce.
func writeRaw[T any](t *testing.T, rows []T, kv map[string]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "raw.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	for k, v := range kv {
		w.SetKeyValueMetadata(k, v)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// The reader rejects damaged state columns, naming the file, the column,
// the row and the value, and refuses state that is declared but absent.
func TestState_ReaderChecks(t *testing.T) {
	rows := make([]parquetStateRow, 4)
	for i := range rows {
		rows[i] = parquetStateRow{Step: int32(i), Observations: []float32{1}, Actions: []float32{0},
			NextObservations: []float32{1}, Timeouts: i == 3,
			Qpos: []float64{1, float64(i)}, Qvel: []float64{2}}
	}
	rows[2].Qpos[1] = math.NaN()
	path := writeRaw(t, rows, nil)
	_, err := ReadWith(path, ReadOptions{State: true})
	wantValidation(t, err, "qpos", 2)
	if !strings.Contains(err.Error(), "raw.parquet") || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("error %q does not name the file and the value", err)
	}
	if _, err := ValidateStream(context.Background(), path, ReadOptions{}); err == nil {
		t.Fatal("ValidateStream accepted a NaN qpos")
	}
	if d, err := Read(path); err != nil || d.Qpos != nil {
		t.Fatalf("Read without State: %v (qpos %v), want the other columns read", err, d.Qpos)
	}

	rows[2].Qpos = []float64{1, 2, 3}
	_, err = ReadWith(writeRaw(t, rows, nil), ReadOptions{State: true})
	wantValidation(t, err, "qpos", 2)

	type onlyQpos struct {
		EpisodeID        int32     `parquet:"episode_id"`
		Step             int32     `parquet:"step"`
		Observations     []float32 `parquet:"observations,list"`
		Actions          []float32 `parquet:"actions,list"`
		Rewards          float32   `parquet:"rewards"`
		NextObservations []float32 `parquet:"next_observations,list"`
		Terminals        bool      `parquet:"terminals"`
		Timeouts         bool      `parquet:"timeouts"`
		Qpos             []float64 `parquet:"qpos,list"`
	}
	half := writeRaw(t, []onlyQpos{{Observations: []float32{1}, Actions: []float32{0},
		NextObservations: []float32{1}, Timeouts: true, Qpos: []float64{1}}}, nil)
	if _, err := Read(half); !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), `"qvel" is missing`) {
		t.Fatalf("qpos without qvel: %v", err)
	}

	plain := writeRaw(t, []parquetRow{{Observations: []float32{1}, Actions: []float32{0},
		NextObservations: []float32{1}, Timeouts: true}}, map[string]string{"nq": "2", "nv": "1"})
	if _, err := Read(plain); !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "declares nq 2") {
		t.Fatalf("nq declared without columns: %v", err)
	}
}

// Merge keeps the state columns and refuses to mix sources with and
// without them, naming the file.
func TestState_Merge(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet"), filepath.Join(dir, "c.parquet")
	da := withState(makeDataset(t, []int{3, 2}, 2, 1, 1), 2, 2)
	db := withState(makeDataset(t, []int{4}, 2, 1, 2), 2, 2)
	for _, x := range []struct {
		path string
		d    *Dataset
	}{{a, da}, {b, db}, {c, makeDataset(t, []int{4}, 2, 1, 3)}} {
		if err := Write(x.path, x.d); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "m.parquet")
	meta, err := Merge(context.Background(), out, []string{a, b}, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if meta.NQ != 2 || meta.NV != 2 {
		t.Fatalf("merged nq, nv = %d, %d, want 2, 2", meta.NQ, meta.NV)
	}
	got, err := ReadWith(out, ReadOptions{State: true})
	if err != nil {
		t.Fatal(err)
	}
	sameFloat64s(t, "qpos", got.Qpos, append(slices.Clone(da.Qpos), db.Qpos...))
	sameFloat64s(t, "qvel", got.Qvel, append(slices.Clone(da.Qvel), db.Qvel...))

	_, err = Merge(context.Background(), filepath.Join(dir, "n.parquet"), []string{a, c}, MergeOptions{})
	ve := wantValidation(t, err, "nq", -1)
	if ve.File != c || !strings.Contains(err.Error(), "does not store") {
		t.Fatalf("mixing state and no state: %v, want the file %s named", err, c)
	}
}
