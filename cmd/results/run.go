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
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"offrl/datasets"
	"offrl/internal/atomicfile"
	"offrl/internal/cli"
	"offrl/nn"
	"offrl/train"
)

// The default (scaled) setting. The number of updates is chosen so that
// the default grid, 3 algorithms × 9 datasets × 1 seed, trains in about an
// hour on 2 cores, two runs at a time; usage spells out the arithmetic.
// --full is the papers' setting.
const (
	defaultSteps     = 10_000
	defaultEvalEvery = 2_500
	fullSteps        = 1_000_000
	fullEvalEvery    = 5_000 // TD3+BC, IQL and A2PR papers
	fullSeeds        = "0,1,2"
)

// defaultAlgos and defaultDatasets are the grid.
var (
	defaultAlgos    = []string{"td3bc", "iql", "a2pr"}
	defaultDatasets = locomotionDatasets()
)

func locomotionDatasets() []string {
	var ids []string
	for _, task := range []string{"hopper", "halfcheetah", "walker2d"} {
		for _, kind := range []string{"medium", "medium-replay", "medium-expert"} {
			ids = append(ids, datasets.FormatID(task, kind, 1))
		}
	}
	return ids
}

const usage = `Usage: results [flags]

Trains every algorithm of --algos on every dataset of --datasets with every
seed of --seeds (train.Run, as train-agent does, with the per-dataset
settings of <configs>/<algo>/<dataset>.yaml where that file exists), two
runs at a time (--jobs), into <out>/runs/<dataset>-<algo>-<seed>/, and
writes <out>/results.md (final normalised score, mean ± std over seeds,
beside the papers' reported numbers) and <out>/results.png (the same as a
chart), plus <out>/curves/<dataset>.png (learning curves, mean ± std over
seeds).

Resumable: a finished run (eval.json present) is skipped, an interrupted
one (Ctrl-C, exit 130, or killed) continues from its checkpoint when the
same command is run again. A run made with other settings is an error, not
overwritten: choose another --out. --table-only rebuilds the outputs from
the run directories without training.

Datasets are looked up in the cache (--data-dir). A missing one is
collected first, as collect does, when its behaviour policies exist
(random everywhere; medium and expert of Pendulum, MountainCar, Hopper,
HalfCheetah and Walker2d): 100,000 transitions for the v0 tasks, D4RL's
1,000,000 (2,000,000 for medium-expert) for v1 ones, or --collect-steps.
A missing medium-replay (or full-replay) is written from the SAC run behind the shipped
policies, retrained first into <data dir>/behaviour-runs/ when it is not
there (as collect --kind medium-replay does; on an empty cache about 25,
7 and 50 minutes on one core for Hopper, HalfCheetah and Walker2d, once).
A dataset that cannot be made is listed with how to make it, and the
command exits 1 before training anything.

Default setting (about an hour on 2 cores): 10,000 updates per run, an
evaluation of 10 episodes every 2,500, seed 0. The arithmetic: one update
at the papers' sizes takes 1/166 s (TD3+BC), 1/122 s (IQL) and 1/16.5 s
(A2PR, whose 750-750 VAE and 4-layer critics dominate) on one core
(go test -bench Update -cpu 1 ./agents/...), so one dataset's three runs
cost 10,000 × (0.0060 + 0.0082 + 0.0606) s = 748 core-seconds, the nine
datasets 6,732, or 56 minutes on 2 cores; the evaluations (5 × 10 episodes
of at most 1,000 steps per run) and loading the datasets add a few
minutes. A2PR runs are started first so that the two cores finish
together. These are far fewer updates than the papers' 1,000,000: the
scores are a smoke test of the pipeline, not a reproduction (A2PR in
particular is known to need the full run).

--full: 1,000,000 updates, an evaluation every 5,000, seeds 0,1,2 (the
papers' protocol): 81 runs, 9 × 3 × 1,000,000 × 0.0748 s = 2.0 million
core-seconds, some 12 days on 2 cores. Flags given explicitly override it.

Examples:
  go run ./cmd/results
  go run ./cmd/results --full
  go run ./cmd/results --datasets pendulum-medium-v0,mountaincar-medium-v0 --steps 5000
  go run ./cmd/results --table-only

Flags:
`

