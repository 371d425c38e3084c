package mujoco

import (
	"fmt"
	"math"

	"offrl/envs"
	"offrl/envs/physics"
)

// Reacher-v4 constants (Gymnasium reacher_v4.py and its registration in
// gymnasium/envs/__init__.py).
const (
	ReacherFrameSkip       = 2
	ReacherMaxEpisodeSteps = 50
	// ReacherDT is timestep 0.01 × frame skip 2, in seconds.
	ReacherDT = 0.02

	reacherObsDim      = 11
	reacherQposNoise   = 0.1
	reacherQvelNoise   = 0.005
	reacherGoalRadius  = 0.2
	reacherResetStream = 0x7265616368 // "reach"
)

// Reacher is Reacher-v4: move a two-link planar arm's fingertip to a
// randomly placed target.
//
// qpos = [joint0, joint1, target_x, target_y]. Observation (11): cos and
// sin of the two joint angles, the target position, the two joint
// velocities and fingertip − target in world coordinates (3, the last
// always 0). Action (2): joint torques in [−1, 1]. It never terminates.
type Reacher struct {
	base
	fingertip, target int // body indices
	// scratch evaluates the kinematics of rebuilt states, so that
	// StateFromObservation leaves the environment's own data alone.
	scratch *physics.Data
}

// NewReacher returns a Reacher-v4 environment. Call Reset before Step.
func NewReacher() (*Reacher, error) {
	b, err := newBase("Reacher-v4", "reacher", ReacherFrameSkip, reacherObsDim,
		topView(0.9, ""))
	if err != nil {
		return nil, err
	}
	e := &Reacher{base: b, scratch: physics.NewData(b.m)}
	if e.fingertip, err = bodyIndex(b.m, "fingertip"); err != nil {
		return nil, fmt.Errorf("%s: %w", b.name, err)
	}
	if e.target, err = bodyIndex(b.m, "target"); err != nil {
		return nil, fmt.Errorf("%s: %w", b.name, err)
	}
	return e, nil
}

// Reset follows reacher_v4.py reset_model with a generator seeded by seed
// alone: qpos = qpos0 + U(−0.1, 0.1); the goal is drawn from U(−0.2, 0.2)²
// until its norm is below 0.2 and written to qpos[2:4]; qvel =
// U(−0.005, 0.005) with the target's two velocities set to 0. The Info is
// nil.
func (e *Reacher) Reset(seed uint64) ([]float64, envs.Info, error) {
	rng := resetRNG(seed, reacherResetStream)
	uniformNoise(rng, e.qpos, e.m.Qpos0, reacherQposNoise)
	var goal [2]float64
	for {
		uniformNoise(rng, goal[:], nil, reacherGoalRadius)
		if math.Sqrt(goal[0]*goal[0]+goal[1]*goal[1]) < reacherGoalRadius {
			break
		}
	}
	nq, nv := e.m.Nq, e.m.Nv
	copy(e.qpos[nq-2:], goal[:])
	uniformNoise(rng, e.qvel, nil, reacherQvelNoise)
	e.qvel[nv-2], e.qvel[nv-1] = 0, 0
	if err := e.resetTo(e.qpos, e.qvel); err != nil {
		return nil, nil, err
	}
	return e.observation(), nil, nil
}

// Step applies action for 2 timesteps. As in reacher_v4.py the reward is
// computed from the state BEFORE the step:
//
//	reward_dist = −‖fingertip − target‖   (world positions, 3-D)
//	reward_ctrl = −Σ action²               (unclipped action)
//	reward      = reward_dist + reward_ctrl
//
// Info holds reward_dist and reward_ctrl. Terminated is always false.
func (e *Reacher) Step(action []float64) (envs.StepResult, error) {
	if err := e.checkStep(action); err != nil {
		return envs.StepResult{}, err
	}
	v := e.tipToTarget()
	dist := -math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2])
	ctrl := -ctrlCost(action)
	if err := e.simulate(action); err != nil {
		return envs.StepResult{}, err
	}
	return envs.StepResult{
		Obs:    e.observation(),
		Reward: dist + ctrl,
		Info:   envs.Info{"reward_dist": dist, "reward_ctrl": ctrl},
	}, nil
}

