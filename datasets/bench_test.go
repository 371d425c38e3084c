package datasets

import (
	"path/filepath"
	"testing"
)

// benchRows, benchObs and benchAct shape the benchmark dataset like a
// HalfCheetah file: 100 episodes of 1,000 steps.
const (
	benchRows = 100_000
	benchObs  = 17
	benchAct  = 6
)

// benchDataset builds the benchmark dataset once per benchmark.
func benchDataset(b *testing.B) *Dataset {
	b.Helper()
	lengths := make([]int, benchRows/1000)
	for i := range lengths {
		lengths[i] = 1000
	}
	return makeDataset(b, lengths, benchObs, benchAct, 42)
}

// BenchmarkRead reads a 100k-row file (obs 17, act 6) and reports
// transitions per second.
func BenchmarkRead(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.parquet")
	if err := Write(path, benchDataset(b)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		d, err := Read(path)
		if err != nil {
			b.Fatal(err)
		}
		rows += d.Len()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "transitions/s")
}

// BenchmarkWrite writes the same dataset through a Writer and reports
// transitions per second.
func BenchmarkWrite(b *testing.B) {
	d := benchDataset(b)
	dir := b.TempDir()
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		err := WriteWith(filepath.Join(dir, "bench.parquet"), d, WriterOptions{Overwrite: true})
		if err != nil {
			b.Fatal(err)
		}
		rows += d.Len()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "transitions/s")
}
