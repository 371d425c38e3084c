package collect

// Sharded collection: one collection of Steps transitions split into n
// shards that separate processes (a Kubernetes Indexed Job, a Slurm
// array) or one process collect, then joined into one dataset.
//
// Shard i of n collects ShardSteps(Steps, i, n) transitions (Steps/n, one
// more for the first Steps mod n shards) as an ordinary collection with
// base seed ShardSeed(Seed, i), so its data is fully determined by (env,
// kind, Steps, n, i, Seed) and shards never share an episode seed or the
// policies' random stream. It is written, resumably, as a complete
// dataset directory
//
//	<out>.shards/shard-IIIII-of-NNNNN/   manifest.json + part-NNNNN.parquet
//
// whose seed metadata records the shard ({"base": ShardSeed(Seed, i),
// "shard": {"index": i, "count": n, "collection_seed": Seed, ...}}).
// RunShards joins the n shards, in index order, with [datasets.Merge] into
// the dataset at <out>: episode_ids renumbered to stay contiguous, return
// statistics and normalised score over all shards, and sources listing
// each shard's SHA-256 and rows beside its seed entry. The recorded
// command lines name the collection's flags but not --out, so the same
// shards give the same bytes wherever they were written, and n processes
// followed by the join give files byte-identical to one process that
// collects every shard.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"offrl/datasets"
	"offrl/internal/version"
)

// MaxShards is the largest number of shards: shard directories are named
// with five digits.
const MaxShards = 99_999

// ErrShardMissing means that joining shards found one not (or not
// completely) collected.
var ErrShardMissing = errors.New("shard not collected")

// shardTag separates shard seeds from episode seeds: ShardSeed(s, i) and
// EpisodeSeed(s, i) mix different words, so a shard's base seed is not an
// episode seed of the unsharded collection with the same seed.
const shardTag = 0x7368617264736565 // "shardsee"

// ShardSeed is the base seed of shard i of a collection with seed s: the
// SplitMix64 mix of (s XOR shardTag) + 0x9e3779b97f4a7c15·(i+1), the rule
// of [EpisodeSeed] on a tagged word. Shard i's episode e then resets with
// EpisodeSeed(ShardSeed(s, i), e), and its policies draw from a PCG
// seeded with ShardSeed(s, i). Being outputs of a 64-bit bijective mix,
// shard seeds and the episode seeds under them do not fall on the small
// evaluation seeds (seed+100+k) nor on each other's, as EpisodeSeed's do
// not.
func ShardSeed(s uint64, i int) uint64 {
	return splitmix64((s ^ shardTag) + 0x9e3779b97f4a7c15*uint64(i+1))
}

// ShardSteps is the number of transitions shard i of n collects out of
// steps: steps/n, plus one for the first steps mod n shards.
func ShardSteps(steps, i, n int) int {
	k := steps / n
	if i < steps%n {
		k++
	}
	return k
}

// ShardsDir is the directory that holds the shards of a sharded
// collection into out: out + ".shards".
func ShardsDir(out string) string { return filepath.Clean(out) + ".shards" }

// ShardDir is where shard i of n of a collection into out is written:
// ShardsDir(out)/shard-IIIII-of-NNNNN.
func ShardDir(out string, i, n int) string {
	return filepath.Join(ShardsDir(out), fmt.Sprintf("shard-%05d-of-%05d", i, n))
}

// shardName matches the entries of a shards directory.
var shardName = regexp.MustCompile(`^shard-([0-9]{5})-of-([0-9]{5})(\.partial)?$`)

// shardInfo is the "shard" entry of a shard's seed metadata: where the
// shard belongs, and the collection options that shaped it.
type shardInfo struct {
	Index    int    `json:"index"`
	Count    int    `json:"count"`
	Seed     uint64 `json:"collection_seed"`
	Steps    int    `json:"collection_steps"`
	PartRows int    `json:"part_rows"`
	Rule     string `json:"seed_rule"`
}

const shardSeedRule = "splitmix64((collection_seed ^ 0x7368617264736565) + 0x9e3779b97f4a7c15*(index+1))"

// checkShards checks the options of a sharded collection.
func (o Options) checkShards() error {
	if err := o.check(); err != nil {
		return fmt.Errorf("%w: %w", ErrOptions, err)
	}
	var err error
	switch {
	case o.Shards < 1 || o.Shards > MaxShards:
		err = fmt.Errorf("shards = %d, want 1 to %d", o.Shards, MaxShards)
	case strings.HasSuffix(o.Out, ".parquet"):
		err = fmt.Errorf("a sharded collection writes a directory, but the output %s "+
			"ends in .parquet", o.Out)
	case o.Kind == "medium-expert":
		err = fmt.Errorf("medium-expert cannot be sharded (its shards would interleave " +
			"medium and expert halves); collect medium and expert sharded, then join " +
			"them with dataset merge")
	case o.Steps < o.Shards:
		err = fmt.Errorf("steps = %d is fewer than the %d shards; every shard needs "+
			"at least one transition", o.Steps, o.Shards)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrOptions, err)
	}
	return nil
}

