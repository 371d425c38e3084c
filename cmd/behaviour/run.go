package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"offrl/envs/registry"
	"offrl/internal/atomicfile"
	"offrl/internal/cli"
	"offrl/policies"
	"offrl/train"
)

const usage = `Usage: behaviour pick --run RUN_DIR [flags]

Scores every policy snapshot (RUN_DIR/policies/step-*.safetensors, kept by
train-agent --algo sac at each evaluation) by its sampled returns over
--episodes episodes, takes the best as the expert, measures the random and
expert reference returns over --ref-episodes episodes, takes the snapshot
whose normalised score is nearest --target as the medium policy, and
writes <task>-medium.safetensors, <task>-expert.safetensors and the
environment's entry of manifest.json into --out.

Example:
  go run ./cmd/train-agent --config configs/sac/hopper-v4.yaml --run-dir runs/behaviour/hopper-sac-0
  go run ./cmd/behaviour pick --run runs/behaviour/hopper-sac-0

Flags:
`

type flags struct {
	fs                    *flag.FlagSet
	run, out              string
	episodes, refEpisodes int
	workers               int
	target                float64
	overwrite             bool
}

func parseFlags(args []string, stdout io.Writer) (*flags, bool, error) {
	f := &flags{fs: flag.NewFlagSet("behaviour pick", flag.ContinueOnError)}
	fs := f.fs
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&f.run, "run", "", "SAC run directory (required)")
	fs.StringVar(&f.out, "out", filepath.Join("policies", "trained"), "where the policy files and manifest.json go")
	fs.IntVar(&f.episodes, "episodes", 10, "episodes per snapshot when scoring them")
	fs.IntVar(&f.refEpisodes, "ref-episodes", 100, "episodes for the reference returns and the chosen policies (D4RL-style references use 100)")
	fs.Float64Var(&f.target, "target", 33, "normalised score the medium policy should have (D4RL: about a third of the way from random to expert)")
	fs.IntVar(&f.workers, "workers", 2, "snapshots scored at once")
	fs.BoolVar(&f.overwrite, "overwrite", false, "replace the environment's policies when --out already has them")
	help, err := cli.Parse(fs, args, stdout)
	return f, help, err
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "pick" && args[0] != "-h" && args[0] != "--help") {
		fmt.Fprintf(stderr, "behaviour: want the subcommand pick (see --help)\n")
		return cli.ExitUsage
	}
	if args[0] == "pick" {
		args = args[1:]
	}
	f, help, err := parseFlags(args, stdout)
	if help {
		return cli.ExitOK
	}
	if err == nil && f.run == "" {
		err = errors.New("--run is required")
	}
	if err == nil && (f.episodes < 1 || f.refEpisodes < 1 || f.workers < 1) {
		err = errors.New("--episodes, --ref-episodes and --workers must be at least 1")
	}
	if err == nil && !(f.target > 0 && f.target < 100) {
		err = fmt.Errorf("--target %v, want a score between 0 and 100", f.target)
	}
	if err != nil {
		fmt.Fprintf(stderr, "behaviour: %v (see --help)\n", err)
		return cli.ExitUsage
	}
	if err := pick(ctx, f, stdout); err != nil {
		fmt.Fprintf(stderr, "behaviour: %v\n", err)
		if ctx.Err() != nil {
			return cli.ExitInterrupted
		}
		return cli.ExitCode(err)
	}
	return cli.ExitOK
}

// snapshot is one policy file of the run and its score.
type snapshot struct {
	path       string
	step       int
	mean, std  float64
	normalized float64
}

// runInfo is the part of the run's config.json that matters here.
type runInfo struct {
	Algo, EnvID string
	Seed        uint64
	raw         json.RawMessage // the whole config.json, compacted
}

