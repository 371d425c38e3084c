package collect

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"offrl/datasets"
)

// Shards never share a base seed, an episode seed or a policy stream:
// across base seeds 0–31 and up to 64 shards, every shard seed and every
// episode seed under it is distinct, none is an episode seed of an
// unsharded collection with one of those base seeds, and none falls on
// the evaluation seeds (seed+100+k) or any small number. A rule like
// seed+i would fail at once (shard 1 of seed 0 is shard 0 of seed 1).
func TestShardSeedsNeverCollide(t *testing.T) {
	const seeds, shards, episodes = 32, 64, 40
	seen := map[uint64]string{}
	add := func(v uint64, what string) {
		t.Helper()
		if v < 1<<20 {
			t.Fatalf("%s = %d, a small number that evaluation or a user seed could use", what, v)
		}
		if prev, ok := seen[v]; ok {
			t.Fatalf("%s = %d, the same as %s", what, v, prev)
		}
		seen[v] = what
	}
	for s := uint64(0); s < seeds; s++ {
		for e := range episodes {
			add(EpisodeSeed(s, e), "unsharded episode seed")
		}
	}
	for s := uint64(0); s < seeds; s++ {
		for i := range shards {
			base := ShardSeed(s, i)
			add(base, "shard seed")
			for e := range episodes {
				add(EpisodeSeed(base, e), "shard episode seed")
			}
		}
	}
}

// Shard steps add up to the budget, differ by at most one, and the first
// steps mod n shards hold the extra transition.
func TestShardStepsSplitTheBudget(t *testing.T) {
	for _, c := range []struct{ steps, n int }{{10, 3}, {3, 3}, {1_000_000, 8}, {7, 1}, {100, 7}} {
		sum := 0
		for i := range c.n {
			k := ShardSteps(c.steps, i, c.n)
			want := c.steps / c.n
			if i < c.steps%c.n {
				want++
			}
			if k != want {
				t.Errorf("ShardSteps(%d, %d, %d) = %d, want %d", c.steps, i, c.n, k, want)
			}
			sum += k
		}
		if sum != c.steps {
			t.Errorf("the %d shards of %d steps hold %d", c.n, c.steps, sum)
		}
	}
}

// shardOpts is a small sharded collection whose shards end in budget-cut
// episodes (2500/3 is not a multiple of Pendulum's 200 steps).
func shardOpts(out string) Options {
	return Options{EnvID: "Pendulum-v1", Kind: "random", Steps: 2500, Seed: 11,
		PartRows: 400, Shards: 3, Out: out}
}

