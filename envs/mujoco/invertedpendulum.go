package mujoco

import (
	"math"

	"offrl/envs"
)

// InvertedPendulum-v4 constants (Gymnasium inverted_pendulum_v4.py and its
// registration in gymnasium/envs/__init__.py).
const (
	InvertedPendulumFrameSkip       = 2
	InvertedPendulumMaxEpisodeSteps = 1000
	// InvertedPendulumDT is timestep 0.02 × frame skip 2, in seconds.
	InvertedPendulumDT = 0.04

	invertedPendulumObsDim      = 4
	invertedPendulumResetNoise  = 0.01
	invertedPendulumMaxAngle    = 0.2
	invertedPendulumResetStream = 0x6970 // "ip"
)

// InvertedPendulum is InvertedPendulum-v4: balance a pole on a cart.
//
// qpos = [slider (cart x), hinge (pole angle)]. Observation (4): qpos then
// qvel. Action (1): cart force in [−3, 3]. It terminates when the pole
// angle leaves [−0.2, 0.2].
type InvertedPendulum struct{ base }

// NewInvertedPendulum returns an InvertedPendulum-v4 environment. Call
// Reset before Step.
func NewInvertedPendulum() (*InvertedPendulum, error) {
	b, err := newBase("InvertedPendulum-v4", "inverted_pendulum",
		InvertedPendulumFrameSkip, invertedPendulumObsDim, sideView(2.04, 0.1, ""))
	if err != nil {
		return nil, err
	}
	return &InvertedPendulum{b}, nil
}

// Reset starts an episode at qpos0 + U(−0.01, 0.01) and qvel
// U(−0.01, 0.01) per coordinate (inverted_pendulum_v4.py reset_model),
// drawn from a generator seeded by seed alone. The Info is nil.
func (e *InvertedPendulum) Reset(seed uint64) ([]float64, envs.Info, error) {
	rng := resetRNG(seed, invertedPendulumResetStream)
	uniformNoise(rng, e.qpos, e.m.Qpos0, invertedPendulumResetNoise)
	uniformNoise(rng, e.qvel, nil, invertedPendulumResetNoise)
	if err := e.resetTo(e.qpos, e.qvel); err != nil {
		return nil, nil, err
	}
	return e.observation(), nil, nil
}

// Step applies action for 2 timesteps. Following inverted_pendulum_v4.py,
// the reward is 1 on every step, the terminating one included, and
// Terminated is true when the observation after the step has a non-finite
// element or |obs[1]| > 0.2. Info holds the bonus as reward_survive (v5's
// name).
func (e *InvertedPendulum) Step(action []float64) (envs.StepResult, error) {
	if err := e.checkStep(action); err != nil {
		return envs.StepResult{}, err
	}
	if err := e.simulate(action); err != nil {
		return envs.StepResult{}, err
	}
	obs := e.observation()
	terminated := math.Abs(obs[1]) > invertedPendulumMaxAngle
	for _, v := range obs {
		terminated = terminated || math.IsNaN(v) || math.IsInf(v, 0)
	}
	e.started = !terminated
	return envs.StepResult{Obs: obs, Reward: 1, Terminated: terminated,
		Info: envs.Info{"reward_survive": 1}}, nil
}

// observation returns qpos ++ qvel (inverted_pendulum_v4.py _get_obs).
func (e *InvertedPendulum) observation() []float64 {
	obs := make([]float64, 0, invertedPendulumObsDim)
	obs = append(obs, e.d.Qpos...)
	return append(obs, e.d.Qvel...)
}

// StateFromObservation returns qpos ++ qvel, which is the observation
// itself, in a new slice. It implements [envs.StateRebuilder]: a wrong
// length or a non-finite value is an error naming it.
func (e *InvertedPendulum) StateFromObservation(obs []float64) ([]float64, error) {
	return e.stateAfterRoot(obs, 0)
}
