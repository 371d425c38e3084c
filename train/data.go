package train

import (
	"fmt"
	"log/slog"
	"math"
	"slices"

	"offrl/datasets"
	"offrl/envs/registry"
	"offrl/policies"
)

// scoring holds the references a run scores against.
type scoring struct {
	refMin, refMax float64
	source         string
	datasetScore   float64 // the dataset's own mean return on this scale
}

// loadDataset reads the dataset, checks that its metadata agrees with its
// rows and that its shapes fit its environment, and picks the reference
// scores: the toolkit's own for built-in environments, whatever the file
// says (a file's numbers are not trusted to define the scale).
func loadDataset(path string, log *slog.Logger) (*datasets.Dataset, scoring, error) {
	d, err := datasets.Read(path)
	if err != nil {
		return nil, scoring{}, fmt.Errorf("loading dataset: %w", err)
	}
	if err := d.Validate(); err != nil {
		return nil, scoring{}, fmt.Errorf("dataset %s does not validate: %w", path, err)
	}
	m := d.Meta
	env, err := registry.Make(m.EnvID)
	if err != nil {
		return nil, scoring{}, fmt.Errorf("dataset %s: env_id: %w", path, err)
	}
	defer env.Close()
	obs, act := env.ObservationSpace(), env.ActionSpace()
	if d.ObsDim != obs.Dim() || d.ActDim != act.Dim() {
		return nil, scoring{}, fmt.Errorf("dataset %s: obs_dim %d, act_dim %d, but %s has %d and %d",
			path, d.ObsDim, d.ActDim, m.EnvID, obs.Dim(), act.Dim())
	}
	if !slices.Equal(m.ActionLow, act.Low) || !slices.Equal(m.ActionHigh, act.High) {
		return nil, scoring{}, fmt.Errorf("dataset %s: action bounds %v..%v, but %s has %v..%v",
			path, m.ActionLow, m.ActionHigh, m.EnvID, act.Low, act.High)
	}

	ref, err := policies.ReferenceFor(m.EnvID)
	if err != nil {
		return nil, scoring{}, fmt.Errorf("dataset %s: %w", path, err)
	}
	if m.RefMinScore != ref.RandomReturn || m.RefMaxScore != ref.ExpertReturn {
		log.Warn("dataset reference scores differ from the toolkit's; scoring with the toolkit's",
			"dataset", path, "ref_min_score", m.RefMinScore, "ref_max_score", m.RefMaxScore,
			"toolkit_min", ref.RandomReturn, "toolkit_max", ref.ExpertReturn)
	}
	s := scoring{refMin: ref.RandomReturn, refMax: ref.ExpertReturn, source: ref.Source}
	s.datasetScore = datasets.NormalizedScore(m.ReturnMean, s.refMin, s.refMax)
	return d, s, nil
}

// scoreStd converts a spread of returns to the normalised scale.
func (s scoring) scoreStd(returnStd float64) float64 {
	span := math.Abs(s.refMax - s.refMin)
	if span == 0 {
		return 0
	}
	return 100 * returnStd / span
}
