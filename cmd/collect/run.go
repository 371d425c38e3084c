package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"offrl/collect"
	"offrl/datasets"
	"offrl/envs/registry"
	"offrl/internal/cli"
)

const usage = `Usage: collect --env ID --kind KIND [--steps N] [--seed S] [--out PATH] [--part-rows R]
                [--shard I/N | --shards N [--merge]]

Rolls a behaviour policy through an environment and writes exactly N
transitions (default D4RL's 1,000,000; 2,000,000 for medium-expert) as a D4RL-style dataset: columns observations, actions,
rewards, next_observations, terminals, timeouts (plus episode_id, step, and
for the physics tasks qpos and qvel, the simulator state before each step), with
the metadata (env, kind, policy, seed, reference scores, return statistics)
in the Parquet footer. A PATH ending in .parquet is one self-contained file;
any other PATH is a dataset directory (manifest.json + part-NNNNN.parquet
files of about --part-rows transitions each; a part ends with an episode, so
it may exceed --part-rows by less than one episode).
The default PATH is <cache>/<task>-<kind>-v<N>, where train-agent finds it
(N is 1 for the tasks with qpos/qvel columns, 0 for classic control).

Resuming: a directory is written into PATH.partial/, which records its
progress after each finished part. If the command is interrupted (Ctrl-C,
exit 130) or killed, rerunning the same command resumes from the last
finished part and writes files byte-identical to an uninterrupted run; a
rerun with other --env, --kind, --steps, --seed or --part-rows is refused
(remove PATH.partial/ to start afresh). A single .parquet file cannot
resume: an interrupted one is discarded and a rerun starts from the start.

Sharding: --shard I/N collects shard I (0 to N-1) of the collection,
about steps/N transitions from its own seed derived from --seed and I, into
PATH.shards/shard-IIIII-of-NNNNN/ (a dataset directory, resumable like any
other): run one process per shard, e.g. as a Kubernetes Indexed Job or a
Slurm array (see deploy/README.md). --shards N with the same flags then collects, --workers at a time,
the shards not there yet and joins all N into PATH; with --merge it only
joins, and a missing shard is an error. Either way PATH is byte-identical
to a single --shards N run. A finished shard run again is checked and
kept. PATH must be a directory; medium-expert cannot be sharded.

Kinds: random (uniform actions), medium (normalised score about 33),
expert (scripted controller, or the shipped SAC policy), medium-expert (the
medium policy's complete episodes within the first N/2 transitions, then
the expert's up to N), and the replay kinds medium-replay and full-replay:
a SAC run's experience (the first --steps transitions, by default up to the
shipped medium or expert policy's step), replayed through the simulator so
each row has its exact state; --from-run names the run, else the one behind
the shipped policies is trained into <cache>/behaviour-runs/ first (hours).

Examples:
  go run ./cmd/collect --env Pendulum-v1 --kind medium --steps 100000 --seed 0 --out pendulum-medium.parquet
  collect --env Hopper-v4 --kind random --steps 1000000 --out data/hopper-random-v1 --shard 3/8
  collect --env Hopper-v4 --kind random --steps 1000000 --out data/hopper-random-v1 --shards 8 --merge

Environments: %s

Flags:
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runPaced(ctx, args, stdout, stderr, nil)
}

// runPaced is run with pace, if not nil, called at each progress update;
// the resumption tests use it to slow a collection down enough to
// interrupt it between parts.
func runPaced(ctx context.Context, args []string, stdout, stderr io.Writer, pace func()) int {
	fs := flag.NewFlagSet("collect", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), usage, strings.Join(registry.IDs(), ", "))
		fs.PrintDefaults()
	}
	env := fs.String("env", "", "environment ID (required), e.g. Pendulum-v1")
	kind := fs.String("kind", "", "dataset kind (required): "+strings.Join(append(slices.Clone(collect.Kinds), collect.ReplayKinds...), ", "))
	steps := fs.Int("steps", 0, "transitions to write (default D4RL's sizes for the MuJoCo-like and maze tasks: 1000000, and 2000000 for medium-expert; 100000 for classic control)")
	seed := fs.Uint64("seed", 0, "base seed of resets and policy noise")
	out := fs.String("out", "", "output: a directory, or a file ending in .parquet (default <cache>/<task>-<kind>-v<N>: v1 for the MuJoCo-like and maze tasks, v0 for classic control)")
	overwrite := fs.Bool("overwrite", false, "replace an existing dataset at --out (never anything else)")
	partRows := fs.Int("part-rows", collect.DefaultPartRows,
		"transitions per part of a directory dataset; a part ends with an episode")
	dataDir := fs.String("data-dir", "", "dataset cache used when --out is not given (default $OFFRL_DATA_DIR or ~/.cache/offrl/datasets)")
	logFormat := fs.String("log-format", "text", "log format on stderr: text or json")
	asJSON := fs.Bool("json", false, "print the summary as JSON on stdout")
	var shard shardFlag
	fs.Var(&shard, "shard", "collect only shard I/N (0 ≤ I < N) into PATH.shards/, e.g. 3/8")
	shards := fs.Int("shards", 0, "collect the shards of an N-shard collection not there yet (--workers at a time) and join them into PATH")
	workers := fs.Int("workers", 0, "with --shards: shards collected at once, each in its own goroutine (default one per CPU); the data do not depend on it")
	merge := fs.Bool("merge", false, "with --shards: only join the shards; a missing one is an error")
	fromRun := fs.String("from-run", "", "with --kind medium-replay or full-replay: the SAC run (train-agent --algo sac) whose experience to write (default: the run behind the shipped policies, trained into <cache>/behaviour-runs/ first if missing)")
	logLevel := new(slog.Level)
	fs.TextVar(logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn, error")
	help, err := cli.Parse(fs, args, stdout)
	if help {
		return cli.ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "collect: %v (see --help)\n", err)
		return cli.ExitUsage
	}
	log, err := cli.NewLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "collect: %v\n", err)
		return cli.ExitUsage
	}
	if *partRows < 1 {
		fmt.Fprintf(stderr, "collect: --part-rows = %d, want a positive number of transitions\n",
			*partRows)
		return cli.ExitUsage
	}
	if slices.Contains(collect.ReplayKinds, *kind) {
		if shard.set || *shards > 0 || *merge {
			fmt.Fprintf(stderr, "collect: --shard, --shards and --merge are for policy rollouts; a %s dataset is one training run's experience, written in one piece\n", *kind)
			return cli.ExitUsage
		}
		return replayKind(ctx, replayFlags{env: *env, kind: *kind, steps: *steps, out: *out,
			dataDir: *dataDir, fromRun: *fromRun, overwrite: *overwrite, partRows: *partRows,
			asJSON: *asJSON, args: args}, log, stdout, stderr)
	}
	if *fromRun != "" {
		fmt.Fprintf(stderr, "collect: --from-run is for --kind %s\n", strings.Join(collect.ReplayKinds, " or "))
		return cli.ExitUsage
	}
	if *steps == 0 && !slices.Contains(collect.ReplayKinds, *kind) {
		*steps = collect.DefaultSteps(*env, *kind)
	}
	if err := checkFlags(*env, *kind, *steps); err != nil {
		fmt.Fprintf(stderr, "collect: %v\n", err)
		return cli.ExitUsage
	}
	if err := checkSharding(shard, *shards, *merge, *out, *kind, *steps); err != nil {
		fmt.Fprintf(stderr, "collect: %v\n", err)
		return cli.ExitUsage
	}
	if *out == "" {
		id, _ := collect.DatasetID(*env, *kind)
		dir := *dataDir
		if dir == "" {
			if dir, err = datasets.CacheDir(); err != nil {
				fmt.Fprintf(stderr, "collect: %v\n", err)
				return cli.ExitFailed
			}
		}
		*out = filepath.Join(dir, id)
	}

	progress := cli.NewProgress(stderr, log, "collecting")
	onProgress := progress.Update
	if pace != nil {
		onProgress = func(done, total int) { progress.Update(done, total); pace() }
	}
	opts := collect.Options{
		EnvID: *env, Kind: *kind, Steps: *steps, Seed: *seed, Out: *out, Overwrite: *overwrite,
		PartRows: *partRows, Command: "collect " + strings.Join(args, " "), Logger: log,
		OnProgress: onProgress, Shard: shard.index, Shards: shard.count, Workers: *workers,
	}
	var sum collect.Summary
	if *shards > 0 {
		opts.Shards = *shards
		sum, err = collect.RunShards(ctx, opts, !*merge)
	} else {
		sum, err = collect.Run(ctx, opts)
	}
	progress.Close()
	if err != nil {
		if ctx.Err() != nil {
			if err != ctx.Err() { // more than the interruption went wrong
				fmt.Fprintf(stderr, "collect: %v\n", err)
			}
			hint := resumeHint(*out)
			switch {
			case shard.set:
				hint = resumeHint(collect.ShardDir(*out, shard.index, shard.count))
			case *shards > 0:
				hint = "interrupted; finished shards and the finished parts of an unfinished " +
					"one are kept in " + collect.ShardsDir(*out) + "; rerunning the same command " +
					"resumes from there"
			}
			fmt.Fprintf(stderr, "collect: %s\n", hint)
			return cli.ExitInterrupted
		}
		fmt.Fprintf(stderr, "collect: %v\n", err)
		if errors.Is(err, collect.ErrOptions) {
			return cli.ExitUsage
		}
		return cli.ExitFailed
	}
	report(stdout, sum, *asJSON, shard)
	return cli.ExitOK
}

// report prints a collection's summary.
func report(stdout io.Writer, sum collect.Summary, asJSON bool, shard shardFlag) {
	if asJSON {
		js, _ := json.MarshalIndent(map[string]any{
			"path": sum.Path, "dataset_id": sum.DatasetID, "episodes": sum.Episodes,
			"complete_episodes": sum.CompleteEpisodes,
			"transitions":       sum.Transitions, "return_mean": sum.ReturnMean,
			"normalized_score": sum.NormalizedScore, "bytes": sum.Bytes,
			"already_collected": sum.Existing}, "", "  ")
		fmt.Fprintln(stdout, string(js))
		return
	}
	fmt.Fprintf(stdout, "dataset:           %s (%s)\n", sum.Path, sum.DatasetID)
	if sum.Existing {
		fmt.Fprintf(stdout, "shard:             %s already collected (checked, kept)\n", shard.String())
	}
	fmt.Fprintf(stdout, "episodes:          %d (%d complete)\n", sum.Episodes, sum.CompleteEpisodes)
	fmt.Fprintf(stdout, "transitions:       %d\n", sum.Transitions)
	if sum.CompleteEpisodes == 0 {
		fmt.Fprintf(stdout, "return_mean:       n/a (no complete episode; collect more steps)\n")
	} else {
		fmt.Fprintf(stdout, "return_mean:       %.2f (complete episodes)\n", sum.ReturnMean)
		fmt.Fprintf(stdout, "normalized_score:  %.1f (0 = random, 100 = expert)\n", sum.NormalizedScore)
	}
	fmt.Fprintf(stdout, "size:              %.2f MB\n", float64(sum.Bytes)/1e6)
}

// resumeHint says what rerunning an interrupted collection of out does.
func resumeHint(out string) string {
	if strings.HasSuffix(out, ".parquet") {
		return "interrupted; a single .parquet file cannot resume, " +
			"so rerunning the same command starts from the beginning"
	}
	p, err := datasets.ReadProgress(out)
	if err != nil {
		return "interrupted before the first part was finished; " +
			"rerunning the same command starts from the beginning"
	}
	return fmt.Sprintf("interrupted; %d finished parts (%d transitions) are kept in %s; "+
		"rerunning the same command resumes from there",
		p.PartsDone(), p.RowsDone(), datasets.PartialDir(out))
}

// checkFlags names the first missing or invalid required flag.
func checkFlags(env, kind string, steps int) error {
	switch {
	case env == "":
		return fmt.Errorf("--env is required; one of %s", strings.Join(registry.IDs(), ", "))
	case kind == "":
		return fmt.Errorf("--kind is required; one of %s", strings.Join(collect.Kinds, ", "))
	case steps < 1:
		return fmt.Errorf("--steps = %d, want a positive number of transitions", steps)
	case kind == "medium-expert" && steps < 2:
		return fmt.Errorf("--steps = %d, medium-expert needs at least 2 (half medium, half expert)", steps)
	}
	if _, err := registry.Lookup(env); err != nil {
		return fmt.Errorf("--env: %w", err)
	}
	for _, k := range collect.Kinds {
		if k == kind {
			return nil
		}
	}
	return fmt.Errorf("--kind %q, want one of %s", kind, strings.Join(append(slices.Clone(collect.Kinds), collect.ReplayKinds...), ", "))
}

// shardFlag is the value of --shard: "I/N", shard I of N.
type shardFlag struct {
	index, count int
	set          bool
}

func (f *shardFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return fmt.Sprintf("%d/%d", f.index, f.count)
}

// Set parses "I/N" with 0 ≤ I < N ≤ collect.MaxShards.
func (f *shardFlag) Set(s string) error {
	a, b, ok := strings.Cut(s, "/")
	i, errI := strconv.Atoi(a)
	n, errN := strconv.Atoi(b)
	switch {
	case !ok || errI != nil || errN != nil:
		return fmt.Errorf("want I/N: shard I (from 0) of N, e.g. 3/8")
	case n < 1 || n > collect.MaxShards:
		return fmt.Errorf("the shard count %d must be 1 to %d", n, collect.MaxShards)
	case i < 0 || i >= n:
		return fmt.Errorf("the shard index %d must be 0 to %d (shards count from 0)", i, n-1)
	}
	*f = shardFlag{index: i, count: n, set: true}
	return nil
}

// checkSharding names the first inconsistent sharding flag.
func checkSharding(shard shardFlag, shards int, merge bool, out, kind string, steps int) error {
	sharded := shard.set || shards != 0
	n := max(shard.count, shards)
	switch {
	case shard.set && shards != 0:
		return fmt.Errorf("--shard %s and --shards %d exclude each other: --shard collects one "+
			"shard, --shards all of them (or, with --merge, joins them)", shard.String(), shards)
	case shards < 0 || shards > collect.MaxShards:
		return fmt.Errorf("--shards = %d, want 1 to %d", shards, collect.MaxShards)
	case merge && shards == 0:
		return fmt.Errorf("--merge joins shards and needs --shards N")
	case !sharded:
		return nil
	case strings.HasSuffix(out, ".parquet"):
		return fmt.Errorf("--out %s: a sharded collection needs a directory output, "+
			"not a .parquet file", out)
	case kind == "medium-expert":
		return fmt.Errorf("--kind medium-expert cannot be sharded (the shards would interleave " +
			"medium and expert halves); shard medium and expert collections, then join them " +
			"with dataset merge")
	case steps < n:
		return fmt.Errorf("--steps = %d is fewer than the %d shards; every shard needs at "+
			"least one transition", steps, n)
	}
	return nil
}
