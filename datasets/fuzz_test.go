package datasets

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// FuzzRead feeds arbitrary bytes to the reader as a .parquet file. The
// property: Read and ReadMetadata never panic, and a dataset Read accepts
// is whole: consistent column lengths and non-empty episodes.
func FuzzRead(f *testing.F) {
	golden, err := os.ReadFile(goldenFile)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add(golden[:len(golden)/2])
	f.Add(golden[len(golden)/2:])
	f.Add([]byte("PAR1"))
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))

	// Files from other writers: legacy lists, dictionaries, pages v2.
	dir := f.TempDir()
	d := makeDataset(f, []int{2, 3}, 2, 1, 3)
	for _, spec := range []foreignSpec{
		{list: foreignLists[2], float: parquet.Leaf(parquet.FloatType), integer: parquet.Leaf(parquet.Int32Type)},
		{list: foreignLists[0], float: parquet.Encoded(parquet.Leaf(parquet.DoubleType), &parquet.RLEDictionary),
			integer: parquet.Leaf(parquet.Int64Type)},
	} {
		path := filepath.Join(dir, "seed.parquet")
		writeForeign(f, path, d, spec, nil)
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}

	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "f.parquet")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _ = ReadMetadata(path)
		d, err := Read(path)
		if err != nil {
			return
		}
		if err := checkColumnLengths(d); err != nil || d.Len() == 0 {
			t.Fatalf("Read accepted a dataset with %d rows and inconsistent columns: %v",
				d.Len(), err)
		}
		for _, ep := range d.Episodes() {
			if ep.End <= ep.Start {
				t.Fatalf("Read accepted a dataset with an empty episode %v", ep)
			}
		}
	})
}
