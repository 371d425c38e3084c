// Package pendulum implements Gymnasium's Pendulum-v1: swing a frictionless
// pendulum up and keep it upright with a weak, bounded torque.
//
//	env := pendulum.New()
//	obs, _, err := env.Reset(seed) // obs = [cos θ, sin θ, θ̇]
//
// The environment never terminates and has no time limit of its own; the
// registry (envs/registry) wraps it in an [envs.TimeLimit] of 200 steps as
// Gymnasium's registration does.
package pendulum

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"

	"offrl/envs"
	"offrl/envs/render"
)

// Physical and task constants of Pendulum-v1 (Gymnasium
// classic_control/pendulum.py), in SI units.
const (
	Gravity   = 10.0 // g, m/s²
	Mass      = 1.0  // m, kg
	Length    = 1.0  // l, m
	DTSeconds = 0.05 // dt, seconds per step
	MaxSpeed  = 8.0  // bound on θ̇, rad/s
	MaxTorque = 2.0  // bound on the applied torque u, N·m
)

// resetStream is the PCG stream of the reset generator, so that this
// environment's initial states do not coincide with another consumer's
// numbers drawn from the same seed.
const resetStream = 0x70656e64756c756d // "pendulum" in ASCII

// Env is the Pendulum-v1 simulator. Its state is the angle θ (radians,
// 0 = upright, counter-clockwise positive, never wrapped) and the angular
// velocity θ̇ (rad/s).
//
// Observation: [cos θ, sin θ, θ̇] in [-1, 1] × [-1, 1] × [-8, 8].
// Action: one torque in [-2, 2]; larger finite values are clipped.
//
// The zero value is not usable; call [New]. An Env is not safe for
// concurrent use.
type Env struct {
	theta, thetaDot float64
	started         bool // Reset has been called
}

// New returns a Pendulum-v1 environment. Call Reset before Step.
func New() *Env { return &Env{} }

// ObservationSpace returns the box of [cos θ, sin θ, θ̇].
func (e *Env) ObservationSpace() envs.Box {
	return envs.Box{
		Low:  []float64{-1, -1, -MaxSpeed},
		High: []float64{1, 1, MaxSpeed},
	}
}

// ActionSpace returns the torque box [-2, 2].
func (e *Env) ActionSpace() envs.Box {
	return envs.Box{Low: []float64{-MaxTorque}, High: []float64{MaxTorque}}
}

// Reset draws θ uniformly from [-π, π) and θ̇ uniformly from [-1, 1) with a
// generator seeded by seed alone, and returns the first observation.
// Pendulum reports no diagnostics: the Info is nil. Reset never fails.
func (e *Env) Reset(seed uint64) ([]float64, envs.Info, error) {
	rng := rand.New(rand.NewPCG(seed, resetStream))
	e.theta = -math.Pi + float64(2*math.Pi*rng.Float64())
	e.thetaDot = -1 + float64(2*rng.Float64())
	e.started = true
	return e.observation(), nil, nil
}

// Step applies torque action[0] for one step of DTSeconds.
//
// The reward is minus the cost of the state BEFORE the step and of the
// clipped torque u:
//
//	cost = normalize(θ)² + 0.1·θ̇² + 0.001·u²,  normalize(x) = ((x+π) mod 2π) − π
//
// with a floored modulo (Python's %), then the state advances by
// semi-implicit Euler:
//
//	θ̇' = clip(θ̇ + (3g/(2l)·sin θ + 3/(m·l²)·u)·dt, −8, 8)
//	θ'  = θ + θ̇'·dt
//
// Terminated and Truncated are always false. Step returns an error
// wrapping [envs.ErrNeedsReset] before the first Reset and one wrapping
// [envs.ErrInvalidAction] for a wrong-length or non-finite action; in both
// cases the state is unchanged.
func (e *Env) Step(action []float64) (envs.StepResult, error) {
	if !e.started {
		return envs.StepResult{}, fmt.Errorf("pendulum: %w", envs.ErrNeedsReset)
	}
	if err := envs.CheckAction(e.ActionSpace(), action); err != nil {
		return envs.StepResult{}, fmt.Errorf("pendulum: %w", err)
	}

	// The arithmetic keeps the reference's operation order, and every
	// product that is summed is wrapped in float64() so the compiler cannot
	// fuse it into a multiply-add on arm64: the same seed then gives the
	// same bits on every platform.
	u := math.Min(math.Max(action[0], -MaxTorque), MaxTorque)
	th, thDot := e.theta, e.thetaDot
	angle := normalizeAngle(th)
	cost := float64(angle*angle) + float64(0.1*thDot*thDot) + float64(0.001*u*u)

	// Semi-implicit Euler: the new velocity moves the angle.
	accel := float64(3*Gravity/(2*Length)*math.Sin(th)) +
		float64(3.0/(Mass*Length*Length)*u)
	newThDot := thDot + float64(accel*DTSeconds)
	newThDot = math.Min(math.Max(newThDot, -MaxSpeed), MaxSpeed)
	e.theta = th + float64(newThDot*DTSeconds)
	e.thetaDot = newThDot

	return envs.StepResult{Obs: e.observation(), Reward: -cost}, nil
}

