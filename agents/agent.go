// Package agents defines what every learning agent offers the training
// loop and the evaluator. Each algorithm lives in its own sub-package
// (agents/td3bc, ...) in one file that reads like its paper.
package agents

import (
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
// its noise from rng. It is safe for concurrent use between updates when
// each caller passes its own rng.
type Sampler interface {
	Sample(obs []float64, action []float64, rng *rand.Rand)
}
