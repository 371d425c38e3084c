package viz

import (
	"fmt"
	"math/rand/v2"

	"offrl/agents"
	"offrl/policies"
)

// namedPolicy is a Policy made from a name and a function.
type namedPolicy struct {
	name string
	act  func(obs []float64, rng *rand.Rand, action []float64) error
}

func (p namedPolicy) Name() string { return p.name }

func (p namedPolicy) Act(obs []float64, rng *rand.Rand, action []float64) error {
	return p.act(obs, rng, action)
}

// BehaviourPolicy shows one of the toolkit's behaviour policies (see
// [policies.ForKind]) under the given name, for example "random" or
// "expert".
func BehaviourPolicy(name string, p policies.Policy) Policy {
	return namedPolicy{name: name, act: func(obs []float64, rng *rand.Rand, action []float64) error {
		p.Act(obs, rng, action)
		return nil
	}}
}

// AgentPolicy shows a trained agent. Deterministic uses the agent's
// evaluation action; otherwise the agent must implement [agents.Sampler]
// and its behaviour distribution is sampled.
func AgentPolicy(name string, a agents.Agent, deterministic bool) (Policy, error) {
	if deterministic {
		return namedPolicy{name: name + " (deterministic)",
			act: func(obs []float64, _ *rand.Rand, action []float64) error {
				a.Act(obs, action)
				return nil
			}}, nil
	}
	s, ok := a.(agents.Sampler)
	if !ok {
		return nil, fmt.Errorf("viz: agent %s has no stochastic policy; show it deterministically", name)
	}
	return namedPolicy{name: name + " (stochastic)",
		act: func(obs []float64, rng *rand.Rand, action []float64) error {
			return s.Sample(obs, action, rng)
		}}, nil
}
