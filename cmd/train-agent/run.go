package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"math"
	"offrl/collect"
	"offrl/datasets"
	"offrl/envs/registry"
	"offrl/internal/cli"
	"offrl/nn"
	"offrl/train"
	"offrl/viz"
)

// Defaults of the built-in job. The number of updates is scaled to finish
// well inside 15 minutes on 2 cores while beating the dataset; the paper's
// 1,000,000 is --steps 1000000 or a config file away.
const (
	defaultEnv       = "Pendulum-v1"
	defaultKind      = "medium"
	defaultSteps     = 15_000
	defaultEvalEvery = 2500
	// defaultOnlineSteps are the environment steps of an online (SAC) run:
	// the 10,000 warm-up steps of the SAC papers and 10,000 more with an
	// update each, which solve Pendulum-v1 in a couple of minutes on one
	// core. Paper scale is --steps 1000000.
	defaultOnlineSteps = 20_000
)

const usage = `Usage: train-agent [flags]

Trains an offline agent (TD3+BC, IQL or A2PR, --algo) on a D4RL-style dataset and evaluates it
in the dataset's environment every --eval-every updates, or (--algo sac) trains SAC
online in --env, filling its replay buffer from its own steps, with --steps,
--eval-every and --start-steps counting environment steps and no dataset. Writes a run
directory with config.json, metrics.csv, timing.csv, checkpoint/,
curve.png, eval.json and rollout.gif, and prints the final normalised score (0 = random,
100 = expert) beside the dataset's own.

With no flags it trains on pendulum-medium-v0, collecting it into the
dataset cache ($OFFRL_DATA_DIR, default ~/.cache/offrl/datasets) first if
it is missing. Precedence: defaults < --config file < flags.

Examples:
  go run ./cmd/train-agent
  go run ./cmd/train-agent --env MountainCarContinuous-v0 --steps 50000
  go run ./cmd/train-agent --dataset ./pendulum-expert.parquet --seed 3
  go run ./cmd/train-agent --algo iql
  go run ./cmd/train-agent --algo a2pr --steps 2000 --eval-every 1000
  go run ./cmd/train-agent --algo sac --env Hopper-v4 --steps 1000000
  go run ./cmd/train-agent --config configs/td3bc/pendulum-medium-v0.yaml
  go run ./cmd/train-agent --resume runs/pendulum-v1-td3bc-0-20261204T101500Z

Flags:
`

// flags are the command line after parsing.
type flags struct {
	fs                                 *flag.FlagSet
	algo, env, dataset, runDir, resume string
	config, dataDir, logFormat         string
	logLevel                           slog.Level
	steps, evalEvery, evalEpisodes     int
	startSteps, bufferSize, threads    int
	seed                               uint64
	json, rolloutGIF                   bool
}

