// Package mujoco implements Gymnasium's seven v4 MuJoCo tasks on top of the
// pure-Go simulator in envs/physics: HalfCheetah-v4, Hopper-v4, Walker2d-v4,
// InvertedPendulum-v4, InvertedDoublePendulum-v4, Reacher-v4 and Swimmer-v4.
//
//	env, err := mujoco.NewHopper()
//	obs, _, err := env.Reset(seed)
//	res, err := env.Step(action)
//
// Each task keeps Gymnasium v4's observation layout, action box (the
// actuators' ctrlrange), reward terms and their Info names, termination
// rule, reset noise and frame skip; the files cite the Gymnasium source
// they follow (gymnasium/envs/mujoco/*_v4.py and mujoco_env.py). Like
// Gymnasium, Step writes the unclipped action into the controls (the
// simulator clamps it to ctrlrange) and charges control costs on the
// unclipped action.
//
// Quantities that Gymnasium reads from MuJoCo's body and site frames after
// mj_step (Reacher's fingertip and target, InvertedDoublePendulum's tip)
// come from the configuration of the simulator's last dynamics evaluation,
// as MuJoCo leaves them; see [physics.Data.BodyFrame].
//
// After a terminating step, Step returns an error wrapping
// [envs.ErrNeedsReset] until the next Reset. Invalid actions are errors
// wrapping [envs.ErrInvalidAction] that leave the state unchanged; besides
// the non-finite components [envs.CheckAction] rejects, a component beyond
// MuJoCo's 1e10 bound ([physics.MaxVal]) is invalid too, because its
// square could overflow the control cost to an infinite reward. An
// unstable simulation (MuJoCo's rule: a non-finite qpos, qvel or qacc or
// one beyond 1e10 in magnitude) is an error naming the task and wrapping
// [physics.ErrUnstable]: the state is restored to the one before the step
// and, as MuJoCo would reset the data, the episode is over, so Step then
// wants a Reset ([envs.ErrNeedsReset]). No observation ever holds a NaN,
// an infinity or a value beyond 1e10.
//
// No task has a time limit of its own: envs/registry wraps them in an
// [envs.TimeLimit] of Gymnasium's max_episode_steps. Every task implements
// [envs.StateSetter] (state = qpos ++ qvel), [envs.StateRebuilder] and
// [envs.Renderer].
//
// StateFromObservation sets the coordinates a task leaves out of its
// observation (the root's x, and Swimmer's y) to 0. The tasks are
// invariant under them: no force or contact depends on where along the
// floor the body is (the floor is an infinite plane), and the rewards use
// only differences of x. What they do move is the camera, which follows
// the torso, and the positions reported in Info. A rebuilt state
// therefore steps like the recorded one, with two exceptions the methods
// document: a velocity the observation clipped to ±10 cannot be
// recovered, and quantities Gymnasium reads from the last dynamics
// evaluation (see above) describe a configuration inside the previous
// step, not the state.
//
// HalfCheetah, Hopper and Walker2d need ground contact; they step with
// whatever contact model envs/physics provides and depend only on its Step.
package mujoco

import (
	"fmt"
	"math"
	"math/rand/v2"

	"offrl/envs"
	"offrl/envs/physics"
)

// base is the state and behaviour the seven tasks share (Gymnasium
// mujoco_env.py MujocoEnv): the model and its data, the frame skip, the
// spaces and the episode flag.
type base struct {
	name      string // Gymnasium ID, used in errors
	m         *physics.Model
	d         *physics.Data
	frameSkip int
	dt        float64 // timestep · frame skip (MujocoEnv.dt)
	obsDim    int
	act       envs.Box
	started   bool // Reset has been called
	view      view // render camera
	qpos      []float64
	qvel      []float64 // reset scratch
}

// newBase loads model and prepares a task with the given frame skip and
// observation size. The action box is the actuators' ctrlrange (Gymnasium
// MujocoEnv._set_action_space).
func newBase(name, model string, frameSkip, obsDim int, v view) (base, error) {
	m, err := physics.Load(model)
	if err != nil {
		return base{}, fmt.Errorf("%s: %w", name, err)
	}
	b := base{
		name: name, m: m, d: physics.NewData(m), frameSkip: frameSkip,
		dt: m.Option.Timestep * float64(frameSkip), obsDim: obsDim, view: v,
		qpos: make([]float64, m.Nq), qvel: make([]float64, m.Nv),
	}
	b.act = envs.Box{Low: make([]float64, m.Nu), High: make([]float64, m.Nu)}
	for i, a := range m.Actuators {
		if !a.CtrlLimited {
			return base{}, fmt.Errorf("%s: actuator %q has no ctrlrange", name, a.Name)
		}
		b.act.Low[i], b.act.High[i] = a.CtrlRange[0], a.CtrlRange[1]
	}
	return b, nil
}

