package mujoco

import (
	"math"

	"offrl/envs"
)

// Hopper-v4 constants (Gymnasium hopper_v4.py and its registration in
// gymnasium/envs/__init__.py).
const (
	HopperFrameSkip       = 4
	HopperMaxEpisodeSteps = 1000
	// HopperDT is timestep 0.002 × frame skip 4, in seconds.
	HopperDT = 0.008

	hopperObsDim      = 11
	hopperCtrlWeight  = 1e-3     // ctrl_cost_weight
	healthyReward     = 1.0      // healthy_reward (Hopper and Walker2d)
	hopperResetNoise  = 5e-3     // reset_noise_scale
	hopperStateBound  = 100.0    // healthy_state_range (−100, 100)
	hopperMinZ        = 0.7      // healthy_z_range (0.7, ∞)
	hopperAngleBound  = 0.2      // healthy_angle_range (−0.2, 0.2)
	hopperResetStream = 0x686f70 // "hop"
)

// Hopper is Hopper-v4: a one-legged planar robot rewarded for hopping
// forward while staying upright.
//
// qpos = [rootx, rootz, rooty, thigh, leg, foot] (rootz is the torso
// height). Observation (11): qpos[1:] then qvel clipped to [−10, 10].
// Action (3): joint torques in [−1, 1]. It terminates when unhealthy.
type Hopper struct{ base }

// NewHopper returns a Hopper-v4 environment. Call Reset before Step.
func NewHopper() (*Hopper, error) {
	b, err := newBase("Hopper-v4", "hopper", HopperFrameSkip, hopperObsDim,
		sideView(3.0, 1.15, "torso"))
	if err != nil {
		return nil, err
	}
	return &Hopper{b}, nil
}

// Reset starts an episode at qpos0 + U(−0.005, 0.005) and qvel
// U(−0.005, 0.005) per coordinate (hopper_v4.py reset_model), drawn from a
// generator seeded by seed alone. The reset state is not checked for
// health. The Info is nil.
func (e *Hopper) Reset(seed uint64) ([]float64, envs.Info, error) {
	rng := resetRNG(seed, hopperResetStream)
	uniformNoise(rng, e.qpos, e.m.Qpos0, hopperResetNoise)
	uniformNoise(rng, e.qvel, nil, hopperResetNoise)
	if err := e.resetTo(e.qpos, e.qvel); err != nil {
		return nil, nil, err
	}
	return walkerObservation(&e.base), nil, nil
}

// Step applies action for 4 timesteps. Following hopper_v4.py:
//
//	reward = (x_after − x_before)/dt + 1 − 0.001·Σ action²
//
// The healthy bonus 1 is paid on every step, the terminating one included
// (v4 pays healthy_reward when healthy or terminate_when_unhealthy).
// Terminated is true when the state after the step is unhealthy: some
// element of qpos[2:] ++ qvel (unclipped) outside (−100, 100), the height
// qpos[1] ≤ 0.7 or the angle qpos[2] outside (−0.2, 0.2). Info holds
// x_position and x_velocity, as in v4, and the reward terms
// reward_forward, reward_ctrl and reward_survive (v5's names) so that the
// bonus paid on a terminating step is visible.
func (e *Hopper) Step(action []float64) (envs.StepResult, error) {
	return walkerStep(&e.base, action, hopperCtrlWeight, e.healthy)
}

// healthy is hopper_v4.py is_healthy on the current state.
func (e *Hopper) healthy() bool {
	for _, v := range e.d.Qpos[2:] {
		if !(-hopperStateBound < v && v < hopperStateBound) {
			return false
		}
	}
	for _, v := range e.d.Qvel {
		if !(-hopperStateBound < v && v < hopperStateBound) {
			return false
		}
	}
	z, angle := e.d.Qpos[1], e.d.Qpos[2]
	return hopperMinZ < z && z < math.Inf(1) &&
		-hopperAngleBound < angle && angle < hopperAngleBound
}

// StateFromObservation returns qpos ++ qvel for an observation
// qpos[1:] ++ clip(qvel, −10, 10), with the unobserved root x, qpos[0], set
// to 0 (see the package documentation for why x does not matter). A
// velocity the observation clipped cannot be recovered: an observed ±10
// is taken as the velocity, so from such an observation the rebuilt state
// steps differently. It implements [envs.StateRebuilder]: a wrong length
// or a non-finite value is an error naming it.
func (e *Hopper) StateFromObservation(obs []float64) ([]float64, error) {
	return e.stateAfterRoot(obs, 1)
}

// walkerObservation returns qpos[1:] ++ clip(qvel, −10, 10), the
// observation of Hopper and Walker2d (hopper_v4.py, walker2d_v4.py
// _get_obs).
func walkerObservation(b *base) []float64 {
	obs := make([]float64, 0, b.obsDim)
	obs = append(obs, b.d.Qpos[1:]...)
	return clip10(obs, b.d.Qvel)
}

// walkerStep is the step of Hopper and Walker2d: forward velocity plus the
// always-paid healthy bonus minus the weighted control cost, terminating
// when healthy reports false after the step.
func walkerStep(b *base, action []float64, ctrlWeight float64,
	healthy func() bool) (envs.StepResult, error) {
	if err := b.checkStep(action); err != nil {
		return envs.StepResult{}, err
	}
	xBefore := b.d.Qpos[0]
	if err := b.simulate(action); err != nil {
		return envs.StepResult{}, err
	}
	xAfter := b.d.Qpos[0]
	xVel := (xAfter - xBefore) / b.dt
	ctrl := -ctrlWeight * ctrlCost(action)
	// v4 pays the bonus whenever terminate_when_unhealthy is set (always
	// here), so it does not depend on the health check below.
	reward := xVel + healthyReward + ctrl
	terminated := !healthy()
	b.started = !terminated
	return envs.StepResult{
		Obs:        walkerObservation(b),
		Reward:     reward,
		Terminated: terminated,
		Info: envs.Info{"x_position": xAfter, "x_velocity": xVel,
			"reward_forward": xVel, "reward_ctrl": ctrl, "reward_survive": healthyReward},
	}, nil
}