func pick(ctx context.Context, f *flags, stdout io.Writer) error {
	info, snaps, err := readRun(f.run)
	if err != nil {
		return err
	}
	if !f.overwrite {
		// Before scoring, which takes minutes: shipped policies are
		// replaced only on request.
		if raw, err := os.ReadFile(filepath.Join(f.out, "manifest.json")); err == nil {
			m, err := policies.ReadTrainedManifest(raw)
			if err != nil {
				return err
			}
			if e, ok := m[info.EnvID]; ok {
				return cli.Usage(fmt.Errorf("%s already holds %s policies (run %s, medium step %d, expert step %d); "+
					"pass --overwrite to replace them", filepath.Join(f.out, "manifest.json"), info.EnvID, e.Run,
					e.Medium.Step, e.Expert.Step))
			}
		}
	}
	fmt.Fprintf(stdout, "scoring %d snapshots of %s on %s, %d episodes each\n",
		len(snaps), f.run, info.EnvID, f.episodes)
	if err := score(ctx, info.EnvID, snaps, f.episodes, f.workers); err != nil {
		return err
	}
	// The expert is the best snapshot; later ones win ties.
	expert := snaps[0]
	for _, s := range snaps {
		if s.mean >= expert.mean {
			expert = s
		}
	}
	random, err := policies.ForKind(info.EnvID, policies.KindRandom)
	if err != nil {
		return err
	}
	randomMean, _, err := policies.MeasureReturn(info.EnvID, random, f.refEpisodes, 0)
	if err != nil {
		return err
	}
	exp, err := measure(info.EnvID, expert, f.refEpisodes)
	if err != nil {
		return err
	}
	ref := policies.Reference{RandomReturn: randomMean, ExpertReturn: exp.mean}
	// The medium policy: of the three snapshots nearest the target on the
	// measured scale, the one whose return over --ref-episodes is nearest
	// (a few scoring episodes are noisy; earlier snapshots win ties).
	var byDistance []snapshot
	for _, sn := range snaps {
		if sn.step != expert.step { // the medium policy is another, weaker one
			sn.normalized = policies.NormalizedScore(sn.mean, ref)
			byDistance = append(byDistance, sn)
		}
	}
	slices.SortStableFunc(byDistance, func(a, b snapshot) int {
		return cmp.Compare(math.Abs(a.normalized-f.target), math.Abs(b.normalized-f.target))
	})
	var med snapshot
	best := math.Inf(1)
	for _, c := range byDistance[:min(3, len(byDistance))] {
		m, err := measure(info.EnvID, c, f.refEpisodes)
		if err != nil {
			return err
		}
		m.normalized = policies.NormalizedScore(m.mean, ref)
		if d := math.Abs(m.normalized - f.target); d < best || d == best && m.step < med.step {
			best, med = d, m
		}
	}
	exp.normalized = 100
	if !(med.mean < exp.mean) {
		return fmt.Errorf("%s: no snapshot is weaker than the expert (step %d, return %.1f) to serve as medium "+
			"(nearest: step %d, %.1f); train the run longer or keep more snapshots (--eval-every)",
			f.run, exp.step, exp.mean, med.step, med.mean)
	}
	if !(exp.mean > randomMean) {
		return fmt.Errorf("%s: the best snapshot (step %d, return %.1f) does no better than the random policy (%.1f); "+
			"train the run further", f.run, exp.step, exp.mean, randomMean)
	}
	for _, s := range snaps {
		fmt.Fprintf(stdout, "  step %8d  return %9.1f ± %7.1f  score %6.1f\n", s.step, s.mean, s.std,
			policies.NormalizedScore(s.mean, ref))
	}
	fmt.Fprintf(stdout, "random:  return %9.1f over %d episodes\n", randomMean, f.refEpisodes)
	fmt.Fprintf(stdout, "expert:  step %d, return %9.1f ± %.1f over %d episodes\n", exp.step, exp.mean, exp.std, f.refEpisodes)
	fmt.Fprintf(stdout, "medium:  step %d, return %9.1f ± %.1f, score %.1f over %d episodes\n",
		med.step, med.mean, med.std, med.normalized, f.refEpisodes)
	return write(f, info, med, exp, ref)
}

