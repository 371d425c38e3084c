package mujoco

import "offrl/envs"

// HalfCheetah-v4 constants (Gymnasium half_cheetah_v4.py and its
// registration in gymnasium/envs/__init__.py).
const (
	HalfCheetahFrameSkip       = 5
	HalfCheetahMaxEpisodeSteps = 1000
	// HalfCheetahDT is timestep 0.01 × frame skip 5, in seconds.
	HalfCheetahDT = 0.05

	halfCheetahObsDim      = 17
	halfCheetahCtrlWeight  = 0.1    // ctrl_cost_weight
	halfCheetahFwdWeight   = 1.0    // forward_reward_weight
	halfCheetahResetNoise  = 0.1    // reset_noise_scale
	halfCheetahResetStream = 0x6863 // "hc"
)

// HalfCheetah is HalfCheetah-v4: a planar cheetah rewarded for running
// forward.
//
// qpos = [rootx, rootz, rooty, bthigh, bshin, bfoot, fthigh, fshin, ffoot].
// Observation (17): qpos[1:] then qvel. Action (6): joint torques in
// [−1, 1]. It never terminates.
type HalfCheetah struct{ base }

// NewHalfCheetah returns a HalfCheetah-v4 environment. Call Reset before
// Step.
func NewHalfCheetah() (*HalfCheetah, error) {
	b, err := newBase("HalfCheetah-v4", "half_cheetah", HalfCheetahFrameSkip,
		halfCheetahObsDim, sideView(4.0, 0.3, "torso"))
	if err != nil {
		return nil, err
	}
	return &HalfCheetah{b}, nil
}

// Reset starts an episode at qpos0 + U(−0.1, 0.1) and qvel 0.1·N(0, 1) per
// coordinate (half_cheetah_v4.py reset_model), drawn from a generator
// seeded by seed alone. The Info is nil.
func (e *HalfCheetah) Reset(seed uint64) ([]float64, envs.Info, error) {
	rng := resetRNG(seed, halfCheetahResetStream)
	uniformNoise(rng, e.qpos, e.m.Qpos0, halfCheetahResetNoise)
	normalNoise(rng, e.qvel, nil, halfCheetahResetNoise)
	if err := e.resetTo(e.qpos, e.qvel); err != nil {
		return nil, nil, err
	}
	return e.observation(), nil, nil
}

// Step applies action for 5 timesteps. Following half_cheetah_v4.py:
//
//	reward_run  = 1.0·(x_after − x_before)/dt    (x = qpos[0])
//	reward_ctrl = −0.1·Σ action²                  (unclipped action)
//	reward      = reward_run + reward_ctrl
//
// Info holds x_position, x_velocity, reward_run and reward_ctrl.
// Terminated is always false.
func (e *HalfCheetah) Step(action []float64) (envs.StepResult, error) {
	if err := e.checkStep(action); err != nil {
		return envs.StepResult{}, err
	}
	xBefore := e.d.Qpos[0]
	if err := e.simulate(action); err != nil {
		return envs.StepResult{}, err
	}
	xAfter := e.d.Qpos[0]
	xVel := (xAfter - xBefore) / e.dt
	run := halfCheetahFwdWeight * xVel
	ctrl := halfCheetahCtrlWeight * ctrlCost(action)
	return envs.StepResult{
		Obs:    e.observation(),
		Reward: run - ctrl,
		Info: envs.Info{"x_position": xAfter, "x_velocity": xVel,
			"reward_run": run, "reward_ctrl": -ctrl},
	}, nil
}

// observation returns qpos[1:] ++ qvel (half_cheetah_v4.py _get_obs with
// exclude_current_positions_from_observation=True).
func (e *HalfCheetah) observation() []float64 {
	obs := make([]float64, 0, halfCheetahObsDim)
	obs = append(obs, e.d.Qpos[1:]...)
	return append(obs, e.d.Qvel...)
}

// StateFromObservation returns qpos ++ qvel for an observation
// qpos[1:] ++ qvel, with the unobserved root x, qpos[0], set to 0. It
// implements [envs.StateRebuilder]; see the package documentation for why
// x does not matter. A wrong length or a non-finite value is an error
// naming it.
func (e *HalfCheetah) StateFromObservation(obs []float64) ([]float64, error) {
	return e.stateAfterRoot(obs, 1)
}