// Shards collected separately, in any order and in other directories'
// processes, then joined, give the same bytes as one RunShards that
// collects them all; the joined dataset is the shards' rows in shard
// order with contiguous episode_ids, and its metadata covers all of them
// (B34: rows, sources with hashes, seeds; statistics over every complete
// episode, the cut shard tails left out).
func TestShardsJoinToTheSingleProcessDataset(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()

	split := shardOpts(filepath.Join(dir, "split", "pendulum-random-v0"))
	for _, i := range []int{2, 0, 1} {
		o := split
		o.Shard = i
		s, err := Run(ctx, o)
		if err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
		if s.Transitions != int64(ShardSteps(o.Steps, i, o.Shards)) || s.Existing {
			t.Fatalf("shard %d: summary %+v", i, s)
		}
	}
	if _, err := RunShards(ctx, split, false); err != nil {
		t.Fatal(err)
	}
	single := shardOpts(filepath.Join(dir, "single", "pendulum-random-v0"))
	if _, err := RunShards(ctx, single, true); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, split.Out, single.Out)
	for i := range 3 {
		sameFiles(t, ShardDir(split.Out, i, 3), ShardDir(single.Out, i, 3))
	}

	joined, err := datasets.Read(single.Out)
	if err != nil {
		t.Fatal(err)
	}
	if err := joined.Validate(); err != nil {
		t.Fatalf("the joined dataset fails validation: %v", err)
	}
	m := joined.Meta
	if m.DatasetID != "pendulum-random-v0" || m.NumTransitions != 2500 || len(m.Sources) != 3 {
		t.Fatalf("joined metadata: id %q, %d rows, %d sources", m.DatasetID, m.NumTransitions,
			len(m.Sources))
	}
	var seeds []struct {
		Base  uint64    `json:"base"`
		Shard shardInfo `json:"shard"`
	}
	if err := json.Unmarshal(m.Seed, &seeds); err != nil || len(seeds) != 3 {
		t.Fatalf("seed metadata %s: %v", m.Seed, err)
	}
	row, episode := 0, int32(0)
	var returns []float64
	for i := range 3 {
		sd := ShardDir(single.Out, i, 3)
		shard, err := datasets.Read(sd)
		if err != nil {
			t.Fatal(err)
		}
		fp, err := datasets.Fingerprint(sd)
		if err != nil {
			t.Fatal(err)
		}
		src := m.Sources[i]
		if src.SHA256 != fp || src.Rows != int64(shard.Len()) || !src.TailCut {
			t.Errorf("source %d = %+v, want sha256 %s, %d rows, tail cut", i, src, fp, shard.Len())
		}
		if seeds[i].Base != ShardSeed(11, i) || seeds[i].Shard.Index != i ||
			seeds[i].Shard.Count != 3 || seeds[i].Shard.Seed != 11 {
			t.Errorf("seed entry %d = %+v", i, seeds[i])
		}
		n := shard.Len()
		if !reflect.DeepEqual(joined.Observations[row*3:(row+n)*3], shard.Observations) ||
			!reflect.DeepEqual(joined.Rewards[row:row+n], shard.Rewards) ||
			!reflect.DeepEqual(joined.Timeouts[row:row+n], shard.Timeouts) {
			t.Fatalf("rows %d to %d of the joined dataset are not shard %d's", row, row+n, i)
		}
		for k := range n {
			if got, want := joined.EpisodeIDs[row+k], episode+shard.EpisodeIDs[k]; got != want {
				t.Fatalf("row %d: episode_id %d, want %d", row+k, got, want)
			}
		}
		// The complete episodes' returns; the last one was cut.
		ret := 0.0
		for k := range n {
			ret += float64(shard.Rewards[k])
			if k+1 < n && shard.EpisodeIDs[k+1] != shard.EpisodeIDs[k] {
				returns = append(returns, ret)
				ret = 0
			}
		}
		row += n
		episode += shard.EpisodeIDs[n-1] + 1
	}
	mean := 0.0
	for _, r := range returns {
		mean += r / float64(len(returns))
	}
	if m.NumEpisodes != int64(episode) || relDiff(m.ReturnMean, mean) > 1e-9 {
		t.Errorf("joined: %d episodes, return_mean %v; want %d and %v over the complete ones",
			m.NumEpisodes, m.ReturnMean, episode, mean)
	}
}

func relDiff(a, b float64) float64 {
	d := a - b
	if d < 0 {
		d = -d
	}
	if b < 0 {
		b = -b
	}
	return d / max(b, 1e-300)
}

// A shard interrupted after a part resumes, with the same options, to the
// bytes of an uninterrupted shard; a finished shard asked for again is
// checked and kept.
func TestShardResumesAndIsKept(t *testing.T) {
	dir := t.TempDir()
	want := shardOpts(filepath.Join(dir, "want", "d"))
	want.Shard, want.Steps = 1, 7500 // progress is reported every 1000 transitions
	if _, err := Run(context.Background(), want); err != nil {
		t.Fatal(err)
	}
	got := shardOpts(filepath.Join(dir, "got", "d"))
	got.Shard, got.Steps = 1, 7500
	ctx, cancel := context.WithCancel(context.Background())
	got.OnProgress = func(done, _ int) {
		if done >= 1000 {
			cancel()
		}
	}
	if _, err := Run(ctx, got); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted shard: %v, want context.Canceled", err)
	}
	if p, err := datasets.ReadProgress(ShardDir(got.Out, 1, 3)); err != nil || p.PartsDone() == 0 {
		t.Fatalf("no finished part kept: %v", err)
	}
	// Joining now names the unfinished shard.
	if _, err := RunShards(context.Background(), got, false); !errors.Is(err, ErrShardMissing) ||
		!strings.Contains(err.Error(), "shard 0/3 is missing") {
		t.Fatalf("join with shards missing: %v", err)
	}
	got.OnProgress = nil
	if _, err := Run(context.Background(), got); err != nil {
		t.Fatalf("resumed shard: %v", err)
	}
	sameFiles(t, ShardDir(want.Out, 1, 3), ShardDir(got.Out, 1, 3))

	s, err := Run(context.Background(), got)
	if err != nil || !s.Existing || s.Transitions != 2500 {
		t.Fatalf("finished shard run again: %+v, %v", s, err)
	}
	sameFiles(t, ShardDir(want.Out, 1, 3), ShardDir(got.Out, 1, 3))
}

