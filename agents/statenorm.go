package agents

import (
	"offrl/nn"
	"offrl/replay"
)

// StateNorm is the z-score normalisation of observations that TD3+BC and
// A2PR fit once over the dataset (mean and standard deviation + 10⁻³ per
// dimension; TD3+BC's paper, A2PR's spec §0.2), apply to the buffer in
// place, and then to every observation they act on. A new StateNorm is
// the identity, for configurations that leave states as they are.
type StateNorm struct {
	Mean, Std []float32
}

// NewStateNorm returns the identity normalisation of dim dimensions.
func NewStateNorm(dim int) StateNorm {
	n := StateNorm{Mean: make([]float32, dim), Std: make([]float32, dim)}
	for i := range n.Std {
		n.Std[i] = 1
	}
	return n
}

// Fit sets the statistics from buf's observations and normalises buf's
// observations and next observations with them.
func (n StateNorm) Fit(buf *replay.Buffer) {
	mean, std := buf.StateStats(1e-3)
	copy(n.Mean, mean)
	copy(n.Std, std)
	buf.NormalizeStates(n.Mean, n.Std)
}

// Apply writes the normalised obs into x.
func (n StateNorm) Apply(obs []float64, x []float32) {
	for i, v := range obs {
		x[i] = (float32(v) - n.Mean[i]) / n.Std[i]
	}
}

// Params are the statistics as checkpoint tensors, state_mean and
// state_std; loading into them restores the normalisation.
func (n StateNorm) Params() nn.Params {
	return nn.Params{
		&nn.Param{Name: "state_mean", Shape: []int{len(n.Mean)}, Value: n.Mean},
		&nn.Param{Name: "state_std", Shape: []int{len(n.Std)}, Value: n.Std}}
}
