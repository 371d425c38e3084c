package datasets

import (
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"reflect"
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

// fuzzDataset builds a small dataset from fuzz bytes. The first bytes pick
// the dimensions, the time limit, the meaning of timeouts, tail_truncated
// and a merged-source split; then every row takes two bytes: the first
// sets the flags and may disturb episode_id and step, the second seeds the
// row's values (with rare non-finite ones). The derived metadata is
// computed from the rows, so Validate gets past the counts and exercises
// the row and time-limit rules.
func fuzzDataset(b []byte) *Dataset {
	next := func() byte {
		if len(b) == 0 {
			return 0
		}
		c := b[0]
		b = b[1:]
		return c
	}
	obsDim, actDim := int(next()%3)+1, int(next()%2)+1
	d := &Dataset{Meta: testMeta(obsDim, actDim), ObsDim: obsDim, ActDim: actDim}
	d.Meta.MaxEpisodeSteps = int(next() % 6)
	if next()%4 == 0 {
		d.Meta.TimeoutsMeaning = TimeoutsGoalSwitch
	}
	d.Meta.TailTruncated = next()%2 == 1
	split := int64(next() % 8)

	var ep, step int32
	for len(b) >= 2 {
		flags, seed := next(), next()
		id, st := ep, step
		if flags&0x10 != 0 {
			id += int32(flags>>6) - 1
		}
		if flags&0x20 != 0 {
			st--
		}
		terminal, timeout := flags&1 != 0, flags&2 != 0
		d.EpisodeIDs, d.Steps = append(d.EpisodeIDs, id), append(d.Steps, st)
		d.Terminals, d.Timeouts = append(d.Terminals, terminal), append(d.Timeouts, timeout)
		v := float32(int8(seed)) / 7
		if seed == 0xff && flags&4 != 0 {
			v = float32(math.Inf(1))
		}
		for range obsDim {
			d.Observations = append(d.Observations, v)
			d.NextObservations = append(d.NextObservations, -v)
		}
		for range actDim {
			d.Actions = append(d.Actions, v/3)
		}
		d.Rewards = append(d.Rewards, v*v)
		step++
		if terminal || timeout {
			ep, step = ep+1, 0
		}
	}

	// Claim that the first split rows came from a source with a cut tail.
	if n := int64(d.Len()); split > 0 && split <= n {
		sum := hex.EncodeToString(make([]byte, 32))
		d.Meta.Sources = []Source{{DatasetID: "a", SHA256: sum, Rows: split, TailCut: true},
			{DatasetID: "b", SHA256: sum, Rows: n - split}}
	}
	var t tally
	t.cuts = cutEnds(d.Meta.Sources)
	for i := range d.Len() {
		t.add(d.Rewards[i], d.Terminals[i], d.Timeouts[i])
	}
	t.finish(d.Meta.TailTruncated)
	t.fill(&d.Meta)
	d.Meta.ObsDim, d.Meta.ActDim = obsDim, actDim
	return d
}

// FuzzValidate checks that Validate never panics on a dataset built from
// fuzz bytes, and that a dataset it accepts round-trips through Write and
// Read with the same rows and the same metadata.
func FuzzValidate(f *testing.F) {
	f.Add([]byte{0, 0, 5, 1, 0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 2, 5})
	f.Add([]byte{1, 1, 2, 1, 1, 2, 9, 0, 9, 2, 9, 1, 9, 0, 9, 3, 9})
	f.Add([]byte{2, 0, 3, 0, 0, 3, 1, 0, 1, 0, 2, 1, 1, 0, 1, 2, 1, 0, 1})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0x11, 5, 0x21, 5, 0x95, 0xff})
	// Pitfall B04: terminals 1,1,0,0,1,1,1,0,0,1.
	f.Add([]byte{0, 0, 0, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1})

	f.Fuzz(func(t *testing.T, b []byte) {
		d := fuzzDataset(b)
		if err := d.Validate(); err != nil {
			return
		}
		path := filepath.Join(t.TempDir(), "d.parquet")
		if err := WriteWith(path, d, WriterOptions{Reproducible: true}); err != nil {
			t.Fatalf("Validate accepted a dataset that Write refuses: %v", err)
		}
		got, err := Read(path)
		if err != nil {
			t.Fatalf("reading back a valid dataset: %v", err)
		}
		assertSameRows(t, got, d)
		want := d.Meta
		want.SchemaVersion = SchemaVersion
		if !reflect.DeepEqual(got.Meta, want) {
			t.Fatalf("metadata read back = %+v, want %+v", got.Meta, want)
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("a valid dataset no longer validates after Write and Read: %v", err)
		}
	})
}