// parseFlags parses the command line; help reports that --help was shown.
func parseFlags(args []string, stdout io.Writer) (f *flags, help bool, err error) {
	f = &flags{fs: flag.NewFlagSet("train-agent", flag.ContinueOnError)}
	fs := f.fs
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&f.algo, "algo", "td3bc", "algorithm: "+strings.Join(train.Algos, ", "))
	fs.StringVar(&f.env, "env", defaultEnv, "environment ID; picks the default dataset <task>-medium-v0 when --dataset is not given")
	fs.StringVar(&f.dataset, "dataset", "", "dataset path (directory or .parquet) or name in the cache, e.g. pendulum-medium-v0 (default <task of --env>-medium-v<N>: v1 for the MuJoCo-like and maze tasks, v0 for classic control)")
	fs.IntVar(&f.steps, "steps", defaultSteps, fmt.Sprintf("offline: gradient updates in total (paper: 1000000); --algo sac: environment steps, whose default is %d, not the offline one shown here", defaultOnlineSteps))
	fs.IntVar(&f.startSteps, "start-steps", 10_000, "sac only: uniform-random environment steps before the first update (papers: 5000-10000)")
	fs.IntVar(&f.bufferSize, "buffer-size", 1_000_000, "sac only: replay buffer capacity in transitions (papers: 1000000)")
	fs.IntVar(&f.evalEvery, "eval-every", defaultEvalEvery, "updates between evaluations and checkpoints (paper: 5000)")
	fs.IntVar(&f.evalEpisodes, "eval-episodes", 10, "episodes per evaluation (paper: 10)")
	fs.Uint64Var(&f.seed, "seed", 0, "run seed (networks, minibatches, noise; evaluation uses seed+100)")
	fs.StringVar(&f.runDir, "run-dir", "", "run directory (default runs/<env>-<algo>-<seed>-<utc time>)")
	fs.StringVar(&f.resume, "resume", "", "continue the run in this directory from its checkpoint, with its saved config (--steps may extend it)")
	fs.StringVar(&f.config, "config", "", "YAML config file (keys as in config.json), applied before flags")
	fs.StringVar(&f.dataDir, "data-dir", "", "dataset cache directory (default $OFFRL_DATA_DIR or ~/.cache/offrl/datasets)")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format on stderr: text or json")
	fs.TextVar(&f.logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn, error")
	fs.IntVar(&f.threads, "threads", 1, "goroutines per matrix product; results do not depend on it. 1 is fastest per core: on a 2-core machine two seeds side by side train more updates than one seed on 2 threads")
	fs.BoolVar(&f.json, "json", false, "print the final summary as JSON on stdout")
	fs.BoolVar(&f.rolloutGIF, "rollout-gif", true, "at the end, write rollout.gif: one deterministic episode of the final agent (--rollout-gif=false skips it)")
	help, err = cli.Parse(fs, args, stdout)
	return f, help, err
}

// set reports whether the flag was given on the command line.
func (f *flags) set(name string) bool {
	return cli.IsSet(f.fs, name)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, help, err := parseFlags(args, stdout)
	if help {
		return cli.ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "train-agent: %v (see --help)\n", err)
		return cli.ExitUsage
	}
	if f.threads < 1 || f.threads > 256 {
		fmt.Fprintf(stderr, "train-agent: --threads %d, want 1 to 256 (see --help)\n", f.threads)
		return cli.ExitUsage
	}
	nn.UseThreads(f.threads)
	log, err := cli.NewLogger(stderr, f.logFormat, f.logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "train-agent: %v\n", err)
		return cli.ExitUsage
	}

	cfg, runDir, err := resolve(ctx, f, log, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "train-agent: %v\n", err)
		if ctx.Err() != nil {
			return cli.ExitInterrupted
		}
		return cli.ExitCode(err)
	}
	log.Info("config", "algo", cfg.Algo, "dataset", cfg.Dataset, "env", cfg.Env, "steps", cfg.Steps,
		"eval_every", cfg.EvalEvery, "seed", cfg.Seed, "run_dir", runDir)

	progress := cli.NewProgress(stderr, log, "training")
	defer progress.Close()
	opts := train.Options{
		Logger: log, Resume: f.resume != "",
		OnProgress: progress.Update,
		OnEval: func([]train.EvalPoint) {
			if err := drawCurve(runDir); err != nil {
				log.Warn("drawing curve.png", "err", err)
			}
		},
	}
	sum, err := train.Run(ctx, cfg, runDir, opts)
	progress.Close()
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "train-agent: %v\ntrain-agent: checkpoint kept; continue with --resume %s\n", err, runDir)
			return cli.ExitInterrupted
		}
		fmt.Fprintf(stderr, "train-agent: %v\n", err)
		if errors.Is(err, train.ErrStepsBehind) {
			return cli.ExitUsage
		}
		return cli.ExitCode(err)
	}
	if f.rolloutGIF {
		path, err := writeRolloutGIF(ctx, runDir)
		if err != nil {
			// The run itself is complete; a missing animation is not a
			// failed run.
			log.Warn("writing rollout.gif", "err", err)
		} else {
			log.Info("rollout written", "path", path)
		}
	}
	report(stdout, f.json, sum)
	return cli.ExitOK
}