// ObservationSpace returns an unbounded box of the task's observation size,
// as Gymnasium declares it.
func (b *base) ObservationSpace() envs.Box {
	box := envs.Box{Low: make([]float64, b.obsDim), High: make([]float64, b.obsDim)}
	for i := range box.Low {
		box.Low[i], box.High[i] = math.Inf(-1), math.Inf(1)
	}
	return box
}

// ActionSpace returns the actuators' ctrlrange box in a new value.
func (b *base) ActionSpace() envs.Box {
	return envs.Box{
		Low:  append([]float64(nil), b.act.Low...),
		High: append([]float64(nil), b.act.High...),
	}
}

// Close releases nothing and returns nil; it may be called any number of
// times.
func (b *base) Close() error { return nil }

// DT returns the simulated seconds of one step: timestep · frame skip.
func (b *base) DT() float64 { return b.dt }

// FrameSkip returns the number of simulator timesteps per env step.
func (b *base) FrameSkip() int { return b.frameSkip }

// Model returns the simulator model; callers must not modify it.
func (b *base) Model() *physics.Model { return b.m }

// core returns the shared part of a task, for tests.
func (b *base) core() *base { return b }

// Data returns the simulator state, for tests and viewers that read body
// frames; writing to it changes the environment.
func (b *base) Data() *physics.Data { return b.d }

// State returns qpos followed by qvel in a new slice.
func (b *base) State() []float64 {
	s := make([]float64, 0, b.m.Nq+b.m.Nv)
	s = append(s, b.d.Qpos...)
	return append(s, b.d.Qvel...)
}

// StateDims returns the model's nq and nv: State is qpos (nq values)
// followed by qvel (nv values). It implements [envs.StateLayout].
func (b *base) StateDims() (nq, nv int) { return b.m.Nq, b.m.Nv }

// SetState sets qpos and qvel from state (qpos ++ qvel) and evaluates the
// dynamics there, as Gymnasium's MujocoEnv.set_state does (mj_resetData,
// copy, mj_forward). It does not start an episode. A wrong length, a
// non-finite value or a state whose dynamics are not finite is an error
// naming it, and leaves the state unchanged.
func (b *base) SetState(state []float64) error {
	nq, nv := b.m.Nq, b.m.Nv
	if len(state) != nq+nv {
		return fmt.Errorf("%s: state has length %d, want %d (qpos %d ++ qvel %d)",
			b.name, len(state), nq+nv, nq, nv)
	}
	for i, v := range state {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			part, j := "qpos", i
			if i >= nq {
				part, j = "qvel", i-nq
			}
			return fmt.Errorf("%s: state[%d] (%s[%d]) = %v, want a finite value",
				b.name, i, part, j, v)
		}
	}
	copy(b.qpos, b.d.Qpos)
	copy(b.qvel, b.d.Qvel)
	if err := b.d.SetState(state[:nq], state[nq:]); err != nil {
		// The simulator keeps what it was given when the dynamics there
		// are not finite; put the previous state back.
		if rerr := b.d.SetState(b.qpos, b.qvel); rerr != nil {
			return fmt.Errorf("%s: %w (restoring the state: %v)", b.name, err, rerr)
		}
		return fmt.Errorf("%s: %w", b.name, err)
	}
	return nil
}

// stateAfterRoot returns qpos ++ qvel for an observation that is
// qpos[hidden:] ++ qvel, with the unobserved qpos[:hidden] set to 0, or an
// error naming the task and the bad component.
func (b *base) stateAfterRoot(obs []float64, hidden int) ([]float64, error) {
	if err := b.checkObservation(obs); err != nil {
		return nil, err
	}
	state := make([]float64, b.m.Nq+b.m.Nv)
	copy(state[hidden:], obs)
	return state, nil
}

// checkObservation returns an error naming the task if obs has the wrong
// length or a non-finite component.
func (b *base) checkObservation(obs []float64) error {
	if err := envs.CheckObservation(b.obsDim, obs); err != nil {
		return fmt.Errorf("%s: %w", b.name, err)
	}
	return nil
}

