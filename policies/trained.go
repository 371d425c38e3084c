package policies

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"

	"offrl/envs/registry"
	"offrl/nn"
)

// trainedFiles holds the shipped behaviour policies and their manifest
// (see trained/README.md).
//
//go:embed trained
var trainedFiles embed.FS

// trainedManifest is the file that lists them.
const trainedManifest = "trained/manifest.json"

// TrainedPolicy is one shipped policy: a policy file and how it was chosen.
type TrainedPolicy struct {
	File string `json:"file"` // inside policies/trained
	Step int    `json:"step"` // environment steps of its training run
	// ReturnMean, ReturnStd and NormalizedScore are its sampled returns
	// over Episodes episodes (reset seeds 0, 1, ...).
	ReturnMean      float64 `json:"return_mean"`
	ReturnStd       float64 `json:"return_std"`
	NormalizedScore float64 `json:"normalized_score"`
	Episodes        int     `json:"episodes"`
}

// TrainedEntry is manifest.json's entry for one environment.
type TrainedEntry struct {
	EnvID  string        `json:"env_id"`
	Medium TrainedPolicy `json:"medium"`
	Expert TrainedPolicy `json:"expert"`
	// RandomReturn and ExpertReturn are the reference returns measured
	// with the uniform random policy and the expert over Episodes
	// episodes each; they replace D4RL's constants for this toolkit's
	// scores (the README compares the two).
	RandomReturn float64 `json:"random_return"`
	ExpertReturn float64 `json:"expert_return"`
	Episodes     int     `json:"episodes"`
	// Run is the training run's directory name, TrainCommand the command
	// that trained it and PickCommand the command that chose and measured
	// these policies.
	Run          string `json:"run"`
	Seed         uint64 `json:"seed"` // the training run's seed
	TrainCommand string `json:"train_command"`
	PickCommand  string `json:"pick_command"`
	// TrainConfig is the training run's config.json, from which the run
	// is rebuilt (for the replay kinds) exactly.
	TrainConfig json.RawMessage `json:"train_config"`
}

// ReadTrainedManifest parses a manifest; an entry for an unknown
// environment or without files is an error naming it.
func ReadTrainedManifest(raw []byte) (map[string]TrainedEntry, error) {
	var m map[string]TrainedEntry
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("policies: %s: %w", trainedManifest, err)
	}
	for id, e := range m {
		if _, err := registry.Lookup(id); err != nil || e.EnvID != id {
			return nil, fmt.Errorf("policies: %s: entry %q (env_id %q) is not a registered environment",
				trainedManifest, id, e.EnvID)
		}
		if e.Medium.File == "" || e.Expert.File == "" || e.Episodes < 1 {
			return nil, fmt.Errorf("policies: %s: entry %q lacks a medium or expert file or its episode count",
				trainedManifest, id)
		}
	}
	return m, nil
}

// shipped is the parsed manifest of the embedded policies (empty when
// none are shipped).
var shipped = func() map[string]TrainedEntry {
	raw, err := trainedFiles.ReadFile(trainedManifest)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	m, err := ReadTrainedManifest(raw)
	if err != nil {
		panic(err) // a broken embedded file is a build fault; TestShippedPolicies catches it
	}
	return m
}()

// Trained returns the shipped manifest entry of envID, if there is one.
func Trained(envID string) (TrainedEntry, bool) {
	e, ok := shipped[envID]
	return e, ok
}

// loadShipped reads an embedded policy file; it samples (stochastic).
func loadShipped(file string) (*TanhGaussian, error) {
	name := path.Join("trained", file)
	raw, err := trainedFiles.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	ts, meta, err := nn.ParseSafetensors(raw)
	if err != nil {
		return nil, fmt.Errorf("policies: %s: %w", name, err)
	}
	p, err := newTanhGaussian(ts, meta)
	if err != nil {
		return nil, fmt.Errorf("policies: %s: %w", name, err)
	}
	p.source = "policies/" + name
	return p, nil
}

// ShippedPolicy returns the shipped policy of kind ("medium" or "expert")
// for envID, acting deterministically off (sampling).
func ShippedPolicy(envID, kind string) (*TanhGaussian, error) {
	e, ok := shipped[envID]
	if !ok {
		return nil, fmt.Errorf("%w %q: none are shipped", ErrNoPolicies, envID)
	}
	switch kind {
	case KindMedium:
		return loadShipped(e.Medium.File)
	case KindExpert:
		return loadShipped(e.Expert.File)
	}
	return nil, fmt.Errorf("policies: no shipped %q policy (want medium or expert)", kind)
}

// SameWeights reports whether two policies have equal sizes and equal
// weights, bit for bit.
func SameWeights(a, b *TanhGaussian) bool {
	pa := append(append(append(nn.Params{}, a.trunk.Params()...), a.mu.Params()...), a.logStd.Params()...)
	pb := append(append(append(nn.Params{}, b.trunk.Params()...), b.mu.Params()...), b.logStd.Params()...)
	if len(pa) != len(pb) {
		return false
	}
	for i := range pa {
		if pa[i].Name != pb[i].Name || len(pa[i].Value) != len(pb[i].Value) {
			return false
		}
		for j, v := range pa[i].Value {
			if math.Float32bits(v) != math.Float32bits(pb[i].Value[j]) {
				return false
			}
		}
	}
	return true
}
