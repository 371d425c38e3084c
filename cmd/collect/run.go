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
	"strings"

	"offrl/collect"
	"offrl/datasets"
	"offrl/envs/registry"
	"offrl/internal/cli"
)

const usage = `Usage: collect --env ID --kind KIND --steps N [--seed S] [--out PATH] [--part-rows R]

Rolls a behaviour policy through an environment and writes exactly N
transitions as a D4RL-style dataset: columns observations, actions,
rewards, next_observations, terminals, timeouts (plus episode_id, step, and
for the physics tasks qpos and qvel, the simulator state before each step), with
the metadata (env, kind, policy, seed, reference scores, return statistics)
in the Parquet footer. A PATH ending in .parquet is one self-contained file;
any other PATH is a dataset directory (manifest.json + part-NNNNN.parquet
files of about --part-rows transitions each; a part ends with an episode, so
it may exceed --part-rows by less than one episode).
The default PATH is <cache>/<task>-<kind>-v0, where train-agent finds it.

Resuming: a directory is written into PATH.partial/, which records its
progress after each finished part. If the command is interrupted (Ctrl-C,
exit 130) or killed, rerunning the same command resumes from the last
finished part and writes files byte-identical to an uninterrupted run; a
rerun with other --env, --kind, --steps, --seed or --part-rows is refused
(remove PATH.partial/ to start afresh). A single .parquet file cannot
resume: an interrupted one is discarded and a rerun starts from the start.

Kinds: random (uniform actions), medium (normalised score about 33),
expert (scripted controller), medium-expert (the medium policy's complete
episodes within the first N/2 transitions, then the expert's up to N).

Example:
  go run ./cmd/collect --env Pendulum-v1 --kind medium --steps 100000 --seed 0 --out pendulum-medium.parquet

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
	kind := fs.String("kind", "", "dataset kind (required): "+strings.Join(collect.Kinds, ", "))
	steps := fs.Int("steps", 0, "transitions to write (required), e.g. 100000")
	seed := fs.Uint64("seed", 0, "base seed of resets and policy noise")
	out := fs.String("out", "", "output: a directory, or a file ending in .parquet (default <cache>/<task>-<kind>-v0)")
	overwrite := fs.Bool("overwrite", false, "replace an existing dataset at --out (never anything else)")
	partRows := fs.Int("part-rows", collect.DefaultPartRows,
		"transitions per part of a directory dataset; a part ends with an episode")
	dataDir := fs.String("data-dir", "", "dataset cache used when --out is not given (default $OFFRL_DATA_DIR or ~/.cache/offrl/datasets)")
	logFormat := fs.String("log-format", "text", "log format on stderr: text or json")
	asJSON := fs.Bool("json", false, "print the summary as JSON on stdout")
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
	if err := checkFlags(*env, *kind, *steps); err != nil {
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
	sum, err := collect.Run(ctx, collect.Options{
		EnvID: *env, Kind: *kind, Steps: *steps, Seed: *seed, Out: *out, Overwrite: *overwrite,
		PartRows: *partRows, Command: "collect " + strings.Join(args, " "), Logger: log,
		OnProgress: onProgress,
	})
	progress.Close()
	if err != nil {
		if ctx.Err() != nil {
			if err != ctx.Err() { // more than the interruption went wrong
				fmt.Fprintf(stderr, "collect: %v\n", err)
			}
			fmt.Fprintf(stderr, "collect: %s\n", resumeHint(*out))
			return cli.ExitInterrupted
		}
		fmt.Fprintf(stderr, "collect: %v\n", err)
		if errors.Is(err, collect.ErrOptions) {
			return cli.ExitUsage
		}
		return cli.ExitFailed
	}
	if *asJSON {
		js, _ := json.MarshalIndent(map[string]any{
			"path": sum.Path, "dataset_id": sum.DatasetID, "episodes": sum.Episodes,
			"complete_episodes": sum.CompleteEpisodes,
			"transitions":       sum.Transitions, "return_mean": sum.ReturnMean,
			"normalized_score": sum.NormalizedScore, "bytes": sum.Bytes}, "", "  ")
		fmt.Fprintln(stdout, string(js))
		return cli.ExitOK
	}
	fmt.Fprintf(stdout, "dataset:           %s (%s)\n", sum.Path, sum.DatasetID)
	fmt.Fprintf(stdout, "episodes:          %d (%d complete)\n", sum.Episodes, sum.CompleteEpisodes)
	fmt.Fprintf(stdout, "transitions:       %d\n", sum.Transitions)
	if sum.CompleteEpisodes == 0 {
		fmt.Fprintf(stdout, "return_mean:       n/a (no complete episode; collect more steps)\n")
	} else {
		fmt.Fprintf(stdout, "return_mean:       %.2f (complete episodes)\n", sum.ReturnMean)
		fmt.Fprintf(stdout, "normalized_score:  %.1f (0 = random, 100 = expert)\n", sum.NormalizedScore)
	}
	fmt.Fprintf(stdout, "size:              %.2f MB\n", float64(sum.Bytes)/1e6)
	return cli.ExitOK
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
	return fmt.Errorf("--kind %q, want one of %s", kind, strings.Join(collect.Kinds, ", "))
}