// resetTo starts an episode at qpos, qvel (Gymnasium reset: mj_resetData,
// then reset_model's set_state).
func (b *base) resetTo(qpos, qvel []float64) error {
	if err := b.d.SetState(qpos, qvel); err != nil {
		b.started = false
		return fmt.Errorf("%s: reset: %w", b.name, err)
	}
	b.started = true
	return nil
}

// resetRNG returns the reset generator of seed on the task's stream.
func resetRNG(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// uniformNoise sets dst[i] = center[i] + U(−scale, scale) (numpy's
// uniform(low=−scale, high=scale) added to init_qpos / init_qvel).
func uniformNoise(rng *rand.Rand, dst, center []float64, scale float64) {
	for i := range dst {
		c := 0.0
		if center != nil {
			c = center[i]
		}
		dst[i] = c + (-scale + 2*scale*rng.Float64())
	}
}

// normalNoise sets dst[i] = center[i] + scale·N(0, 1).
func normalNoise(rng *rand.Rand, dst, center []float64, scale float64) {
	for i := range dst {
		c := 0.0
		if center != nil {
			c = center[i]
		}
		dst[i] = c + scale*rng.NormFloat64()
	}
}

// checkStep returns an error if no episode is running or action is not a
// finite vector of the action dimension with components within
// physics.MaxVal.
func (b *base) checkStep(action []float64) error {
	if !b.started {
		return fmt.Errorf("%s: %w", b.name, envs.ErrNeedsReset)
	}
	if err := envs.CheckAction(b.act, action); err != nil {
		return fmt.Errorf("%s: %w", b.name, err)
	}
	for i, v := range action {
		// 1e10² · nu stays far below the float64 range, so every accepted
		// action has a finite control cost.
		if math.Abs(v) > physics.MaxVal {
			return fmt.Errorf("%s: action[%d] = %v exceeds %g: %w",
				b.name, i, v, physics.MaxVal, envs.ErrInvalidAction)
		}
	}
	return nil
}

// simulate writes action into the controls and advances frameSkip
// timesteps (MujocoEnv.do_simulation). An unstable simulation is an error
// naming the task; the simulator then restores the state before the step,
// and the episode ends because MuJoCo would have reset the data.
func (b *base) simulate(action []float64) error {
	copy(b.d.Ctrl, action)
	if err := physics.Step(b.d, b.frameSkip); err != nil {
		b.started = false
		return fmt.Errorf("%s: step: %w", b.name, err)
	}
	return nil
}

// ctrlCost returns Σ action², the unclipped control cost before weighting.
func ctrlCost(action []float64) float64 {
	s := 0.0
	for _, a := range action {
		s += a * a
	}
	return s
}

// clip10 appends the elements of src clipped to [−10, 10] to dst.
func clip10(dst, src []float64) []float64 {
	for _, v := range src {
		dst = append(dst, math.Min(math.Max(v, -10), 10))
	}
	return dst
}

// bodyIndex returns the index of the body called name.
func bodyIndex(m *physics.Model, name string) (int, error) {
	for i, bd := range m.Bodies {
		if bd.Name == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("model %s has no body %q", m.Name, name)
}

// siteIndex returns the index of the site called name.
func siteIndex(m *physics.Model, name string) (int, error) {
	for i, s := range m.Sites {
		if s.Name == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("model %s has no site %q", m.Name, name)
}

// bodyPos returns body bi's world origin (MuJoCo xpos, Gymnasium
// get_body_com) in the configuration of the last dynamics evaluation.
func (b *base) bodyPos(bi int) physics.Vec3 {
	p, _ := b.d.BodyFrame(bi)
	return p
}

// sitePos returns site si's world position (MuJoCo site_xpos) in the
// configuration of the last dynamics evaluation.
func (b *base) sitePos(si int) physics.Vec3 {
	s := &b.m.Sites[si]
	p, r := b.d.BodyFrame(s.Body)
	return add3(p, mulMat(r, s.Pos))
}

// mulMat returns r·v.
func mulMat(r [3][3]float64, v physics.Vec3) physics.Vec3 {
	return physics.Vec3{
		r[0][0]*v[0] + r[0][1]*v[1] + r[0][2]*v[2],
		r[1][0]*v[0] + r[1][1]*v[1] + r[1][2]*v[2],
		r[2][0]*v[0] + r[2][1]*v[1] + r[2][2]*v[2],
	}
}

// add3 returns a + b.
func add3(a, b physics.Vec3) physics.Vec3 {
	return physics.Vec3{a[0] + b[0], a[1] + b[1], a[2] + b[2]}
}