// resolve merges defaults, config file and flags, finds (or collects) the
// dataset and picks the run directory.
func resolve(ctx context.Context, f *flags, log *slog.Logger,
	stderr io.Writer) (train.Config, string, error) {
	if f.resume != "" {
		return resumeConfig(f)
	}
	cfg := train.DefaultConfig()
	cfg.Steps, cfg.EvalEvery = defaultSteps, defaultEvalEvery
	if f.config != "" {
		if err := train.LoadConfigFile(f.config, &cfg); err != nil {
			return cfg, "", cli.Usage(err)
		}
	}
	if f.set("algo") || f.config == "" {
		cfg.Algo = f.algo
	}
	if cfg.Online() && f.config == "" {
		cfg.Steps = defaultOnlineSteps
	}
	for name, apply := range map[string]func(){
		"steps":         func() { cfg.Steps = f.steps },
		"eval-every":    func() { cfg.EvalEvery = f.evalEvery },
		"eval-episodes": func() { cfg.EvalEpisodes = f.evalEpisodes },
		"seed":          func() { cfg.Seed = f.seed },
		"start-steps":   func() { cfg.StartSteps = f.startSteps },
		"buffer-size":   func() { cfg.BufferSize = f.bufferSize },
	} {
		if f.set(name) {
			apply()
		}
	}
	if cfg.Online() {
		return resolveOnline(f, cfg)
	}
	for _, name := range []string{"start-steps", "buffer-size"} {
		if f.set(name) {
			return cfg, "", cli.Usage(fmt.Errorf("--%s is for online training (--algo sac); %s learns from a dataset", name, cfg.Algo))
		}
	}
	// Check every setting before any work, such as collecting a dataset.
	probe := cfg
	probe.Dataset = "(checked below)"
	if err := probe.Validate(); err != nil {
		return cfg, "", cli.Usage(err)
	}
	ref := cfg.Dataset
	if f.set("dataset") {
		ref = f.dataset
	}
	named := ref == "" // the default dataset: looked up in the cache only
	if named {
		spec, err := registry.Lookup(f.env)
		if err != nil {
			return cfg, "", cli.Usage(fmt.Errorf("--env: %w", err))
		}
		ref = datasets.FormatID(spec.Task, defaultKind, collect.DatasetVersion(spec.ID))
	}
	path, err := findDataset(ctx, ref, f.dataDir, named, log, stderr)
	if err != nil {
		return cfg, "", err
	}
	cfg.Dataset = path
	meta, err := datasets.ReadMetadata(path)
	if err != nil {
		return cfg, "", err
	}
	if f.set("env") && meta.EnvID != f.env {
		return cfg, "", cli.Usage(fmt.Errorf("--env %s disagrees with dataset %s, which was collected on %s", f.env, path, meta.EnvID))
	}
	if err := cfg.Validate(); err != nil {
		return cfg, "", cli.Usage(err)
	}
	runDir, err := pickRunDir(f, meta.EnvID, cfg)
	return cfg, runDir, err
}

// resolveOnline finishes the configuration of an online run: the
// environment comes from --env (or the config file), and there is no
// dataset to find.
func resolveOnline(f *flags, cfg train.Config) (train.Config, string, error) {
	if f.set("dataset") || cfg.Dataset != "" {
		return cfg, "", cli.Usage(fmt.Errorf("--dataset cannot be used with --algo %s: it trains online in --env and fills its own replay buffer", cfg.Algo))
	}
	if f.set("env") || cfg.Env == "" {
		cfg.Env = f.env
	}
	if _, err := registry.Lookup(cfg.Env); err != nil {
		return cfg, "", cli.Usage(fmt.Errorf("--env: %w", err))
	}
	if err := cfg.Validate(); err != nil {
		return cfg, "", cli.Usage(err)
	}
	runDir, err := pickRunDir(f, cfg.Env, cfg)
	return cfg, runDir, err
}

