// Package agents defines what every learning agent offers the training
// loop and the evaluator. Each algorithm lives in its own sub-package
// (agents/td3bc, ...) in one file that reads like its paper.
package agents

import (
	"fmt"
	"math"
	"math/rand/v2"

	"offrl/replay"
)

// Metrics are the scalars an update reports, keyed by stable snake_case
// names shared by all agents: critic_loss, actor_loss, q_mean, bc_loss,
// lambda, ...
type Metrics map[string]float64

// Agent is an offline (or offline-to-online) learner.
//
// Act writes the deterministic evaluation action for a raw environment
// observation into action; it is safe for concurrent use between updates.
// Update takes one training step on a batch, drawing any noise it needs
// from rng; the metrics it returns belong to the agent and are valid until
// the next Update (an update allocates nothing). Save writes the agent's complete state (networks, targets,
// optimiser moments, counters, preprocessing) to dir, atomically per file;
// Load restores it exactly.
type Agent interface {
	Act(obs []float64, action []float64)
	Update(batch *replay.Batch, rng *rand.Rand) (Metrics, error)
	MetricNames() []string
	Save(dir string) error
	Load(dir string) error
}

// Sampler is implemented by agents that can also act stochastically, for
// exploration, data collection and viewers: Sample writes an action drawn
// from the agent's behaviour distribution for a raw observation, taking
// its noise from rng, and returns an error if the observation or the
// action is not finite. It is safe for concurrent use between updates
// when each caller passes its own rng.
type Sampler interface {
	Sample(obs []float64, action []float64, rng *rand.Rand) error
}

// CheckSample returns an error naming the first non-finite value of obs or
// action, for [Sampler] implementations; algo prefixes the message.
func CheckSample(algo string, obs, action []float64) error {
	for i, v := range obs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: observation[%d] = %v, want a finite value", algo, i, v)
		}
	}
	for i, v := range action {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: policy gave action[%d] = %v for a finite observation; its weights have diverged",
				algo, i, v)
		}
	}
	return nil
}

// TD3ExplorationNoise is the std of the Gaussian noise, in units of the
// maximum action, that TD3 adds to a deterministic actor to explore:
// expl_noise 0.1 (Fujimoto et al. 2018, sfujim/TD3 main.py).
const TD3ExplorationNoise = 0.1

// AddExplorationNoise turns a deterministic actor's action into TD3's
// exploration policy in place: each component plus N(0, (0.1·maxAction)²),
// clipped to ±maxAction; then it checks the result as [CheckSample] does.
func AddExplorationNoise(algo string, obs, action []float64, maxAction float64, rng *rand.Rand) error {
	for i := range action {
		action[i] = math.Min(math.Max(action[i]+TD3ExplorationNoise*maxAction*rng.NormFloat64(), -maxAction), maxAction)
	}
	return CheckSample(algo, obs, action)
}