// readRun lists the run's policy snapshots in step order.
func readRun(dir string) (runInfo, []snapshot, error) {
	var info runInfo
	rc, err := train.ReadRunConfig(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return info, nil, cli.Usage(fmt.Errorf("--run: %w", err))
	}
	if err != nil {
		return info, nil, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, rc.Raw); err != nil {
		return info, nil, fmt.Errorf("%s: %w", filepath.Join(dir, "config.json"), err)
	}
	info = runInfo{Algo: rc.Algo, EnvID: rc.EnvID, Seed: rc.Seed, raw: compact.Bytes()}
	if info.Algo != "sac" {
		return info, nil, cli.Usage(fmt.Errorf("--run %s trained %q; behaviour policies come from sac runs", dir, info.Algo))
	}
	if _, err := registry.Lookup(info.EnvID); err != nil {
		return info, nil, fmt.Errorf("%s: env_id: %w", filepath.Join(dir, "config.json"), err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "policies", "step-*.safetensors"))
	if err != nil {
		return info, nil, err
	}
	var snaps []snapshot
	for _, p := range files {
		num := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "step-"), ".safetensors")
		step, err := strconv.Atoi(num)
		if err != nil {
			return info, nil, fmt.Errorf("%s: not a step-NNNNNNNN.safetensors name", p)
		}
		snaps = append(snaps, snapshot{path: p, step: step})
	}
	if len(snaps) < 2 {
		return info, nil, fmt.Errorf("%s has %d policy snapshots in policies/; a medium and an expert need at least 2",
			dir, len(snaps))
	}
	slices.SortFunc(snaps, func(a, b snapshot) int { return a.step - b.step })
	return info, snaps, nil
}

// score measures every snapshot's sampled return with workers goroutines;
// episode seeds start at 1,000,000, apart from the reference measurement's.
func score(ctx context.Context, envID string, snaps []snapshot, episodes, workers int) error {
	var wg sync.WaitGroup
	errs := make([]error, len(snaps))
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p, err := policies.LoadTanhGaussian(snaps[i].path)
				if err == nil {
					snaps[i].mean, snaps[i].std, err = policies.MeasureReturn(envID, p, episodes, 1_000_000)
				}
				errs[i] = err
			}
		}()
	}
	for i := range snaps {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// measure re-scores s over episodes from reset seed 0.
func measure(envID string, s snapshot, episodes int) (snapshot, error) {
	p, err := policies.LoadTanhGaussian(s.path)
	if err != nil {
		return s, err
	}
	s.mean, s.std, err = policies.MeasureReturn(envID, p, episodes, 0)
	return s, err
}

// write copies the chosen files into f.out and updates manifest.json.
func write(f *flags, info runInfo, med, exp snapshot, ref policies.Reference) error {
	spec, _ := registry.Lookup(info.EnvID)
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return err
	}
	entry := policies.TrainedEntry{EnvID: info.EnvID, RandomReturn: ref.RandomReturn,
		ExpertReturn: ref.ExpertReturn, Episodes: f.refEpisodes, Run: filepath.Base(f.run), Seed: info.Seed,
		TrainCommand: fmt.Sprintf("train-agent --algo sac with the settings of train_config (the run's config.json), "+
			"run directory %s", filepath.Base(f.run)),
		TrainConfig: info.raw,
		PickCommand: fmt.Sprintf("go run ./cmd/behaviour pick --run %s --episodes %d --ref-episodes %d --target %g",
			f.run, f.episodes, f.refEpisodes, f.target)}
	for _, c := range []struct {
		kind string
		s    snapshot
		dst  *policies.TrainedPolicy
	}{{"medium", med, &entry.Medium}, {"expert", exp, &entry.Expert}} {
		name := spec.Task + "-" + c.kind + ".safetensors"
		raw, err := os.ReadFile(c.s.path)
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(filepath.Join(f.out, name), raw); err != nil {
			return err
		}
		*c.dst = policies.TrainedPolicy{File: name, Step: c.s.step, ReturnMean: c.s.mean,
			ReturnStd: c.s.std, NormalizedScore: c.s.normalized, Episodes: f.refEpisodes}
	}
	path := filepath.Join(f.out, "manifest.json")
	m := map[string]policies.TrainedEntry{}
	if raw, err := os.ReadFile(path); err == nil {
		if m, err = policies.ReadTrainedManifest(raw); err != nil {
			return err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	m[info.EnvID] = entry
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(js, '\n'))
}