// settings are the parsed command line.
type settings struct {
	fs                                   *flag.FlagSet
	algos, datasetIDs                    []string
	seeds                                []uint64
	steps, evalEvery, evalEpisodes, jobs int
	collectSteps, threads                int
	out, dataDir, configDir, logFormat   string
	logLevel                             slog.Level
	full, tableOnly                      bool
	algosFlag, datasetsFlag, seedsFlag   string
	command                              string
	rebuiltWith                          string // with --table-only and a recorded command: this one
}

// set reports whether the flag was given on the command line.
func (s *settings) set(name string) bool {
	return cli.IsSet(s.fs, name)
}

func parseFlags(args []string, stdout io.Writer) (*settings, bool, error) {
	s := &settings{fs: flag.NewFlagSet("results", flag.ContinueOnError)}
	fs := s.fs
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&s.algosFlag, "algos", strings.Join(defaultAlgos, ","), "comma-separated algorithms, some of "+strings.Join(offlineAlgos(), ", "))
	fs.StringVar(&s.datasetsFlag, "datasets", strings.Join(defaultDatasets, ","), "comma-separated dataset names <task>-<kind>-v<N> in the cache")
	fs.StringVar(&s.seedsFlag, "seeds", "0", "comma-separated run seeds (--full: "+fullSeeds+")")
	fs.IntVar(&s.steps, "steps", defaultSteps, fmt.Sprintf("gradient updates per run (--full: %d)", fullSteps))
	fs.IntVar(&s.evalEvery, "eval-every", defaultEvalEvery, fmt.Sprintf("updates between evaluations and checkpoints (--full: %d)", fullEvalEvery))
	fs.IntVar(&s.evalEpisodes, "eval-episodes", 10, "episodes per evaluation (papers: 10)")
	fs.BoolVar(&s.full, "full", false, "the papers' setting: --steps 1000000 --eval-every 5000 --seeds 0,1,2 (explicit flags still win)")
	fs.IntVar(&s.jobs, "jobs", 2, "runs trained at once; one per core is fastest (see the README's Speed section)")
	fs.IntVar(&s.threads, "threads", 1, "goroutines per matrix product in each run; results do not depend on it")
	fs.StringVar(&s.out, "out", "results", "output directory: runs/, results.md, results.png, curves/")
	fs.StringVar(&s.dataDir, "data-dir", "", "dataset cache directory (default $OFFRL_DATA_DIR or ~/.cache/offrl/datasets)")
	fs.StringVar(&s.configDir, "configs", "configs", "directory of per-dataset config files <algo>/<dataset>.yaml; a missing file means the algorithm's defaults")
	fs.IntVar(&s.collectSteps, "collect-steps", 0, "transitions of a dataset collected on demand (0: 100,000 for v0 tasks, D4RL's 1,000,000 or 2,000,000 for medium-expert for v1 ones)")
	fs.BoolVar(&s.tableOnly, "table-only", false, "only rebuild results.md, results.png and curves/ from the run directories in --out (with --algos or --datasets given, only those)")
	fs.StringVar(&s.logFormat, "log-format", "text", "log format on stderr: text or json")
	fs.TextVar(&s.logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn, error")
	help, err := cli.Parse(fs, args, stdout)
	if help || err != nil {
		return s, help, err
	}
	s.command = commandLine(args)
	if s.tableOnly {
		// The table is rebuilt from the runs as they were trained; a
		// training flag here would change nothing and mislead the record.
		for _, name := range []string{"steps", "eval-every", "eval-episodes", "full", "jobs", "collect-steps",
			"data-dir", "configs", "threads"} {
			if s.set(name) {
				return s, false, fmt.Errorf("--%s applies to training, not to --table-only, which rebuilds the "+
					"table from the runs as they were trained", name)
			}
		}
	}
	if s.full {
		if !s.set("steps") {
			s.steps = fullSteps
		}
		if !s.set("eval-every") {
			s.evalEvery = fullEvalEvery
		}
		if !s.set("seeds") {
			s.seedsFlag = fullSeeds
		}
	}
	return s, false, s.check()
}

