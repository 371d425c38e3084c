package datasets

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// openTestParquet opens a Parquet file with parquet-go for inspection.
func openTestParquet(t testing.TB, path string) *parquet.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	return pf
}

// valuesHash hashes every value of d's columns in order, bit for bit.
func valuesHash(d *Dataset) [32]byte {
	h := sha256.New()
	for _, col := range [][]float32{d.Observations, d.Actions, d.Rewards, d.NextObservations} {
		for _, x := range col {
			binary.Write(h, binary.LittleEndian, math.Float32bits(x))
		}
	}
	binary.Write(h, binary.LittleEndian, d.EpisodeIDs)
	binary.Write(h, binary.LittleEndian, d.Steps)
	binary.Write(h, binary.LittleEndian, d.Terminals)
	binary.Write(h, binary.LittleEndian, d.Timeouts)
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// TestRead_B13_ListValuesNotRows writes 1,000 rows of 17-float lists in one
// row group (17,000 leaf values, many more than rows) and wants every
// value back bit for bit (pitfall B13).
func TestRead_B13_ListValuesNotRows(t *testing.T) {
	lengths := make([]int, 10)
	for i := range lengths {
		lengths[i] = 100
	}
	d := makeDataset(t, lengths, 17, 6, 13)
	path := filepath.Join(t.TempDir(), "b13.parquet")
	if err := Write(path, d); err != nil {
		t.Fatal(err)
	}
	pf := openTestParquet(t, path)
	if n := len(pf.RowGroups()); n != 1 {
		t.Fatalf("file has %d row groups, want 1", n)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Observations) != 17_000 {
		t.Fatalf("read %d observation values, want 17000", len(got.Observations))
	}
	assertSameRows(t, got, d)
}

// TestRead_B14_ManyPages writes 50,000 rows of 11-float lists with ~1 KiB
// pages and several row groups, so lists fill hundreds of pages, and wants
// a checksum over all values to match (pitfall B14).
func TestRead_B14_ManyPages(t *testing.T) {
	lengths := make([]int, 50)
	for i := range lengths {
		lengths[i] = 1000
	}
	d := makeDataset(t, lengths, 11, 3, 14)
	path := filepath.Join(t.TempDir(), "b14.parquet")
	if err := WriteWith(path, d, WriterOptions{PageBytes: 1024, RowGroupRows: 12_345}); err != nil {
		t.Fatal(err)
	}
	pf := openTestParquet(t, path)
	pages := 0
	for _, rg := range pf.RowGroups() {
		pr := rg.ColumnChunks()[2].Pages()
		for {
			p, err := pr.ReadPage()
			if err != nil {
				break
			}
			parquet.Release(p)
			pages++
		}
		pr.Close()
	}
	if pages < 100 {
		t.Errorf("observations column has %d pages, want a small page size to give hundreds", pages)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if valuesHash(got) != valuesHash(d) {
		t.Fatal("checksum over all values differs from what was written")
	}
	assertSameRows(t, got, d)
}

// TestRead_B15_ListEncodings reads files whose list columns use the
// encodings of other writers and wants the same values from each
// (pitfall B15).
func TestRead_B15_ListEncodings(t *testing.T) {
	d := makeDataset(t, []int{2, 1, 3}, 3, 2, 15)
	for _, enc := range foreignLists {
		t.Run(enc.name, func(t *testing.T) {
			spec := defaultForeignSpec()
			spec.list = enc
			path := filepath.Join(t.TempDir(), "f.parquet")
			writeForeign(t, path, d, spec, nil)
			got, err := Read(path)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			assertSameRows(t, got, d)
		})
	}
}

// TestRead_B15_UnsupportedListEncoding wants a loud error, never empty
// vectors, for list layouts that are not lists of floats.
func TestRead_B15_UnsupportedListEncoding(t *testing.T) {
	d := makeDataset(t, []int{2}, 2, 1, 15)
	tests := []struct {
		name string
		list foreignList
	}{
		{"repeated group named array is a list of structs", foreignList{"array struct",
			func(e parquet.Node) parquet.Node {
				elem := parquet.Group{"x": e}
				return listAnnotated{parquet.Group{"array": parquet.Repeated(elem)}}
			}, []string{"array", "x"}, 0}},
		{"repeated group named <field>_tuple is a list of structs", foreignList{"tuple struct",
			func(e parquet.Node) parquet.Node {
				elem := parquet.Group{"x": e}
				return listAnnotated{parquet.Group{"observations_tuple": parquet.Repeated(elem)}}
			}, []string{"observations_tuple", "x"}, 0}},
		{"element group with two fields", foreignList{"two fields",
			func(e parquet.Node) parquet.Node {
				elem := parquet.Group{"a": e, "b": parquet.Optional(e)}
				return listAnnotated{parquet.Group{"list": parquet.Repeated(elem)}}
			}, []string{"list", "a"}, 0}},
		{"group without a repeated field", foreignList{"struct",
			func(e parquet.Node) parquet.Node { return parquet.Group{"x": e} }, []string{"x"}, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := defaultForeignSpec()
			spec.list = tt.list
			path := filepath.Join(t.TempDir(), "f.parquet")
			oneAction := map[string]cellFunc{colActions: func(int) any { return []float64{1} }}
			writeForeign(t, path, d, spec, oneAction)
			_, err := Read(path)
			const want = `unsupported list encoding for column "observations"`
			if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), want) {
				t.Fatalf("Read = %v, want an unsupported list encoding error for observations", err)
			}
		})
	}
}

