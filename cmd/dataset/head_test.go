package main

import (
	"context"
	"path/filepath"
	"testing"

	"offrl/datasets"
)

// TestReadRows reads row ranges that start, end and span row group
// boundaries of a dataset stored in 7-row groups, and wants exactly the
// rows Read gives.
func TestReadRows(t *testing.T) {
	dir := t.TempDir()
	src := collectTo(t, filepath.Join(dir, "p.parquet"), "Pendulum-v1", "random", 60, 8)
	d, err := datasets.Read(src)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "small-groups")
	if err := datasets.WriteWith(path, d, datasets.WriterOptions{RowGroupRows: 7, PartRows: 20}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ offset, n int64 }{{0, 5}, {5, 5}, {7, 7}, {13, 30}, {55, 10}, {59, 1}, {3, 0}} {
		got, rows, err := readRows(context.Background(), path, r.offset, r.n)
		if err != nil {
			t.Fatalf("readRows(%d, %d) = %v", r.offset, r.n, err)
		}
		end := min(r.offset+r.n, int64(d.Len()))
		if int64(got.Len()) != end-r.offset || rows <= r.offset {
			t.Fatalf("readRows(%d, %d): %d rows of %d read, want %d", r.offset, r.n, got.Len(), rows, end-r.offset)
		}
		o := int64(d.ObsDim)
		for k := range int64(got.Len()) {
			i := r.offset + k
			if got.Steps[k] != d.Steps[i] || got.Rewards[k] != d.Rewards[i] ||
				got.Observations[k*o] != d.Observations[i*o] ||
				got.NextObservations[k*o+o-1] != d.NextObservations[i*o+o-1] {
				t.Fatalf("readRows(%d, %d): row %d differs", r.offset, r.n, i)
			}
		}
	}
	if _, rows, err := readRows(context.Background(), path, 60, 5); err != nil || rows != 60 {
		t.Errorf("readRows past the end: %d rows, %v; want 60 and no error", rows, err)
	}
}