// shardCommand is the command line recorded for a sharded collection: its
// data flags and the sharding, without --out, so that where a shard was
// written does not change its bytes.
func shardCommand(o Options, sharding string) string {
	return fmt.Sprintf("collect --env %s --kind %s --steps %d --seed %d --part-rows %d %s",
		o.EnvID, o.Kind, o.Steps, o.Seed, o.PartRows, sharding)
}

// runShard collects shard opts.Shard of opts.Shards (see Run).
func runShard(ctx context.Context, opts Options) (Summary, error) {
	if err := opts.checkShards(); err != nil {
		return Summary{}, err
	}
	i, n := opts.Shard, opts.Shards
	if i < 0 || i >= n {
		return Summary{}, fmt.Errorf("%w: shard %d/%d: the index must be 0 to %d",
			ErrOptions, i, n, n-1)
	}
	if opts.PartRows == 0 {
		opts.PartRows = DefaultPartRows
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir := ShardDir(opts.Out, i, n)
	if !opts.Overwrite {
		if _, err := os.Stat(dir); err == nil {
			if err := checkShard(dir, opts, i); err != nil {
				return Summary{}, err
			}
			// Check its bytes too (part checksums, rows against the
			// metadata), so a requeued task never reports a damaged
			// shard as done.
			if _, err := datasets.ValidateStream(ctx, dir, datasets.ReadOptions{State: true}); err != nil {
				return Summary{}, fmt.Errorf("shard %d/%d in %s is damaged; remove it and collect it again: %w",
					i, n, dir, err)
			}
			log.Info("shard already collected", "path", dir)
			s, err := summarise(dir, log)
			s.Existing = true
			return s, err
		}
	}
	if p, err := datasets.ReadProgress(dir); err == nil {
		// Say which collection flag differs, rather than the derived seed
		// or step count that the resumed collection would compare.
		if err := checkShardMeta(datasets.PartialDir(dir), p.Metadata, opts, i, false); err != nil {
			return Summary{}, err
		}
	}
	inner := opts
	inner.Shard, inner.Shards = 0, 0
	inner.Seed = ShardSeed(opts.Seed, i)
	inner.Steps = ShardSteps(opts.Steps, i, n)
	inner.Out = dir
	inner.Command = shardCommand(opts, fmt.Sprintf("--shard %d/%d", i, n))
	inner.shard = &shardInfo{Index: i, Count: n, Seed: opts.Seed, Steps: opts.Steps,
		PartRows: opts.PartRows, Rule: shardSeedRule}
	log.Info("collecting shard", "shard", fmt.Sprintf("%d/%d", i, n), "path", dir,
		"steps", inner.Steps, "seed", inner.Seed)
	return Run(ctx, inner)
}

// checkShard checks that the finished shard at dir is shard i of the
// collection opts asks for.
func checkShard(dir string, opts Options, i int) error {
	m, err := datasets.ReadMetadata(dir)
	if err != nil {
		return fmt.Errorf("shard %s: %w", dir, err)
	}
	return checkShardMeta(dir, m, opts, i, true)
}

// checkShardMeta checks the metadata m of the shard at path (finished, or
// an interrupted one's partial directory) against shard i of opts.
func checkShardMeta(path string, m datasets.Metadata, opts Options, i int, finished bool) error {
	var seed struct {
		Base  uint64     `json:"base"`
		Shard *shardInfo `json:"shard"`
	}
	if err := json.Unmarshal(m.Seed, &seed); err != nil || seed.Shard == nil {
		return fmt.Errorf("%w: %s is not a shard of a collection (its seed metadata has "+
			"no shard entry)", ErrOptions, path)
	}
	sh := seed.Shard
	flags := []struct {
		name     string
		was, now any
	}{
		{"env", m.EnvID, opts.EnvID}, {"kind", m.DatasetKind, opts.Kind},
		{"steps", sh.Steps, opts.Steps}, {"seed", sh.Seed, opts.Seed},
		{"part-rows", sh.PartRows, opts.PartRows}, {"shards", sh.Count, opts.Shards},
	}
	for _, f := range flags {
		if f.was != f.now {
			return fmt.Errorf("%w: shard %s was collected with --%s %v, but this collection "+
				"asks for --%s %v; use the same flags for every shard, or remove %[2]s",
				ErrOptions, path, f.name, f.was, f.name, f.now)
		}
	}
	if sh.Index != i {
		return fmt.Errorf("%w: %s holds shard %d/%d, not %d/%d (copied or renamed?)",
			ErrOptions, path, sh.Index, sh.Count, i, opts.Shards)
	}
	if want := ShardSeed(opts.Seed, i); seed.Base != want {
		return fmt.Errorf("%w: shard %s has base seed %d, want %d (%s)",
			ErrOptions, path, seed.Base, want, shardSeedRule)
	}
	if want := int64(ShardSteps(opts.Steps, i, opts.Shards)); finished && m.NumTransitions != want {
		return fmt.Errorf("%w: shard %s holds %d transitions, want %d",
			ErrOptions, path, m.NumTransitions, want)
	}
	return nil
}

// RunShards joins the opts.Shards shards of a collection into the dataset
// at opts.Out (opts.Shard is ignored). With collectMissing, it first
// collects, one after another in this process, every shard that is not
// there yet, resuming an interrupted one; without, a missing or
// unfinished shard is an error wrapping [ErrShardMissing] that names it.
// A shard that is there is checked against opts (env, kind, steps, seed,
// part rows, shard count and index, row count), and a mismatch is an
// [ErrOptions] error naming its directory and the flag; so is an entry of
// the shards directory written for another shard count. The shards stay
// in [ShardsDir](opts.Out) after the join.
//
// The dataset is written with [datasets.Merge] (sources in shard order,
// contiguous episode_ids, metadata over all rows) and is byte-identical
// however the shards were collected. Merging is not resumable: an
// interrupted join leaves the shards and no dataset, and running again
// joins afresh.
func RunShards(ctx context.Context, opts Options, collectMissing bool) (Summary, error) {
	if err := opts.checkShards(); err != nil {
		return Summary{}, err
	}
	if opts.PartRows == 0 {
		opts.PartRows = DefaultPartRows
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := opts.Shards
	if err := checkShardsDir(opts.Out, n); err != nil {
		return Summary{}, err
	}
	// Check every shard that is there before collecting any, so that a
	// mismatch is found before hours are spent on the missing ones.
	sources := make([]string, n)
	var missing []int
	for i := range n {
		sources[i] = ShardDir(opts.Out, i, n)
		_, err := os.Stat(sources[i])
		switch {
		case err == nil:
			if err := checkShard(sources[i], opts, i); err != nil {
				return Summary{}, err
			}
		case !errors.Is(err, fs.ErrNotExist):
			return Summary{}, err
		case !collectMissing:
			what := "missing: no " + sources[i]
			if _, err := os.Stat(datasets.PartialDir(sources[i])); err == nil {
				what = "unfinished: only " + datasets.PartialDir(sources[i]) + " is there"
			}
			return Summary{}, fmt.Errorf("%w: shard %d/%d is %s; run collect --shard %d/%d "+
				"with the same flags first", ErrShardMissing, i, n, what, i, n)
		default:
			missing = append(missing, i)
		}
	}
	if err := collectShards(ctx, opts, missing); err != nil {
		return Summary{}, err
	}
	id, err := DatasetID(opts.EnvID, opts.Kind)
	if err != nil {
		return Summary{}, err
	}
	created, err := createdAt()
	if err != nil {
		return Summary{}, err
	}
	log.Info("joining shards", "shards", n, "path", opts.Out)
	if _, err := datasets.Merge(ctx, opts.Out, sources, datasets.MergeOptions{
		DatasetID: id, Kind: opts.Kind, Command: shardCommand(opts, "--shards "+strconv.Itoa(n)),
		CreatedAt: created, CreatedBy: version.Toolkit,
		Writer: datasets.WriterOptions{Overwrite: opts.Overwrite, Reproducible: true,
			PartRows: opts.PartRows},
	}); err != nil {
		return Summary{}, err
	}
	return summarise(opts.Out, log)
}

// checkShardsDir refuses a shards directory that holds shards written for
// another shard count, which the join would otherwise silently leave out.
func checkShardsDir(out string, n int) error {
	entries, err := os.ReadDir(ShardsDir(out))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		m := shardName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		if count, _ := strconv.Atoi(m[2]); count != n {
			return fmt.Errorf("%w: %s belongs to a collection in %d shards, but this one "+
				"asks for --shards %d; remove it, or use --shards %d",
				ErrOptions, filepath.Join(ShardsDir(out), e.Name()), count, n, count)
		}
	}
	return nil
}

// collectShards collects the missing shards, opts.Workers at a time (0
// means one per CPU): each shard has its own environment, policy stream
// and files, so running them side by side gives the same bytes as one
// after another. The first failure stops the others.
func collectShards(ctx context.Context, opts Options, missing []int) error {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := opts.Shards
	var mu sync.Mutex // guards done and OnProgress
	done := make([]int, n)
	for i := range n {
		if !slices.Contains(missing, i) {
			done[i] = ShardSteps(opts.Steps, i, n)
		}
	}
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(missing)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				o := opts
				o.Shard, o.Overwrite = i, false
				o.OnProgress = func(d, _ int) {
					mu.Lock()
					defer mu.Unlock()
					done[i] = d
					if opts.OnProgress != nil {
						sum := 0
						for _, v := range done {
							sum += v
						}
						opts.OnProgress(sum, opts.Steps)
					}
				}
				if _, err := runShard(ctx, o); err != nil {
					errs[i] = fmt.Errorf("shard %d/%d: %w", i, n, err)
					cancel()
				}
			}
		}()
	}
	for _, i := range missing {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	// The first real failure, not a shard stopped because another failed.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	if err := parent.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}