// Shards that do not belong together are refused with an error that
// names the shard's directory and the differing flag, and nothing is
// joined: another seed, kind or step count, a shard copied under another
// index, shards written for another count, a shard missing.
func TestMismatchedShardsAreRefused(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	ref := shardOpts(filepath.Join(base, "ref", "d"))
	if _, err := RunShards(ctx, ref, true); err != nil {
		t.Fatal(err)
	}
	copyShards := func(t *testing.T, out string) {
		t.Helper()
		if err := os.CopyFS(ShardsDir(out), os.DirFS(ShardsDir(ref.Out))); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		change func(t *testing.T, o *Options)
		want   []string
	}{
		{"another seed", func(t *testing.T, o *Options) { o.Seed = 12 },
			[]string{"shard-00000-of-00003", "--seed 11", "--seed 12"}},
		{"another kind", func(t *testing.T, o *Options) { o.Kind = "expert" },
			[]string{"shard-00000-of-00003", "--kind random", "--kind expert"}},
		{"another step count", func(t *testing.T, o *Options) { o.Steps = 2600 },
			[]string{"--steps 2500", "--steps 2600"}},
		{"a shard copied under another index", func(t *testing.T, o *Options) {
			d1, d2 := ShardDir(o.Out, 1, 3), ShardDir(o.Out, 2, 3)
			if err := os.RemoveAll(d1); err != nil {
				t.Fatal(err)
			}
			if err := os.CopyFS(d1, os.DirFS(d2)); err != nil {
				t.Fatal(err)
			}
		}, []string{"shard-00001-of-00003", "holds shard 2/3, not 1/3"}},
		{"a shard of another count", func(t *testing.T, o *Options) {
			if err := os.Mkdir(ShardDir(o.Out, 0, 4), 0o755); err != nil {
				t.Fatal(err)
			}
		}, []string{"shard-00000-of-00004", "4 shards", "--shards 3"}},
		{"a shard missing", func(t *testing.T, o *Options) {
			if err := os.RemoveAll(ShardDir(o.Out, 2, 3)); err != nil {
				t.Fatal(err)
			}
		}, []string{"shard 2/3 is missing", "shard-00002-of-00003"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := shardOpts(filepath.Join(t.TempDir(), "d"))
			copyShards(t, o.Out)
			tt.change(t, &o)
			_, err := RunShards(ctx, o, false)
			if err == nil {
				t.Fatal("joined")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if _, err := os.Stat(o.Out); err == nil {
				t.Error("a dataset was written")
			}
		})
	}
	// The same checks guard collecting one shard into a directory that
	// holds another collection's shard.
	o := shardOpts(filepath.Join(t.TempDir(), "d"))
	copyShards(t, o.Out)
	o.Seed, o.Shard = 12, 2
	if _, err := Run(ctx, o); !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), "--seed 11") {
		t.Fatalf("shard over another collection's: %v", err)
	}
}

// Sharding options that cannot work are refused before anything is
// written.
func TestShardOptionsAreChecked(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name   string
		change func(o *Options)
		want   string
	}{
		{"file output", func(o *Options) { o.Out += ".parquet" }, "ends in .parquet"},
		{"medium-expert", func(o *Options) { o.Kind = "medium-expert" }, "cannot be sharded"},
		{"fewer steps than shards", func(o *Options) { o.Steps = 2 }, "fewer than the 3 shards"},
		{"index past the count", func(o *Options) { o.Shard = 3 }, "index must be 0 to 2"},
		{"negative index", func(o *Options) { o.Shard = -1 }, "index must be 0 to 2"},
	} {
		o := shardOpts(filepath.Join(dir, "d"))
		c.change(&o)
		_, err := Run(context.Background(), o)
		if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an ErrOptions error saying %q", c.name, err, c.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("refused options left %d entries in %s", len(entries), dir)
	}
}
