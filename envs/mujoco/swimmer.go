package mujoco

import (
	"math"

	"offrl/envs"
)

// Swimmer-v4 constants (Gymnasium swimmer_v4.py and its registration in
// gymnasium/envs/__init__.py).
const (
	SwimmerFrameSkip       = 4
	SwimmerMaxEpisodeSteps = 1000
	// SwimmerDT is timestep 0.01 × frame skip 4, in seconds.
	SwimmerDT = 0.04

	swimmerObsDim      = 8
	swimmerCtrlWeight  = 1e-4       // ctrl_cost_weight
	swimmerFwdWeight   = 1.0        // forward_reward_weight
	swimmerResetNoise  = 0.1        // reset_noise_scale
	swimmerResetStream = 0x7377696d // "swim"
)

// Swimmer is Swimmer-v4: a three-link snake in a viscous fluid rewarded
// for swimming along +x.
//
// qpos = [slider1 (x), slider2 (y), free_body_rot, motor1_rot,
// motor2_rot]. Observation (8): qpos[2:] then qvel. Action (2): joint
// torques in [−1, 1]. It never terminates.
type Swimmer struct{ base }

// NewSwimmer returns a Swimmer-v4 environment. Call Reset before Step.
func NewSwimmer() (*Swimmer, error) {
	b, err := newBase("Swimmer-v4", "swimmer", SwimmerFrameSkip, swimmerObsDim,
		topView(4.0, "torso"))
	if err != nil {
		return nil, err
	}
	return &Swimmer{b}, nil
}

// Reset starts an episode at qpos0 + U(−0.1, 0.1) and qvel U(−0.1, 0.1)
// per coordinate (swimmer_v4.py reset_model), drawn from a generator
// seeded by seed alone. The Info is nil.
func (e *Swimmer) Reset(seed uint64) ([]float64, envs.Info, error) {
	rng := resetRNG(seed, swimmerResetStream)
	uniformNoise(rng, e.qpos, e.m.Qpos0, swimmerResetNoise)
	uniformNoise(rng, e.qvel, nil, swimmerResetNoise)
	if err := e.resetTo(e.qpos, e.qvel); err != nil {
		return nil, nil, err
	}
	return e.observation(), nil, nil
}

// Step applies action for 4 timesteps. Following swimmer_v4.py, with
// (x, y) = qpos[0:2] read before and after the step:
//
//	reward_fwd  = 1.0·(x_after − x_before)/dt
//	reward_ctrl = −1e-4·Σ action²               (unclipped action)
//	reward      = reward_fwd + reward_ctrl
//
// Info holds reward_fwd, reward_ctrl, x_position, y_position,
// distance_from_origin, x_velocity, y_velocity and forward_reward.
// Terminated is always false.
func (e *Swimmer) Step(action []float64) (envs.StepResult, error) {
	if err := e.checkStep(action); err != nil {
		return envs.StepResult{}, err
	}
	xBefore, yBefore := e.d.Qpos[0], e.d.Qpos[1]
	if err := e.simulate(action); err != nil {
		return envs.StepResult{}, err
	}
	xAfter, yAfter := e.d.Qpos[0], e.d.Qpos[1]
	xVel, yVel := (xAfter-xBefore)/e.dt, (yAfter-yBefore)/e.dt
	fwd := swimmerFwdWeight * xVel
	ctrl := swimmerCtrlWeight * ctrlCost(action)
	return envs.StepResult{
		Obs:    e.observation(),
		Reward: fwd - ctrl,
		Info: envs.Info{
			"reward_fwd":           fwd,
			"reward_ctrl":          -ctrl,
			"x_position":           xAfter,
			"y_position":           yAfter,
			"distance_from_origin": math.Sqrt(xAfter*xAfter + yAfter*yAfter),
			"x_velocity":           xVel,
			"y_velocity":           yVel,
			"forward_reward":       fwd,
		},
	}, nil
}

// observation returns qpos[2:] ++ qvel (swimmer_v4.py _get_obs with
// exclude_current_positions_from_observation=True).
func (e *Swimmer) observation() []float64 {
	obs := make([]float64, 0, swimmerObsDim)
	obs = append(obs, e.d.Qpos[2:]...)
	return append(obs, e.d.Qvel...)
}

// StateFromObservation returns qpos ++ qvel for an observation
// qpos[2:] ++ qvel, with the unobserved root position x, y (qpos[0:2]) set
// to 0. The viscous forces depend on velocities and orientations only, and
// the reward on differences of x, so the rebuilt state steps like the
// recorded one; the Info's positions differ by the recorded x and y. It
// implements [envs.StateRebuilder]: a wrong length or a non-finite value
// is an error naming it.
func (e *Swimmer) StateFromObservation(obs []float64) ([]float64, error) {
	return e.stateAfterRoot(obs, 2)
}