// check validates and splits the flag values; errors name the flag.
func (s *settings) check() error {
	var err error
	if s.algos, err = splitList("algos", s.algosFlag); err != nil {
		return err
	}
	for _, a := range s.algos {
		if !slices.Contains(train.Algos, a) || slices.Contains(train.OnlineAlgos, a) {
			return fmt.Errorf("--algos: %q is not an offline algorithm; want some of %s", a, strings.Join(offlineAlgos(), ", "))
		}
	}
	if s.datasetIDs, err = splitList("datasets", s.datasetsFlag); err != nil {
		return err
	}
	for _, id := range s.datasetIDs {
		if _, _, _, err := datasets.ParseID(id); err != nil {
			return fmt.Errorf("--datasets: %s", strings.TrimPrefix(err.Error(), "datasets: "))
		}
	}
	seeds, err := splitList("seeds", s.seedsFlag)
	if err != nil {
		return err
	}
	s.seeds = nil
	for _, v := range seeds {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Errorf("--seeds: %q is not a non-negative integer", v)
		}
		s.seeds = append(s.seeds, n)
	}
	switch {
	case s.steps < 1:
		return fmt.Errorf("--steps %d, want ≥ 1", s.steps)
	case s.evalEvery < 1:
		return fmt.Errorf("--eval-every %d, want ≥ 1", s.evalEvery)
	case s.evalEpisodes < 1:
		return fmt.Errorf("--eval-episodes %d, want ≥ 1", s.evalEpisodes)
	case s.jobs < 1 || s.jobs > 256:
		return fmt.Errorf("--jobs %d, want 1 to 256", s.jobs)
	case s.threads < 1 || s.threads > 256:
		return fmt.Errorf("--threads %d, want 1 to 256", s.threads)
	case s.collectSteps < 0:
		return fmt.Errorf("--collect-steps %d, want ≥ 0", s.collectSteps)
	case s.out == "":
		return fmt.Errorf("--out is empty, want a directory")
	}
	if !s.tableOnly {
		if fi, err := os.Stat(s.configDir); err != nil || !fi.IsDir() {
			return fmt.Errorf("--configs %s is not a directory: the per-dataset settings are read from "+
				"<configs>/<algo>/<dataset>.yaml (run from the repository root, or pass --configs)", s.configDir)
		}
	}
	return nil
}

// offlineAlgos are the algorithms that learn from a dataset.
func offlineAlgos() []string {
	var out []string
	for _, a := range train.Algos {
		if !slices.Contains(train.OnlineAlgos, a) {
			out = append(out, a)
		}
	}
	return out
}

// splitList splits a comma-separated flag value; an empty or repeated
// element is an error naming the flag.
func splitList(name, v string) ([]string, error) {
	var out []string
	for _, x := range strings.Split(v, ",") {
		x = strings.TrimSpace(x)
		if x == "" {
			return nil, fmt.Errorf("--%s %q has an empty element", name, v)
		}
		if slices.Contains(out, x) {
			return nil, fmt.Errorf("--%s: %q is listed twice", name, x)
		}
		out = append(out, x)
	}
	return out, nil
}

// commandLine is the command as a person would type it again.
func commandLine(args []string) string {
	parts := []string{"go run ./cmd/results"}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\"'$\\") {
			a = strconv.Quote(a)
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	s, help, err := parseFlags(args, stdout)
	if help {
		return cli.ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "results: %v (see --help)\n", err)
		return cli.ExitUsage
	}
	log, err := cli.NewLogger(stderr, s.logFormat, s.logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "results: %v\n", err)
		return cli.ExitUsage
	}
	nn.UseThreads(s.threads)
	commandFile := filepath.Join(s.out, "command.txt")
	if s.tableOnly {
		if raw, err := os.ReadFile(commandFile); err == nil {
			s.rebuiltWith, s.command = s.command, strings.TrimSpace(string(raw))
		}
	} else {
		if err := trainGrid(ctx, s, log, stderr); err != nil {
			fmt.Fprintf(stderr, "results: %v\n", err)
			if ctx.Err() != nil {
				fmt.Fprintf(stderr, "results: checkpoints kept; run the same command again to continue\n")
				return cli.ExitInterrupted
			}
			return cli.ExitCode(err)
		}
	}
	if !s.tableOnly {
		// What trained the runs, for a later --table-only to record.
		if err := atomicfile.WriteFile(commandFile, []byte(s.command+"\n")); err != nil {
			fmt.Fprintf(stderr, "results: %v\n", err)
			return cli.ExitFailed
		}
	}
	paths, err := writeOutputs(s, log)
	if err != nil {
		fmt.Fprintf(stderr, "results: %v\n", err)
		return cli.ExitCode(err)
	}
	for _, p := range paths {
		fmt.Fprintln(stdout, p)
	}
	return cli.ExitOK
}

