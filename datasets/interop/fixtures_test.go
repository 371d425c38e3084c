package interop

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"offrl/datasets"

	"github.com/parquet-go/parquet-go"
)

// The fixtures in testdata come from two commands, both run by
// `make fixtures`:
//
//	node tools/duckdb/make-fixtures.mjs datasets/interop/testdata
//	go test ./datasets/interop -run TestLegacyListFixture -update
var update = flag.Bool("update", false, "rewrite the Go-generated fixtures in testdata")

// legacyFixture is written by parquet-go with legacy 2-level lists.
const legacyFixture = "testdata/legacy-2level.parquet"

func TestFixturesAgreeWithDuckDB(t *testing.T) {
	duckdbScript(t)
	files, err := filepath.Glob("testdata/*.parquet")
	if err != nil || len(files) < 7 {
		t.Fatalf("want at least 7 fixtures in testdata, got %v (%v)", files, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			d, err := datasets.Read(file)
			if strings.HasPrefix(filepath.Base(file), "reject-") {
				checkRejected(t, file, d, err)
				return
			}
			if err != nil {
				t.Fatalf("our reader: %v", err)
			}
			if d.Len() == 0 || d.ObsDim == 0 || d.ActDim == 0 {
				t.Fatalf("our reader: %d rows, obs %d, act %d", d.Len(), d.ObsDim, d.ActDim)
			}
			duck := duckdb(t, file, true)
			compare(t, file, duck, ours(d))
			checkOrder(t, file, duck.Keys, d)
		})
	}
}

// checkRejected fails unless our reader refused file with an error that
// names the observations column.
func checkRejected(t *testing.T, file string, d *datasets.Dataset, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("our reader accepted %s (%d rows, obs %d)", file, d.Len(), d.ObsDim)
	}
	if !strings.Contains(err.Error(), "observations") {
		t.Errorf("error does not name the column: %v", err)
	}
	t.Logf("refused as expected: %v", err)
}

// listLayout gives a group the LIST logical type while keeping the legacy
// field names below it, as old parquet-mr and Hive writers did.
type listLayout struct{ parquet.Node }

// Type returns the LIST-annotated group type.
func (listLayout) Type() parquet.Type {
	return parquet.List(parquet.Leaf(parquet.FloatType)).Type()
}

// TestLegacyListFixture checks the committed 2-level fixture is what the
// generator below writes, and with -update rewrites it.
func TestLegacyListFixture(t *testing.T) {
	path := legacyFixture
	if !*update {
		path = filepath.Join(t.TempDir(), "legacy.parquet")
	}
	writeLegacy(t, path)
	if *update {
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(legacyFixture)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s is not what the generator writes; rerun with -update", legacyFixture)
	}
}

// writeLegacy writes 400 rows (8 episodes of 50 steps, obs 4, act 2)
// whose list columns are required groups holding a repeated FLOAT named
// "array": the 2-level layout from before the LIST spec settled.
func writeLegacy(t *testing.T, path string) {
	t.Helper()
	const rows, obsDim, actDim = 400, 4, 2
	list := func() parquet.Node {
		return listLayout{parquet.Group{"array": parquet.Repeated(parquet.Leaf(parquet.FloatType))}}
	}
	schema := parquet.NewSchema("legacy", parquet.Group{
		"episode_id":        parquet.Leaf(parquet.Int32Type),
		"step":              parquet.Leaf(parquet.Int32Type),
		"observations":      list(),
		"actions":           list(),
		"rewards":           parquet.Leaf(parquet.FloatType),
		"next_observations": list(),
		"terminals":         parquet.Leaf(parquet.BooleanType),
		"timeouts":          parquet.Leaf(parquet.BooleanType),
	})
	vec := func(i, n int, phase float64) []float32 {
		v := make([]float32, n)
		for j := range v {
			v[j] = float32(math.Sin(float64(i)*0.1+float64(j)) + phase)
		}
		return v
	}

	// Cells by column name; the row is assembled in the schema's column
	// order, which sorts the fields by name.
	out := make([]parquet.Row, rows)
	for i := range out {
		ep, step := i/50, i%50
		last := step == 49
		cells := map[string]any{
			"episode_id":        int32(ep),
			"step":              int32(step),
			"observations":      vec(i, obsDim, 0),
			"actions":           vec(i, actDim, 0.5),
			"rewards":           float32(-float64(i%9) / 9),
			"next_observations": vec(i+1, obsDim, 0),
			"terminals":         last && ep%2 == 1,
			"timeouts":          last && ep%2 == 0,
		}
		for col, field := range schema.Fields() {
			switch v := cells[field.Name()].(type) {
			case []float32:
				for j, x := range v {
					out[i] = append(out[i], parquet.ValueOf(x).Level(min(j, 1), 1, col))
				}
			default:
				out[i] = append(out[i], parquet.ValueOf(v).Level(0, 0, col))
			}
		}
	}

	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	producer := parquet.KeyValueMetadata("producer", "parquet-go, legacy 2-level lists")
	w := parquet.NewWriter(f, schema, producer)
	if _, err := w.WriteRows(out); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