// TestRead_B19_Float64 reads DOUBLE float columns and INT64 ids: converted
// once by default, with a notice; rejected when strict (pitfall B19).
func TestRead_B19_Float64(t *testing.T) {
	d := makeDataset(t, []int{3, 2}, 4, 2, 19)
	spec := defaultForeignSpec()
	spec.float = parquet.Leaf(parquet.DoubleType)
	spec.integer = parquet.Leaf(parquet.Int64Type)
	path := filepath.Join(t.TempDir(), "f64.parquet")
	writeForeign(t, path, d, spec, nil)

	var logs bytes.Buffer
	got, err := ReadWith(path, ReadOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("ReadWith: %v", err)
	}
	assertSameRows(t, got, d)
	for _, col := range []string{"observations", "rewards", "episode_id"} {
		if !strings.Contains(logs.String(), "column="+col) {
			t.Errorf("log %q has no conversion notice for %s", logs.String(), col)
		}
	}

	_, err = ReadWith(path, ReadOptions{Strict: true})
	if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "strict") {
		t.Fatalf("strict ReadWith = %v, want an ErrSchema naming the strict check", err)
	}
}

// TestRead_B19_Float64OutOfRange rejects a DOUBLE that float32 cannot hold.
func TestRead_B19_Float64OutOfRange(t *testing.T) {
	d := makeDataset(t, []int{3}, 2, 1, 19)
	spec := defaultForeignSpec()
	spec.float = parquet.Leaf(parquet.DoubleType)
	path := filepath.Join(t.TempDir(), "f64.parquet")
	huge := map[string]cellFunc{colRewards: func(i int) any { return 1e300 * float64(i) }}
	writeForeign(t, path, d, spec, huge)
	_, err := Read(path)
	wantValidation(t, err, "rewards", 1)
}