// cell is one training run of the grid.
type cell struct {
	algo, datasetID string
	seed            uint64
	cfg             train.Config
	dir             string
	datasetSHA256   string // datasets.Fingerprint of cfg.Dataset
}

func (c cell) name() string { return fmt.Sprintf("%s-%s-%d", c.datasetID, c.algo, c.seed) }

// cost orders the algorithms by time per update, slowest first, so that
// the longest runs start first and the jobs finish together.
var cost = map[string]int{"a2pr": 0, "iql": 1, "td3bc": 2}

// trainGrid finds or collects the datasets, builds every cell's
// configuration (so that a bad config file fails before any training) and
// trains the cells, --jobs at a time.
func trainGrid(ctx context.Context, s *settings, log *slog.Logger, stderr io.Writer) error {
	dataDir := s.dataDir
	if dataDir == "" {
		var err error
		if dataDir, err = datasets.CacheDir(); err != nil {
			return err
		}
	}
	paths, err := findDatasets(ctx, s, dataDir, log, stderr)
	if err != nil {
		return err
	}
	var cells []cell
	for _, id := range s.datasetIDs {
		// A finished run is kept only if it was trained on these very bytes.
		sha, err := datasets.Fingerprint(paths[id])
		if err != nil {
			return fmt.Errorf("dataset %s: %w", id, err)
		}
		for _, algo := range s.algos {
			cfg := train.DefaultConfig()
			file := filepath.Join(s.configDir, algo, id+".yaml")
			if _, err := os.Stat(file); err == nil {
				if err := train.LoadConfigFile(file, &cfg); err != nil {
					return cli.Usage(err)
				}
				log.Debug("config file", "algo", algo, "dataset", id, "path", file)
			}
			cfg.Algo, cfg.Dataset, cfg.Env = algo, paths[id], ""
			cfg.Steps, cfg.EvalEvery, cfg.EvalEpisodes = s.steps, s.evalEvery, s.evalEpisodes
			for _, seed := range s.seeds {
				cfg.Seed = seed
				if err := cfg.Validate(); err != nil {
					return cli.Usage(fmt.Errorf("%s on %s: %w", algo, id, err))
				}
				c := cell{algo: algo, datasetID: id, seed: seed, cfg: cfg, datasetSHA256: sha}
				c.dir = filepath.Join(s.out, "runs", c.name())
				cells = append(cells, c)
			}
		}
	}
	slices.SortStableFunc(cells, func(a, b cell) int { return cost[a.algo] - cost[b.algo] })
	return trainCells(ctx, cells, s.jobs, log)
}

