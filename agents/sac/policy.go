package sac

import (
	"strconv"

	"offrl/policies"
)

// SavePolicy writes the actor alone (trunk, mean and log-σ heads), which
// is all that acting needs, to path as a policy file that
// [policies.LoadTanhGaussian] reads: the form in which behaviour policies
// ship (a 256-256 actor for a 17-dimensional observation is about
// 290 kB). The file records the update count.
func (a *Agent) SavePolicy(path string) error {
	spec := policies.ActorSpec{ObsDim: a.spec.ObsDim, ActDim: a.spec.ActDim, Hidden: a.cfg.Hidden,
		MaxAction: a.spec.MaxAction, LogStdMin: a.cfg.LogStdMin, LogStdMax: a.cfg.LogStdMax}
	return policies.SaveTanhGaussian(path, spec, a.trunk, a.muHead, a.logStdHead,
		map[string]string{"total_it": strconv.FormatInt(a.totalIt, 10)})
}