// TestWrite_B19_PhysicalTypes checks the layout our writer stores: FLOAT
// lists and rewards, INT32 ids, BOOLEAN flags, all required, in the order
// of specs/datasets.md §5.2.
func TestWrite_B19_PhysicalTypes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.parquet")
	if err := Write(path, makeDataset(t, []int{2}, 3, 1, 1)); err != nil {
		t.Fatal(err)
	}
	pf := openTestParquet(t, path)
	want := []struct {
		path []string
		kind parquet.Kind
	}{
		{[]string{"episode_id"}, parquet.Int32},
		{[]string{"step"}, parquet.Int32},
		{[]string{"observations", "list", "element"}, parquet.Float},
		{[]string{"actions", "list", "element"}, parquet.Float},
		{[]string{"rewards"}, parquet.Float},
		{[]string{"next_observations", "list", "element"}, parquet.Float},
		{[]string{"terminals"}, parquet.Boolean},
		{[]string{"timeouts"}, parquet.Boolean},
	}
	for i, w := range want {
		leaf, ok := pf.Schema().Lookup(w.path...)
		if !ok {
			t.Fatalf("no column %v", w.path)
		}
		if leaf.ColumnIndex != i || leaf.Node.Type().Kind() != w.kind || leaf.Node.Optional() {
			t.Errorf("column %v: index %d, kind %v, optional %v; want index %d, kind %v, required",
				w.path, leaf.ColumnIndex, leaf.Node.Type().Kind(), leaf.Node.Optional(), i, w.kind)
		}
	}
	// ZSTD everywhere; a dictionary for episode_id only; min/max
	// statistics for episode_id and step so readers can prune.
	for i, c := range pf.Metadata().RowGroups[0].Columns {
		m := c.MetaData
		if m.Codec.String() != "ZSTD" {
			t.Errorf("column %v compressed with %v, want ZSTD", m.PathInSchema, m.Codec)
		}
		if dict := slices.Contains(m.Encoding, format.RLEDictionary); dict != (i == 0) {
			t.Errorf("column %v encodings %v, want a dictionary only for episode_id",
				m.PathInSchema, m.Encoding)
		}
		if i < 2 && (m.Statistics.MinValue == nil || m.Statistics.MaxValue == nil) {
			t.Errorf("column %v has no min/max statistics", m.PathInSchema)
		}
	}
}

// TestRead_BadValues checks that values the writer would refuse are
// errors naming the file, column, row and value when another tool wrote
// them.
func TestRead_BadValues(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name   string
		spec   func(*foreignSpec)
		cells  map[string]cellFunc
		column string
		row    int64
		text   string
	}{
		{"NaN reward", nil, map[string]cellFunc{colRewards: func(i int) any { return map[bool]float64{true: nan}[i == 3] }},
			"rewards", 3, "NaN"},
		{"infinite observation element", nil, map[string]cellFunc{colObs: func(i int) any {
			return []float64{0, map[bool]float64{true: math.Inf(-1)}[i == 2]}
		}}, "observations", 2, "-Inf"},
		{"list shorter than obs_dim", func(s *foreignSpec) { s.keyValues = map[string]string{"obs_dim": "2"} },
			map[string]cellFunc{colObs: func(i int) any { return make([]float64, 2-btoi(i == 4)) }},
			"observations", 4, "list length 1, want obs_dim 2"},
		{"list longer than declared", func(s *foreignSpec) { s.keyValues = map[string]string{"obs_dim": "2"} },
			map[string]cellFunc{colObs: func(i int) any { return make([]float64, 3) }},
			"observations", 0, "longer than obs_dim 2"},
		{"lists of varying length without metadata", nil,
			map[string]cellFunc{colNextObs: func(i int) any { return make([]float64, 2+btoi(i == 1)) }},
			"next_observations", 1, "obs_dim 2"},
		{"empty list", nil, map[string]cellFunc{colActions: func(i int) any { return []float64{} }},
			"actions", 0, "empty list"},
		{"null list", func(s *foreignSpec) { s.list = foreignLists[0] },
			map[string]cellFunc{colActions: func(i int) any { return map[bool]any{true: nil, false: []float64{1}}[i == 2] }},
			"actions", 2, "null list"},
		{"null element", func(s *foreignSpec) { s.list = foreignLists[0] },
			map[string]cellFunc{colActions: func(i int) any { return []float64{nullElement} }},
			"actions", 0, "element 0 is null"},
		{"null reward", func(s *foreignSpec) { s.float = parquet.Optional(parquet.Leaf(parquet.FloatType)) },
			map[string]cellFunc{colRewards: func(i int) any { return map[bool]any{true: nil, false: 1.0}[i == 1] }},
			"rewards", 1, "null value"},
		{"step out of order", nil, map[string]cellFunc{colStep: func(i int) any { return float64([]int{0, 1, 3, 0, 0}[i]) }},
			"step", 2, "want 2"},
		{"episode changes without an end flag", nil,
			map[string]cellFunc{colEpisodeID: func(i int) any { return float64([]int{0, 1, 1, 2, 3}[i]) }},
			"episode_id", 1, "has not ended"},
	}
	d := makeDataset(t, []int{3, 1, 1}, 2, 1, 7)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := defaultForeignSpec()
			if tt.spec != nil {
				tt.spec(&spec)
			}
			path := filepath.Join(t.TempDir(), "bad.parquet")
			writeForeign(t, path, d, spec, tt.cells)
			_, err := Read(path)
			ve := wantValidation(t, err, tt.column, tt.row)
			if ve.File != "bad.parquet" || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q, want file bad.parquet and %q", err, tt.text)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestRead_DictionaryAndPageV2 reads a file with dictionary-encoded float