// pickRunDir is --run-dir or a fresh runs/<env>-<algo>-<seed>-<time>.
func pickRunDir(f *flags, envID string, cfg train.Config) (string, error) {
	if f.runDir != "" {
		return f.runDir, nil
	}
	base := filepath.Join("runs", fmt.Sprintf("%s-%s-%d-%s", strings.ToLower(envID),
		cfg.Algo, cfg.Seed, time.Now().UTC().Format("20060102T150405Z")))
	return claimRunDir(base)
}

// claimRunDir creates the first of base, base-2, base-3, ... that does not
// exist yet, so that runs started in the same second each get their own.
func claimRunDir(base string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
		return "", err
	}
	for i := 1; i < 1000; i++ {
		dir := base
		if i > 1 {
			dir = fmt.Sprintf("%s-%d", base, i)
		}
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("creating run directory: %w", err)
		}
	}
	return "", fmt.Errorf("creating run directory: %s and 998 numbered variants exist", base)
}

// resumeConfig reads the run's saved configuration; only --steps may
// change it.
func resumeConfig(f *flags) (train.Config, string, error) {
	raw, err := os.ReadFile(filepath.Join(f.resume, "config.json"))
	if err != nil {
		return train.Config{}, "", cli.Usage(fmt.Errorf("--resume %s: not a run directory: %w", f.resume, err))
	}
	cfg := train.DefaultConfig()
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return cfg, "", fmt.Errorf("--resume %s: config.json: %w", f.resume, err)
	}
	fixed := []string{"algo", "env", "dataset", "eval-every", "eval-episodes", "seed", "config", "run-dir",
		"start-steps", "buffer-size"}
	for _, name := range fixed {
		if f.set(name) {
			return cfg, "", cli.Usage(fmt.Errorf("--%s cannot be combined with --resume (the run keeps its saved config; only --steps may extend it)", name))
		}
	}
	if f.set("steps") {
		cfg.Steps = f.steps
	}
	if err := cfg.Validate(); err != nil {
		return cfg, "", cli.Usage(err)
	}
	return cfg, f.resume, nil
}

// findDataset resolves a dataset reference, collecting a missing named
// dataset of a built-in environment into the cache.
// With cacheOnly, ref is a dataset name looked up in the cache only, never
// as a path relative to the working directory.
func findDataset(ctx context.Context, ref, dataDir string, cacheOnly bool, log *slog.Logger,
	stderr io.Writer) (string, error) {
	if dataDir == "" {
		var err error
		if dataDir, err = datasets.CacheDir(); err != nil {
			return "", err
		}
	}
	var path string
	var err error
	if cacheOnly {
		path = filepath.Join(dataDir, ref)
		if _, err = os.Stat(path); err != nil {
			err = datasets.ErrNotCached
		}
	} else {
		path, err = datasets.Resolve(ref, dataDir)
	}
	if err == nil {
		// The run's config.json keeps the path; make it absolute so the
		// run can be resumed from any directory.
		return filepath.Abs(path)
	}
	if !errors.Is(err, datasets.ErrNotCached) {
		return "", cli.Usage(err)
	}
	id := filepath.Base(path)
	envID, kind, err := collectable(id)
	if err != nil {
		return "", cli.Usage(fmt.Errorf("dataset %s is not in %s and cannot be collected: %w", ref, dataDir, err))
	}
	steps := collect.DefaultSteps(envID, kind) // the size collect and results give this name
	fmt.Fprintf(stderr, "train-agent: dataset %s is not in the cache; collecting %d transitions of %s into %s (once)\n",
		id, steps, kind, path)
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", err
	}
	progress := cli.NewProgress(stderr, log, "collecting")
	defer progress.Close()
	_, err = collect.Run(ctx, collect.Options{EnvID: envID, Kind: kind, Steps: steps,
		Seed: 0, Out: path, Command: fmt.Sprintf("collect --env %s --kind %s --steps %d --seed 0 --out %s",
			envID, kind, steps, path), Logger: log, OnProgress: progress.Update})
	if ctx.Err() != nil {
		return "", fmt.Errorf("interrupted while collecting %s; nothing was kept: %w", id, err)
	}
	if errors.Is(err, datasets.ErrExists) {
		// Another run collected the same dataset meanwhile; collection is
		// deterministic, so its copy is the one this run would have made.
		log.Info("dataset collected by another process meanwhile; using it", "path", path)
		err = nil
	}
	if err != nil {
		return "", err
	}
	return filepath.Abs(path)
}

