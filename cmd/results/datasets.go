package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"offrl/collect"
	"offrl/collect/fromrun"
	"offrl/datasets"
	"offrl/envs/registry"
	"offrl/internal/cli"
	"offrl/policies"
)

// findDatasets returns the cache path of every dataset, collecting the
// missing ones that can be collected; if any cannot, it lists them all
// with the commands that make them.
func findDatasets(ctx context.Context, s *settings, dataDir string, log *slog.Logger,
	stderr io.Writer) (map[string]string, error) {
	paths := map[string]string{}
	var collectList []toCollect
	var missing []string
	var needPolicies []string // environments whose behaviour policies are missing
	for _, id := range s.datasetIDs {
		path := filepath.Join(dataDir, id)
		if _, err := os.Stat(path); err == nil {
			if _, err := datasets.ReadMetadata(path); err != nil {
				missing = append(missing, fmt.Sprintf("  %s: %s is in the cache but is not a readable dataset (%v); "+
					"remove it and run again to collect it", id, path, err))
				continue
			}
			if paths[id], err = filepath.Abs(path); err != nil {
				return nil, err
			}
			continue
		}
		envID, kind, err := classify(id)
		if err != nil {
			missing = append(missing, fmt.Sprintf("  %s: cannot be made by this toolkit: %v", id, err))
			continue
		}
		if how, policies := unavailable(envID, kind, path); how != "" {
			missing = append(missing, fmt.Sprintf("  %s: %s", id, how))
			if policies && !slices.Contains(needPolicies, envID) {
				needPolicies = append(needPolicies, envID)
			}
			continue
		}
		steps := s.collectSteps
		if steps == 0 {
			steps = collect.DefaultSteps(envID, kind)
		}
		collectList = append(collectList, toCollect{id, envID, kind, path, steps})
	}
	if len(missing) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "%d of the %d datasets are not in the cache (%s) and cannot be collected now:\n%s",
			len(missing), len(s.datasetIDs), dataDir, strings.Join(missing, "\n"))
		if len(needPolicies) > 0 {
			b.WriteString("\nbut first the behaviour policies, which policies/trained does not ship yet (issue 7): " +
				"train a SAC run and pick its medium and expert snapshots, for each environment:")
			for _, env := range needPolicies {
				fmt.Fprintf(&b, "\n  %s: go run ./cmd/train-agent --algo sac --env %s --steps 1000000, "+
					"then go run ./cmd/behaviour pick --run RUN_DIR", env, env)
			}
		}
		b.WriteString("\nor choose other datasets with --datasets (e.g. --datasets pendulum-medium-v0,mountaincar-medium-v0)")
		return nil, errors.New(b.String())
	}
	// The replay kinds go last: they may retrain a SAC run first (see
	// collect/fromrun), which takes far longer than rolling a policy out.
	isReplay := func(c toCollect) bool { return slices.Contains(collect.ReplayKinds, c.kind) }
	slices.SortStableFunc(collectList, func(a, b toCollect) int {
		switch {
		case isReplay(a) == isReplay(b):
			return 0
		case isReplay(b):
			return -1
		}
		return 1
	})
	for _, c := range collectList {
		if err := makeDataset(ctx, c, dataDir, log, stderr); err != nil {
			return nil, err
		}
		abs, err := filepath.Abs(c.path)
		if err != nil {
			return nil, err
		}
		paths[c.id] = abs
	}
	return paths, nil
}

// toCollect is a dataset missing from the cache that can be made here.
type toCollect struct {
	id, envID, kind, path string
	steps                 int // rows; the replay kinds take theirs from the shipped run
}

// makeDataset writes one missing dataset into the cache: a replay kind
// from the SAC run behind the shipped policies, any other kind by rolling
// its behaviour policy out. A copy made by another process meanwhile is
// accepted: both are deterministic.
func makeDataset(ctx context.Context, c toCollect, dataDir string, log *slog.Logger, stderr io.Writer) error {
	var err error
	what := "collecting"
	if slices.Contains(collect.ReplayKinds, c.kind) {
		what = "writing"
		cmd := fmt.Sprintf("collect --env %s --kind %s --out %s", c.envID, c.kind, c.path)
		fmt.Fprintf(stderr, "results: dataset %s is not in the cache; writing it from the SAC run behind the "+
			"shipped %s policies (%s); if that run is not in %s yet it is retrained first, about 25 minutes "+
			"per 150,000 steps on one core, resumable\n", c.id, c.envID, cmd, filepath.Join(dataDir, "behaviour-runs"))
		_, err = fromrun.Write(ctx, fromrun.Options{Env: c.envID, Kind: c.kind, DataDir: dataDir, Out: c.path,
			Command: cmd, Logger: log, Stderr: stderr})
	} else {
		cmd := fmt.Sprintf("collect --env %s --kind %s --steps %d --seed 0 --out %s", c.envID, c.kind, c.steps, c.path)
		fmt.Fprintf(stderr, "results: dataset %s is not in the cache; collecting it (%s)\n", c.id, cmd)
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return err
		}
		progress := cli.NewProgress(stderr, log, "collecting "+c.id)
		_, err = collect.Run(ctx, collect.Options{EnvID: c.envID, Kind: c.kind, Steps: c.steps, Seed: 0,
			Out: c.path, Command: cmd, Logger: log, OnProgress: progress.Update})
		progress.Close()
	}
	if errors.Is(err, datasets.ErrExists) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, c.id, err)
	}
	return nil
}

// classify maps a dataset name to its environment and kind.
func classify(id string) (envID, kind string, err error) {
	task, kind, version, err := datasets.ParseID(id)
	if err != nil {
		return "", "", err
	}
	kinds := append(slices.Clone(collect.Kinds), "medium-replay", "full-replay")
	// A task may end like a kind ("maze2d-medium" + "expert"): an exact
	// match with a registered task and a known kind settles it.
	for _, envID := range registry.IDs() {
		spec, _ := registry.Lookup(envID)
		for _, k := range kinds {
			if datasets.FormatID(spec.Task, k, version) == id {
				if v := collect.DatasetVersion(envID); v != version {
					return "", "", fmt.Errorf("this toolkit makes %s datasets as version v%d, not v%d", spec.Task, v, version)
				}
				return envID, k, nil
			}
		}
	}
	for _, envID := range registry.IDs() {
		if spec, _ := registry.Lookup(envID); spec.Task == task {
			return "", "", fmt.Errorf("kind %q is not one of %s", kind, strings.Join(kinds, ", "))
		}
	}
	return "", "", fmt.Errorf("no built-in environment has task %q", task)
}

// unavailable says how to make a dataset that cannot be collected here
// and now ("" when it can be), and whether it waits for behaviour
// policies first. The replay kinds can be whenever policies/trained
// ships the task's policies: the run behind them is retrained first.
func unavailable(envID, kind, path string) (how string, needsPolicies bool) {
	collectCmd := fmt.Sprintf("go run ./cmd/collect --env %s --kind %s --out %s", envID, kind, path)
	switch kind {
	case "medium-replay", "full-replay":
		if _, ok := policies.Trained(envID); ok {
			return "", false
		}
		return collectCmd, true
	case "medium-expert":
		for _, k := range []string{"medium", "expert"} {
			if _, err := policies.ForKind(envID, k); err != nil {
				return collectCmd, true
			}
		}
	default:
		if _, err := policies.ForKind(envID, kind); err != nil {
			if errors.Is(err, policies.ErrNoPolicies) {
				return collectCmd, true
			}
			return err.Error(), false
		}
	}
	return "", false
}