// lists in data pages v2, the defaults of several writers.
func TestRead_DictionaryAndPageV2(t *testing.T) {
	d := makeDataset(t, []int{40, 25}, 5, 2, 21)
	spec := defaultForeignSpec()
	spec.float = parquet.Encoded(parquet.Leaf(parquet.FloatType), &parquet.RLEDictionary)
	spec.options = []parquet.WriterOption{parquet.DataPageVersion(2), parquet.PageBufferSize(256)}
	path := filepath.Join(t.TempDir(), "dict.parquet")
	writeForeign(t, path, d, spec, nil)
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	assertSameRows(t, got, d)
}

// TestRead_MissingColumn names the missing column.
func TestRead_MissingColumn(t *testing.T) {
	for _, col := range []string{colEpisodeID, colNextObs, colTimeouts} {
		t.Run(col, func(t *testing.T) {
			spec := defaultForeignSpec()
			spec.drop = col
			path := filepath.Join(t.TempDir(), "f.parquet")
			writeForeign(t, path, makeDataset(t, []int{2}, 2, 1, 1), spec, nil)
			_, err := Read(path)
			msg := err.Error()
			if !errors.Is(err, ErrSchema) || !strings.Contains(msg, `"`+col+`" is missing`) ||
				!strings.Contains(msg, "f.parquet") {
				t.Fatalf("Read = %v, want ErrSchema naming f.parquet and column %s", err, col)
			}
		})
	}
}

// TestRead_WrongType names the column and the type found.
func TestRead_WrongType(t *testing.T) {
	spec := defaultForeignSpec()
	spec.integer = parquet.Leaf(parquet.FloatType)
	path := filepath.Join(t.TempDir(), "f.parquet")
	writeForeign(t, path, makeDataset(t, []int{2}, 2, 1, 1), spec, nil)
	_, err := Read(path)
	const want = `column "episode_id" has physical type FLOAT`
	if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Read = %v, want ErrSchema naming episode_id and FLOAT", err)
	}
}

// rewardsChunk returns the byte range of the rewards column chunk of the
// first row group.
func rewardsChunk(t testing.TB, path string) (start, end int64) {
	t.Helper()
	pf := openTestParquet(t, path)
	for _, c := range pf.Metadata().RowGroups[0].Columns {
		if strings.Join(c.MetaData.PathInSchema, ".") == "rewards" {
			if c.MetaData.DictionaryPageOffset != 0 {
				t.Fatal("rewards has a dictionary page")
			}
			start := c.MetaData.DataPageOffset
			return start, start + c.MetaData.TotalCompressedSize
		}
	}
	t.Fatal("no rewards column")
	return 0, 0
}

