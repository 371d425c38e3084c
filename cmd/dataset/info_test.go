package main

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"offrl/datasets"
)

// infoFromRead computes info's row statistics the way it did before it
// streamed: from the whole dataset in memory.
func infoFromRead(t *testing.T, path string) (counts, returnStats) {
	t.Helper()
	d, err := datasets.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	eps, complete := d.Episodes(), d.CompleteEpisodes()
	c := counts{Rows: d.Len(), Episodes: len(eps), CompleteEpisodes: len(complete)}
	for i := range d.Len() {
		if d.Terminals[i] {
			c.Terminals++
		}
		if d.Timeouts[i] {
			c.Timeouts++
		}
	}
	var s returnStats
	total := 0
	for k, ep := range eps {
		n := ep.End - ep.Start
		if k == 0 || n < s.LengthMin {
			s.LengthMin = n
		}
		s.LengthMax = max(s.LengthMax, n)
		total += n
	}
	s.LengthMean = float64(total) / float64(len(eps))
	s.Complete = len(complete)
	if len(complete) > 0 {
		s.Min, s.Max = math.Inf(1), math.Inf(-1)
		for _, ep := range complete {
			s.Mean += ep.Return
			s.Min, s.Max = math.Min(s.Min, ep.Return), math.Max(s.Max, ep.Return)
		}
		s.Mean /= float64(len(complete))
		for _, ep := range complete {
			s.Std += (ep.Return - s.Mean) * (ep.Return - s.Mean)
		}
		s.Std = math.Sqrt(s.Std / float64(len(complete)))
		s.NormalizedScore = datasets.NormalizedScore(s.Mean, d.Meta.RefMinScore, d.Meta.RefMaxScore)
	}
	return c, s
}

// TestInfo_StreamMatchesRead wants the statistics info gathers row group
// by row group to equal, bit for bit, those of the whole dataset in
// memory: for a collected dataset with a budget-cut tail, a merged one
// whose first source's tail is cut, and one stored in tiny row groups.
func TestInfo_StreamMatchesRead(t *testing.T) {
	dir := t.TempDir()
	med := collectTo(t, filepath.Join(dir, "pendulum-medium-v0"), "Pendulum-v1", "medium", 1100, 6)
	exp := collectTo(t, filepath.Join(dir, "pendulum-expert-v0.parquet"), "Pendulum-v1", "expert", 700, 7)
	merged := filepath.Join(dir, "pendulum-medium-expert-v0")
	if code, _, stderr := runCmd("merge", "--out", merged, "--id", "pendulum-medium-expert-v0", med, exp); code != 0 {
		t.Fatalf("merge: exit %d: %s", code, stderr)
	}
	d, err := datasets.Read(med)
	if err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(dir, "small-groups.parquet")
	if err := datasets.WriteWith(small, d, datasets.WriterOptions{RowGroupRows: 7}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{med, exp, merged, small} {
		rep, err := describe(context.Background(), path)
		if err != nil {
			t.Fatalf("describe(%s) = %v", path, err)
		}
		wantCounts, wantReturns := infoFromRead(t, path)
		wantCounts.Parts = rep.Counts.Parts
		if rep.Counts != wantCounts {
			t.Errorf("%s: counts %+v, want %+v", path, rep.Counts, wantCounts)
		}
		if rep.Returns != wantReturns {
			t.Errorf("%s: returns %+v, want %+v", path, rep.Returns, wantReturns)
		}
		if rep.Returns.Complete == 0 {
			t.Errorf("%s: no complete episode; the test needs some", path)
		}
	}
}