// tipToTarget returns xpos(fingertip) − xpos(target) (reacher_v4.py
// get_body_com differences).
func (e *Reacher) tipToTarget() [3]float64 {
	f, t := e.bodyPos(e.fingertip), e.bodyPos(e.target)
	return [3]float64{f[0] - t[0], f[1] - t[1], f[2] - t[2]}
}

// observation returns [cos qpos[:2], sin qpos[:2], qpos[2:], qvel[:2],
// fingertip − target] (reacher_v4.py _get_obs).
func (e *Reacher) observation() []float64 {
	obs := make([]float64, 0, reacherObsDim)
	q := e.d.Qpos
	obs = append(obs, math.Cos(q[0]), math.Cos(q[1]), math.Sin(q[0]), math.Sin(q[1]))
	obs = append(obs, q[2:]...)
	obs = append(obs, e.d.Qvel[:2]...)
	v := e.tipToTarget()
	return append(obs, v[:]...)
}

// reacherTipTolerance bounds, in metres, how far the observed
// fingertip − target may lie from the one the rebuilt state gives. See
// [Reacher.StateFromObservation] for why it cannot be tight.
const reacherTipTolerance = 0.02

// StateFromObservation returns qpos ++ qvel for an observation
// [cos q0, cos q1, sin q0, sin q1, target_x, target_y, q̇0, q̇1,
// fingertip − target]: the joint angles are atan2(sin, cos) in (−π, π]
// (joint0 is unlimited, so whole turns do not matter; joint1 is limited
// to ±3), the target position is observed, and the target's velocity is
// 0, as Reset sets it and as it stays, since no force acts on the target.
// It implements [envs.StateRebuilder]: a wrong length, a non-finite value
// or a (cos, sin) pair whose norm is not 1 is an error naming it.
//
// The last three components are redundant, and StateFromObservation
// checks them against the rebuilt state as a guard against observations
// of another task or corrupted rows: a fingertip − target more than
// reacherTipTolerance (0.02 m, a tenth of the arm's reach) away from the
// rebuilt state's is an error naming it. The check cannot be tight:
// like Gymnasium's, the observation after a Step reads the fingertip
// from the simulator's last dynamics evaluation, the final RK4 stage of
// the last timestep, not from the state the step ends in. The two differ
// by up to a few millimetres at fast joint speeds (below 4 mm in 2000
// steps of random full-range actions). For the same reason, right after
// SetState these three components and the first reward (which Step
// computes from the fingertip before stepping) differ from the recorded
// ones by as much; the observations of the following steps and the later
// rewards agree.
func (e *Reacher) StateFromObservation(obs []float64) ([]float64, error) {
	if err := e.checkObservation(obs); err != nil {
		return nil, err
	}
	var angles [2]float64
	for i := range angles {
		q, err := envs.UnitAngle(obs[i], obs[i+2])
		if err != nil {
			return nil, fmt.Errorf("%s: observation joint%d (obs[%d], obs[%d]) %w",
				e.name, i, i, i+2, err)
		}
		angles[i] = q
	}
	qpos := []float64{angles[0], angles[1], obs[4], obs[5]}
	qvel := []float64{obs[6], obs[7], 0, 0}

	if err := e.scratch.SetState(qpos, qvel); err != nil {
		return nil, fmt.Errorf("%s: rebuilt state: %w", e.name, err)
	}
	f, _ := e.scratch.BodyFrame(e.fingertip)
	g, _ := e.scratch.BodyFrame(e.target)
	for i := range 3 {
		if d := obs[8+i] - (f[i] - g[i]); !(math.Abs(d) <= reacherTipTolerance) {
			return nil, fmt.Errorf("%s: observation fingertip − target obs[%d] = %v, "+
				"but the rebuilt state gives %v; want them within %g",
				e.name, 8+i, obs[8+i], f[i]-g[i], reacherTipTolerance)
		}
	}
	return append(qpos, qvel...), nil
}
