package mujoco

import (
	"fmt"
	"math"

	"offrl/envs"
)

// InvertedDoublePendulum-v4 constants (Gymnasium
// inverted_double_pendulum_v4.py and its registration in
// gymnasium/envs/__init__.py).
const (
	InvertedDoublePendulumFrameSkip       = 5
	InvertedDoublePendulumMaxEpisodeSteps = 1000
	// InvertedDoublePendulumDT is timestep 0.01 × frame skip 5, in seconds.
	InvertedDoublePendulumDT = 0.05

	idpObsDim      = 11
	idpResetNoise  = 0.1
	idpAliveBonus  = 10.0
	idpResetStream = 0x696470 // "idp"
)

// InvertedDoublePendulum is InvertedDoublePendulum-v4: balance two poles
// stacked on a cart.
//
// qpos = [slider, hinge, hinge2]. Observation (11): cart x, sin and cos of
// the two hinge angles, qvel clipped to [−10, 10] and the joint-space
// constraint force clipped to [−10, 10]. Action (1): cart force in
// [−1, 1]. It terminates when the tip of the upper pole is at height ≤ 1.
type InvertedDoublePendulum struct {
	base
	tip int // site "tip" on pole2
}

// NewInvertedDoublePendulum returns an InvertedDoublePendulum-v4
// environment. Call Reset before Step.
func NewInvertedDoublePendulum() (*InvertedDoublePendulum, error) {
	b, err := newBase("InvertedDoublePendulum-v4", "inverted_double_pendulum",
		InvertedDoublePendulumFrameSkip, idpObsDim, sideView(4.1225, 0.6, ""))
	if err != nil {
		return nil, err
	}
	tip, err := siteIndex(b.m, "tip")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.name, err)
	}
	return &InvertedDoublePendulum{base: b, tip: tip}, nil
}

// Reset starts an episode at qpos0 + U(−0.1, 0.1) and qvel 0.1·N(0, 1) per
// coordinate (inverted_double_pendulum_v4.py reset_model), drawn from a
// generator seeded by seed alone. The Info is nil.
func (e *InvertedDoublePendulum) Reset(seed uint64) ([]float64, envs.Info, error) {
	rng := resetRNG(seed, idpResetStream)
	uniformNoise(rng, e.qpos, e.m.Qpos0, idpResetNoise)
	normalNoise(rng, e.qvel, nil, idpResetNoise)
	if err := e.resetTo(e.qpos, e.qvel); err != nil {
		return nil, nil, err
	}
	return e.observation(), nil, nil
}

// Step applies action for 5 timesteps. Following
// inverted_double_pendulum_v4.py, with (x, _, y) the world position of the
// tip site after the step:
//
//	reward = 10 − (0.01·x² + (y − 2)²) − (0.001·qvel[1]² + 0.005·qvel[2]²)
//
// The alive bonus 10 is paid on the terminating step too. Terminated is
// true when y ≤ 1. Info holds the terms under v5's names: reward_survive,
// distance_penalty and velocity_penalty.
func (e *InvertedDoublePendulum) Step(action []float64) (envs.StepResult, error) {
	if err := e.checkStep(action); err != nil {
		return envs.StepResult{}, err
	}
	if err := e.simulate(action); err != nil {
		return envs.StepResult{}, err
	}
	obs := e.observation()
	tip := e.sitePos(e.tip)
	x, y := tip[0], tip[2]
	distPenalty := 0.01*x*x + (y-2)*(y-2)
	v1, v2 := e.d.Qvel[1], e.d.Qvel[2]
	velPenalty := 1e-3*v1*v1 + 5e-3*v2*v2
	terminated := y <= 1
	e.started = !terminated
	return envs.StepResult{
		Obs:        obs,
		Reward:     idpAliveBonus - distPenalty - velPenalty,
		Terminated: terminated,
		Info: envs.Info{"reward_survive": idpAliveBonus, "distance_penalty": distPenalty,
			"velocity_penalty": velPenalty},
	}, nil
}

// observation returns [qpos[0], sin qpos[1:], cos qpos[1:],
// clip(qvel, ±10), clip(qfrc_constraint, ±10)]
// (inverted_double_pendulum_v4.py _get_obs).
func (e *InvertedDoublePendulum) observation() []float64 {
	obs := make([]float64, 0, idpObsDim)
	obs = append(obs, e.d.Qpos[0])
	for _, q := range e.d.Qpos[1:] {
		obs = append(obs, math.Sin(q))
	}
	for _, q := range e.d.Qpos[1:] {
		obs = append(obs, math.Cos(q))
	}
	obs = clip10(obs, e.d.Qvel)
	return clip10(obs, e.d.QfrcConstraint)
}

// StateFromObservation returns qpos ++ qvel for an observation
// [x, sin q1, sin q2, cos q1, cos q2, clip(qvel, ±10),
// clip(qfrc_constraint, ±10)]: qpos = [x, atan2(sin q1, cos q1),
// atan2(sin q2, cos q2)], angles in (−π, π] (the hinges are unlimited, so
// whole turns do not matter), and qvel as observed. The constraint force
// is not state (after a Step it comes from the last RK4 stage): it is
// ignored, so right after SetState the environment's own value differs
// from the recorded one, while the observations of the following steps
// agree. A velocity the observation clipped cannot
// be recovered: an observed ±10 is taken as the velocity. It implements
// [envs.StateRebuilder]: a wrong length, a non-finite value or a
// (cos, sin) pair whose norm is not 1 is an error naming it.
func (e *InvertedDoublePendulum) StateFromObservation(obs []float64) ([]float64, error) {
	if err := e.checkObservation(obs); err != nil {
		return nil, err
	}
	nq, nv := e.m.Nq, e.m.Nv // 3, 3
	state := make([]float64, nq+nv)
	state[0] = obs[0]
	for i := 1; i < nq; i++ {
		q, err := envs.UnitAngle(obs[i+nq-1], obs[i])
		if err != nil {
			return nil, fmt.Errorf("%s: observation hinge %d (obs[%d], obs[%d]) %w",
				e.name, i, i+nq-1, i, err)
		}
		state[i] = q
	}
	copy(state[nq:], obs[2*nq-1:2*nq-1+nv])
	return state, nil
}
