package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"offrl/datasets"
)

// A directory collection over the part budget is cut into parts of whole
// episodes, each at least PartRows rows and less than one episode over,
// and holds the same rows as a one-part collection of the same seed.
func TestPartsHoldWholeEpisodesAndTheSameRows(t *testing.T) {
	dir := t.TempDir()
	one := collectTo(t, Options{EnvID: "Pendulum-v1", Kind: "medium-expert", Steps: 2300, Seed: 4,
		Out: filepath.Join(dir, "one")})
	many := collectTo(t, Options{EnvID: "Pendulum-v1", Kind: "medium-expert", Steps: 2300, Seed: 4,
		Out: filepath.Join(dir, "many"), PartRows: 500})

	parts, _ := filepath.Glob(filepath.Join(dir, "many", "part-*.parquet"))
	if len(parts) != 4 { // 600, 600, 600, 500 rows: episodes of 200
		t.Fatalf("%d parts, want 4", len(parts))
	}
	for i, p := range parts {
		d, err := datasets.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		last := d.Len() - 1
		if d.Steps[0] != 0 || !(d.Timeouts[last] || d.Terminals[last]) {
			t.Errorf("part %d starts at step %d and ends without a flag: not whole episodes",
				i, d.Steps[0])
		}
		if i < len(parts)-1 && (d.Len() < 500 || d.Len() >= 500+200) {
			t.Errorf("part %d holds %d rows, want 500 to 699", i, d.Len())
		}
	}
	rows := func(d *datasets.Dataset) []any {
		return []any{d.EpisodeIDs, d.Steps, d.Observations, d.Actions, d.Rewards,
			d.NextObservations, d.Terminals, d.Timeouts}
	}
	if !reflect.DeepEqual(rows(one), rows(many)) {
		t.Fatal("the several-part collection holds other rows than the one-part one")
	}
	if one.Meta.NumEpisodes != many.Meta.NumEpisodes || one.Meta.ReturnMean != many.Meta.ReturnMean ||
		one.Meta.TailTruncated != many.Meta.TailTruncated {
		t.Fatalf("manifest totals differ: episodes %d/%d return_mean %v/%v tail %v/%v",
			one.Meta.NumEpisodes, many.Meta.NumEpisodes, one.Meta.ReturnMean,
			many.Meta.ReturnMean, one.Meta.TailTruncated, many.Meta.TailTruncated)
	}
}

// A collection interrupted after some parts, even with a half-written part
// left behind, resumes to files byte-identical to an uninterrupted run,
// across the medium/expert phase change too.
func TestInterruptedCollectionResumesByteIdentical(t *testing.T) {
	tests := []struct {
		name     string
		kind     string
		stopAt   int
		halfPart bool
	}{
		{"medium after the first part", "medium", 1000, false},
		{"medium with a half-written part", "medium", 3000, true},
		{"medium-expert in the expert half", "medium-expert", 4000, true},
		{"medium-expert in the medium half", "medium-expert", 1000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{EnvID: "Pendulum-v1", Kind: tt.kind, Steps: 5100, Seed: 9,
				PartRows: 700, Command: "collect test"}
			want := opts
			want.Out = filepath.Join(dir, "want")
			if _, err := Run(context.Background(), want); err != nil {
				t.Fatal(err)
			}

			got := opts
			got.Out = filepath.Join(dir, "got")
			ctx, cancel := context.WithCancel(context.Background())
			got.OnProgress = func(done, _ int) {
				if done >= tt.stopAt {
					cancel()
				}
			}
			if _, err := Run(ctx, got); !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted Run = %v, want context.Canceled", err)
			}
			partial := datasets.PartialDir(got.Out)
			p, err := datasets.ReadProgress(got.Out)
			if err != nil || p.PartsDone() == 0 {
				t.Fatalf("no progress kept in %s: %v", partial, err)
			}
			if tt.halfPart {
				next := filepath.Join(partial, fmt.Sprintf("part-%05d.parquet", p.PartsDone()))
				os.WriteFile(next, []byte("PAR1 half"), 0o644)
				os.WriteFile(filepath.Join(partial, ".progress.json.tmp-1"), []byte("{"), 0o644)
			}
			got.OnProgress = nil
			if _, err := Run(context.Background(), got); err != nil {
				t.Fatalf("resumed Run: %v", err)
			}
			sameFiles(t, want.Out, got.Out)
			if _, err := os.Stat(partial); err == nil {
				t.Error("the partial directory is still there after the resumed run finished")
			}
		})
	}
}

// Resuming with other options than the interrupted run is refused, naming
// the option, and the kept parts stay.
func TestResumeWithOtherFlagsIsRefused(t *testing.T) {
	out := filepath.Join(t.TempDir(), "d")
	ctx, cancel := context.WithCancel(context.Background())
	opts := Options{EnvID: "Pendulum-v1", Kind: "random", Steps: 3000, Seed: 1, PartRows: 400,
		Out: out, OnProgress: func(done, _ int) {
			if done >= 1000 {
				cancel()
			}
		}}
	if _, err := Run(ctx, opts); err == nil {
		t.Fatal("the interrupted Run returned no error")
	}
	opts.OnProgress = nil
	opts.Seed = 2
	_, err := Run(context.Background(), opts)
	if !errors.Is(err, ErrOptions) || !bytes.Contains([]byte(err.Error()), []byte("--seed 1")) {
		t.Fatalf("resuming with another seed: %v, want ErrOptions naming --seed 1", err)
	}
	if _, err := datasets.ReadProgress(out); err != nil {
		t.Fatalf("the refused rerun lost the progress: %v", err)
	}
}

// sameFiles fails unless directories a and b hold the same file names with
// the same bytes.
func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	ea, err := os.ReadDir(a)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := os.ReadDir(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ea) != len(eb) {
		t.Fatalf("%s holds %d files, %s %d", a, len(ea), b, len(eb))
	}
	for i := range ea {
		if ea[i].Name() != eb[i].Name() {
			t.Fatalf("file %d is %s in %s but %s in %s", i, ea[i].Name(), a, eb[i].Name(), b)
		}
		x, _ := os.ReadFile(filepath.Join(a, ea[i].Name()))
		y, _ := os.ReadFile(filepath.Join(b, eb[i].Name()))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs from an uninterrupted run's", ea[i].Name())
		}
	}
}