// trainCells trains the cells, jobs at a time, and returns the first
// error; on an error the running cells are cancelled and checkpointed.
func trainCells(ctx context.Context, cells []cell, jobs int, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	evalWorkers := max(1, runtime.GOMAXPROCS(0)/jobs)
	queue := make(chan int)
	var mu sync.Mutex
	var firstErr error
	done, skipped := 0, 0
	var wg sync.WaitGroup
	for range min(jobs, len(cells)) {
		wg.Go(func() {
			for i := range queue {
				c := cells[i]
				started := time.Now()
				score, ran, err := trainCell(ctx, c, evalWorkers, log)
				mu.Lock()
				switch {
				case err != nil:
					if firstErr == nil {
						firstErr = err
					} else if errors.Is(err, context.Canceled) {
						// The first error is printed at the end; the runs
						// stopped with it say so here, each with its step.
						log.Info("stopped", "run", c.name(), "err", err)
					}
					cancel()
				case !ran:
					skipped++
					done++
					log.Info("skipped (finished earlier)", "run", c.name(), "done", fmt.Sprintf("%d/%d", done, len(cells)))
				default:
					done++
					log.Info("finished", "run", c.name(), "normalized_score", fmt.Sprintf("%.1f", score),
						"took", time.Since(started).Round(time.Second), "done", fmt.Sprintf("%d/%d", done, len(cells)))
				}
				mu.Unlock()
			}
		})
	}
	log.Info("training", "runs", len(cells), "jobs", jobs)
feed:
	for i := range cells {
		select {
		case queue <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr == nil {
		log.Info("grid done", "trained", done-skipped, "skipped", skipped)
	}
	return firstErr
}

// trainCell trains one cell, resuming it from its checkpoint or skipping
// it when it has finished; ran is false for a skipped cell.
func trainCell(ctx context.Context, c cell, evalWorkers int, log *slog.Logger) (score float64, ran bool, err error) {
	resume := false
	if _, err := os.Stat(filepath.Join(c.dir, "config.json")); err == nil {
		if err := sameConfig(c); err != nil {
			return 0, false, err
		}
		if _, err := os.Stat(filepath.Join(c.dir, "eval.json")); err == nil {
			return 0, false, nil
		}
		if _, err := os.Stat(filepath.Join(c.dir, "checkpoint", "state.json")); err == nil {
			resume = true
		} else {
			// Stopped before its first checkpoint: nothing to keep.
			log.Info("restarting a run that stopped before its first checkpoint", "run", c.name())
			if err := os.RemoveAll(c.dir); err != nil {
				return 0, false, err
			}
		}
	} else if entries, err := os.ReadDir(c.dir); err == nil && len(entries) > 0 {
		return 0, false, fmt.Errorf("%s is not empty and has no config.json: not a run of this command; move it or choose another --out", c.dir)
	}
	if err := os.MkdirAll(filepath.Dir(c.dir), 0o755); err != nil {
		return 0, false, err
	}
	runLog := log.With("run", c.name())
	if resume {
		runLog.Info("resuming")
	} else {
		runLog.Info("starting", "steps", c.cfg.Steps)
	}
	sum, err := train.Run(ctx, c.cfg, c.dir, train.Options{
		Logger: slog.New(slog.DiscardHandler), Resume: resume, EvalWorkers: evalWorkers,
		OnEval: func(h []train.EvalPoint) {
			e := h[len(h)-1]
			runLog.Info("evaluated", "step", e.Step, "of", c.cfg.Steps,
				"normalized_score", fmt.Sprintf("%.1f", e.NormalizedScore))
		},
	})
	if err != nil {
		return 0, true, fmt.Errorf("run %s: %w", c.dir, err)
	}
	return sum.Score, true, nil
}

// sameConfig checks that the run directory was made with the cell's
// settings, naming the keys that differ.
func sameConfig(c cell) error {
	run, err := train.ReadRunConfig(c.dir)
	if err != nil {
		return err
	}
	saved := run.Config
	if run.DatasetSHA256 != c.datasetSHA256 {
		return cli.Usage(fmt.Errorf("%s was trained on other data than %s has now (dataset sha256 %.12s… there, "+
			"%.12s… now): remove the run to train it again, or choose another --out", c.dir, c.cfg.Dataset,
			run.DatasetSHA256, c.datasetSHA256))
	}
	// The same bytes elsewhere (a moved or copied cache) are the same data.
	want := c.cfg
	want.Dataset = saved.Dataset
	if reflect.DeepEqual(saved, want) {
		return nil
	}
	var a, b map[string]any
	js, _ := json.Marshal(saved)
	json.Unmarshal(js, &a)
	js, _ = json.Marshal(want)
	json.Unmarshal(js, &b)
	var diff []string
	for k, v := range b {
		if !reflect.DeepEqual(a[k], v) {
			w, _ := json.Marshal(a[k])
			x, _ := json.Marshal(v)
			diff = append(diff, fmt.Sprintf("%s = %s there, %s now", k, w, x))
		}
	}
	slices.Sort(diff)
	return cli.Usage(fmt.Errorf("%s was made with other settings (%s); run with its settings or choose another --out",
		c.dir, strings.Join(diff, "; ")))
}