// TestRead_PageChecksum flips one byte inside a data page of rewards and
// wants an error naming the file and the column.
func TestRead_PageChecksum(t *testing.T) {
	for _, out := range outputs {
		t.Run(out.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), out.path)
			if err := Write(path, makeDataset(t, []int{50, 50}, 3, 1, 3)); err != nil {
				t.Fatal(err)
			}
			file, name := path, filepath.Base(path)
			if out.name == "directory" {
				file, name = filepath.Join(path, "part-00000.parquet"), "part-00000.parquet"
			}
			_, end := rewardsChunk(t, file)
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			b[end-1] ^= 0x10 // the chunk's last byte lies in its last page's body
			if err := os.WriteFile(file, b, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = ReadWith(path, ReadOptions{SkipSHA256: true})
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `"rewards"`) ||
				!strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "checksum") {
				t.Fatalf("Read = %v, want ErrCorrupt naming %s, rewards and the checksum",
					err, name)
			}
			if out.name == "directory" {
				_, err = Read(path)
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "sha256") {
					t.Fatalf("Read with hashing = %v, want a SHA-256 mismatch", err)
				}
			}
		})
	}
}

// TestRead_Truncated cuts a valid file at several lengths, and damages its
// magic numbers; every case is an ErrCorrupt naming the file.
func TestRead_Truncated(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.parquet")
	if err := Write(src, makeDataset(t, []int{20, 20}, 3, 1, 4)); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	n := len(whole)
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"magic only", whole[:4]},
		{"half", whole[:n/2]},
		{"all but the last byte", whole[:n-1]},
		{"all but the trailer", whole[:n-8]},
		{"wrong leading magic", append([]byte("PAR0"), whole[4:]...)},
		{"footer length too large", append(append([]byte{}, whole[:n-8]...), 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1')},
		{"footer cut from the front", append(append([]byte{}, whole[:n-8-300]...), whole[n-8:]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "cut.parquet")
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "cut.parquet") {
				t.Fatalf("Read = %v, want ErrCorrupt naming cut.parquet", err)
			}
			if _, err := ReadMetadata(path); err == nil {
				t.Error("ReadMetadata accepted the damaged file")
			}
		})
	}
}

// TestReadDir_ManifestChecks damages a dataset directory in ways the
// manifest catches.
func TestReadDir_ManifestChecks(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   error
		text   string
	}{
		{"part shorter than the manifest says", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "part-00000.parquet")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-1], 0o644)
		}, ErrCorrupt, "bytes, manifest says"},
		{"part missing", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "part-00000.parquet"))
		}, os.ErrNotExist, "part-00000.parquet"},
		{"manifest missing", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, manifestName))
		}, os.ErrNotExist, manifestName},
		{"manifest points outside the directory", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *manifest) { m.Shards[0].Path = "../part-00000.parquet" })
		}, ErrSchema, "plain file name"},
		{"manifest rows disagree with the part", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *manifest) { m.Shards[0].Rows++; m.NumTransitions++ })
		}, ErrSchema, "manifest says"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			if err := Write(dir, makeDataset(t, []int{3, 2}, 2, 1, 6)); err != nil {
				t.Fatal(err)
			}
			tt.damage(t, dir)
			_, err := Read(dir)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("Read = %v, want %v mentioning %q", err, tt.want, tt.text)
			}
		})
	}
}

// editManifest rewrites dir/manifest.json after edit.
func editManifest(t *testing.T, dir string, edit func(*manifest)) {
	t.Helper()
	m, err := readManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	edit(&m)
	p := filepath.Join(dir, manifestName)
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := writeManifest(p, &m); err != nil {
		t.Fatal(err)
	}
}