// collectable maps a dataset name this toolkit collects to its env and kind.
func collectable(id string) (envID, kind string, err error) {
	task, kind, version, err := datasets.ParseID(id)
	if err != nil {
		return "", "", err
	}
	// A task may end like a kind ("maze2d-medium" + "expert" reads as
	// "maze2d" + "medium-expert"): an exact match with a registered task
	// and a collectable kind settles it.
	for _, envID := range registry.IDs() {
		spec, _ := registry.Lookup(envID)
		for _, k := range collect.Kinds {
			if datasets.FormatID(spec.Task, k, version) == id && version == collect.DatasetVersion(envID) {
				return envID, k, nil
			}
		}
	}
	for _, envID := range registry.IDs() {
		if spec, _ := registry.Lookup(envID); spec.Task == task {
			if v := collect.DatasetVersion(envID); version != v {
				return "", "", fmt.Errorf("this toolkit collects %s datasets as version v%d, not v%d", task, v, version)
			}
			for _, k := range collect.Kinds {
				if k == kind {
					return envID, kind, nil
				}
			}
			return "", "", fmt.Errorf("kind %q is not one of %s", kind, strings.Join(collect.Kinds, ", "))
		}
	}
	return "", "", fmt.Errorf("no built-in environment has task %q", task)
}

// drawCurve redraws the run's curve.png from its config.json and
// metrics.csv.
func drawCurve(runDir string) error {
	r, err := viz.ReadRun(runDir)
	if err != nil {
		return err
	}
	return viz.WriteRunPNG(filepath.Join(runDir, "curve.png"), r)
}

// rolloutGIF is the size of rollout.gif's frames in pixels.
const rolloutWidth, rolloutHeight = 320, 240

// writeRolloutGIF records one deterministic episode of the run's final
// agent as rollout.gif in the run directory, with the first evaluation
// episode's seed.
func writeRolloutGIF(ctx context.Context, runDir string) (string, error) {
	agent, info, err := train.LoadAgent(runDir)
	if err != nil {
		return "", err
	}
	policy, err := viz.AgentPolicy(fmt.Sprintf("%s step %d", info.Algo, info.Step), agent, true)
	if err != nil {
		return "", err
	}
	p, err := viz.NewPlayer(info.EnvID, policy, info.Seed+100)
	if err != nil {
		return "", err
	}
	defer p.Close()
	path := filepath.Join(runDir, "rollout.gif")
	_, err = viz.WriteGIF(ctx, path, p, viz.GIFOptions{Width: rolloutWidth, Height: rolloutHeight,
		Episodes: 1, Status: true})
	return path, err
}

func report(stdout io.Writer, asJSON bool, s train.Summary) {
	online := math.IsNaN(s.DatasetScore)
	if asJSON {
		sum := map[string]any{
			"run_dir": s.RunDir, "step": s.Step, "return_mean": s.Final.ReturnMean,
			"return_std": s.Final.ReturnStd, "normalized_score": s.Score,
		}
		if !online {
			sum["dataset_normalized_score"] = s.DatasetScore
		}
		js, _ := json.MarshalIndent(sum, "", "  ")
		fmt.Fprintln(stdout, string(js))
		return
	}
	fmt.Fprintf(stdout, "run directory:     %s\n", s.RunDir)
	fmt.Fprintf(stdout, "steps:             %d\n", s.Step)
	fmt.Fprintf(stdout, "return:            %.1f ± %.1f over %d episodes\n",
		s.Final.ReturnMean, s.Final.ReturnStd, len(s.Final.Returns))
	fmt.Fprintf(stdout, "normalized_score:  %.1f (agent)\n", s.Score)
	if !online {
		fmt.Fprintf(stdout, "                   %.1f (dataset's own)\n", s.DatasetScore)
	}
}
