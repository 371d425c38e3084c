package mujoco

import "offrl/envs"

// Walker2d-v4 constants (Gymnasium walker2d_v4.py and its registration in
// gymnasium/envs/__init__.py).
const (
	Walker2dFrameSkip       = 4
	Walker2dMaxEpisodeSteps = 1000
	// Walker2dDT is timestep 0.002 × frame skip 4, in seconds.
	Walker2dDT = 0.008

	walker2dObsDim      = 17
	walker2dCtrlWeight  = 1e-3 // ctrl_cost_weight
	walker2dResetNoise  = 5e-3 // reset_noise_scale
	walker2dMinZ        = 0.8  // healthy_z_range (0.8, 2.0)
	walker2dMaxZ        = 2.0
	walker2dAngleBound  = 1.0        // healthy_angle_range (−1, 1)
	walker2dResetStream = 0x77616c6b // "walk"
)

// Walker2d is Walker2d-v4: a two-legged planar robot rewarded for walking
// forward while staying upright.
//
// qpos = [rootx, rootz, rooty, thigh, leg, foot, thigh_left, leg_left,
// foot_left]. Observation (17): qpos[1:] then qvel clipped to [−10, 10].
// Action (6): joint torques in [−1, 1]. It terminates when unhealthy.
type Walker2d struct{ base }

// NewWalker2d returns a Walker2d-v4 environment. Call Reset before Step.
func NewWalker2d() (*Walker2d, error) {
	b, err := newBase("Walker2d-v4", "walker2d", Walker2dFrameSkip, walker2dObsDim,
		sideView(4.0, 1.15, "torso"))
	if err != nil {
		return nil, err
	}
	return &Walker2d{b}, nil
}

// Reset starts an episode at qpos0 + U(−0.005, 0.005) and qvel
// U(−0.005, 0.005) per coordinate (walker2d_v4.py reset_model), drawn from
// a generator seeded by seed alone. The Info is nil.
func (e *Walker2d) Reset(seed uint64) ([]float64, envs.Info, error) {
	rng := resetRNG(seed, walker2dResetStream)
	uniformNoise(rng, e.qpos, e.m.Qpos0, walker2dResetNoise)
	uniformNoise(rng, e.qvel, nil, walker2dResetNoise)
	if err := e.resetTo(e.qpos, e.qvel); err != nil {
		return nil, nil, err
	}
	return walkerObservation(&e.base), nil, nil
}

// Step applies action for 4 timesteps. Following walker2d_v4.py:
//
//	reward = (x_after − x_before)/dt + 1 − 0.001·Σ action²
//
// with the healthy bonus 1 paid on every step, the terminating one
// included. Terminated is true when, after the step, the height qpos[1]
// is outside (0.8, 2) or the angle qpos[2] outside (−1, 1). Info holds
// x_position and x_velocity, as in v4, and the reward terms as Hopper's.
func (e *Walker2d) Step(action []float64) (envs.StepResult, error) {
	return walkerStep(&e.base, action, walker2dCtrlWeight, e.healthy)
}

// healthy is walker2d_v4.py is_healthy on the current state.
func (e *Walker2d) healthy() bool {
	z, angle := e.d.Qpos[1], e.d.Qpos[2]
	return walker2dMinZ < z && z < walker2dMaxZ &&
		-walker2dAngleBound < angle && angle < walker2dAngleBound
}

// StateFromObservation returns qpos ++ qvel for an observation
// qpos[1:] ++ clip(qvel, −10, 10), with the unobserved root x, qpos[0], set
// to 0 (see the package documentation for why x does not matter). A
// velocity the observation clipped cannot be recovered: an observed ±10
// is taken as the velocity, so from such an observation the rebuilt state
// steps differently. It implements [envs.StateRebuilder]: a wrong length
// or a non-finite value is an error naming it.
func (e *Walker2d) StateFromObservation(obs []float64) ([]float64, error) {
	return e.stateAfterRoot(obs, 1)
}