// Close releases nothing and returns nil; it may be called any number of
// times, and the environment stays usable.
func (e *Env) Close() error { return nil }

// State returns [θ, θ̇] in a new slice. θ is not wrapped into [-π, π).
func (e *Env) State() []float64 { return []float64{e.theta, e.thetaDot} }

// SetState sets [θ, θ̇]. Any finite values are accepted: θ need not be
// wrapped, and a |θ̇| above MaxSpeed is kept until the next Step clips it
// (the observation may then lie outside the observation space). SetState
// does not start an episode: Step still needs a Reset first.
// A wrong length or a non-finite value is an error naming it, and leaves
// the state unchanged.
func (e *Env) SetState(state []float64) error {
	if len(state) != 2 {
		return fmt.Errorf("pendulum: state has length %d, want 2 (theta, thetadot)", len(state))
	}
	for i, name := range [2]string{"theta", "thetadot"} {
		if v := state[i]; math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("pendulum: state %s = %v, want a finite value", name, v)
		}
	}
	e.theta, e.thetaDot = state[0], state[1]
	return nil
}

// StateFromObservation returns the state [θ, θ̇] of the observation
// [cos θ, sin θ, θ̇], with θ = atan2(sin θ, cos θ) in (−π, π]. The
// observation loses the number of whole turns in θ; the dynamics and the
// cost depend on θ only through sin θ and θ wrapped into [−π, π), so the
// rebuilt state steps like the recorded one. It implements
// [envs.StateRebuilder]: a wrong length, a non-finite value or a
// (cos θ, sin θ) pair whose norm is not 1 is an error naming it.
func (e *Env) StateFromObservation(obs []float64) ([]float64, error) {
	if err := envs.CheckObservation(3, obs); err != nil {
		return nil, fmt.Errorf("pendulum: %w", err)
	}
	theta, err := envs.UnitAngle(obs[0], obs[1])
	if err != nil {
		return nil, fmt.Errorf("pendulum: observation θ %w", err)
	}
	return []float64{theta, obs[2]}, nil
}

// Render draws the pendulum as a red rod of length Length hanging from a
// black pivot at the centre of a white width×height frame, at the current
// angle (upright when θ = 0). The scale fits a circle of radius 1.1·Length
// into the smaller side. Sizes below 1 pixel are an error.
func (e *Env) Render(width, height int) (image.Image, error) {
	if width < 1 || height < 1 {
		return nil, fmt.Errorf("pendulum: render size %dx%d, want at least 1x1", width, height)
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	render.Clear(img, color.RGBA{255, 255, 255, 255})

	scale := float64(min(width, height)) / (2.2 * Length) // pixels per metre
	cx, cy := float64(width)/2, float64(height)/2
	// Counter-clockwise θ on screen, whose y axis points down.
	tipX := cx - Length*scale*math.Sin(e.theta)
	tipY := cy - Length*scale*math.Cos(e.theta)
	rodRadius := math.Max(0.1*scale, 1)
	render.FillCapsule(img, cx, cy, tipX, tipY, rodRadius, color.RGBA{204, 77, 77, 255})
	render.FillCircle(img, cx, cy, math.Max(0.05*scale, 1), color.RGBA{0, 0, 0, 255})
	return img, nil
}

// observation returns [cos θ, sin θ, θ̇] in a new slice.
func (e *Env) observation() []float64 {
	return []float64{math.Cos(e.theta), math.Sin(e.theta), e.thetaDot}
}

// normalizeAngle maps x to ((x+π) mod 2π) − π with Python's floored
// modulo, whose result takes the sign of the divisor. Go's math.Mod
// truncates instead (its result takes the sign of x), which would leave
// angles below −π unwrapped and inflate the cost.
func normalizeAngle(x float64) float64 {
	return floorMod(x+math.Pi, 2*math.Pi) - math.Pi
}

// floorMod returns x mod y rounded towards −∞, as Python's float % does,
// including its rounding: the correction step may return y itself when a
// tiny negative remainder is added to it.
func floorMod(x, y float64) float64 {
	r := math.Mod(x, y)
	if r != 0 && (r < 0) != (y < 0) {
		r += y
	}
	return r
}
