// Package mountaincar implements Gymnasium's MountainCarContinuous-v0: an
// under-powered car in a valley must rock back and forth to build up the
// momentum that carries it up the right hill to the flag.
//
//	env := mountaincar.New()
//	obs, _, err := env.Reset(seed) // obs = [position, velocity]
//
// The environment has no time limit of its own; the registry
// (envs/registry) wraps it in an [envs.TimeLimit] of 999 steps as
// Gymnasium's registration does.
package mountaincar

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"

	"offrl/envs"
	"offrl/envs/render"
)

// Constants of MountainCarContinuous-v0 (Gymnasium
// classic_control/continuous_mountain_car.py). Positions are in track
// units, velocities in track units per step; there is no physical time.
const (
	MinPosition  = -1.2
	MaxPosition  = 0.6
	MaxSpeed     = 0.07
	GoalPosition = 0.45
	GoalVelocity = 0.0
	Power        = 0.0015 // velocity change per step at full force
	MinAction    = -1.0
	MaxAction    = 1.0
	GoalReward   = 100.0 // paid on the step that reaches the goal
)

// gravityCoef is the slope term of the velocity update,
// −gravityCoef·cos(3·position).
const gravityCoef = 0.0025

// resetStream is the PCG stream of the reset generator, so that this
// environment's initial states do not coincide with another consumer's
// numbers drawn from the same seed.
const resetStream = 0x6d6f756e74636172 // "mountcar" in ASCII

// Env is the MountainCarContinuous-v0 simulator. Its state is the car's
// position and velocity, both rounded to float32 after every step as
// Gymnasium stores them (np.float32), and returned as float64.
//
// Observation: [position, velocity] in [-1.2, 0.6] × [-0.07, 0.07], with
// the bounds themselves rounded to float32 as Gymnasium's Box does (the
// car can rest at float32(−1.2), just below −1.2).
// Action: one force in [-1, 1]; larger finite values are clipped for the
// physics but charged unclipped in the reward.
//
// Deviation: Gymnasium keeps the freshly reset position in float64 until
// the first step, while its observation is float32; here the reset
// position is rounded at once, so the state always equals the observation.
// The two differ by less than 3e-8.
//
// The zero value is not usable; call [New]. An Env is not safe for
// concurrent use.
type Env struct {
	position, velocity float64 // float32-rounded values
	started            bool    // Reset has been called
	terminated         bool    // the last step reached the goal
}

// New returns a MountainCarContinuous-v0 environment. Call Reset before
// Step.
func New() *Env { return &Env{} }

// ObservationSpace returns the box of [position, velocity], with float32
// bounds.
func (e *Env) ObservationSpace() envs.Box {
	return envs.Box{
		Low:  []float64{round32(MinPosition), round32(-MaxSpeed)},
		High: []float64{round32(MaxPosition), round32(MaxSpeed)},
	}
}

// ActionSpace returns the force box [-1, 1].
func (e *Env) ActionSpace() envs.Box {
	return envs.Box{Low: []float64{MinAction}, High: []float64{MaxAction}}
}

// Reset places the car at rest at a position drawn uniformly from
// [-0.6, -0.4) by a generator seeded with seed alone, and returns the
// first observation. MountainCar reports no diagnostics: the Info is nil.
// Reset never fails.
func (e *Env) Reset(seed uint64) ([]float64, envs.Info, error) {
	rng := rand.New(rand.NewPCG(seed, resetStream))
	e.position = round32(-0.6 + float64(0.2*rng.Float64()))
	e.velocity = 0
	e.started, e.terminated = true, false
	return e.observation(), nil, nil
}

// Step pushes the car with force action[0] for one step, in this order:
//
//	force    = clip(a, −1, 1)
//	velocity = clip(velocity + 0.0015·force − 0.0025·cos(3·position), −0.07, 0.07)
//	position = clip(position + velocity, −1.2, 0.6)
//	velocity = 0 if position = −1.2 and velocity < 0 (inelastic left wall)
//	terminated = position ≥ 0.45 and velocity ≥ 0
//	reward   = 100·[terminated] − 0.1·a²      (a unclipped)
//
// The arithmetic is float64 and the new state is rounded to float32 at the
// end; the termination test uses the values before that rounding, as the
// reference does. (The reference's intermediate precision depends on the
// NumPy version: NumPy 2 keeps float32 scalars float32. The difference is
// in the eighth significant digit.)
// Truncated is always false (the time limit belongs to the wrapper).
//
// Step returns an error wrapping [envs.ErrNeedsReset] before the first
// Reset and after a step that terminated, and one wrapping
// [envs.ErrInvalidAction] for a wrong-length or non-finite action; in
// these cases the state is unchanged. A huge finite action is accepted and
// may make the reward −Inf, as in the original.
func (e *Env) Step(action []float64) (envs.StepResult, error) {
	if !e.started {
		return envs.StepResult{}, fmt.Errorf("mountaincar: %w", envs.ErrNeedsReset)
	}
	if e.terminated {
		return envs.StepResult{}, fmt.Errorf("mountaincar: episode terminated at the goal: %w",
			envs.ErrNeedsReset)
	}
	if err := envs.CheckAction(e.ActionSpace(), action); err != nil {
		return envs.StepResult{}, fmt.Errorf("mountaincar: %w", err)
	}

	// Products that are summed are wrapped in float64() so the compiler
	// cannot fuse them into a multiply-add on arm64: the same seed then
	// gives the same bits on every platform.
	a := action[0]
	force := math.Min(math.Max(a, MinAction), MaxAction)
	// The reference adds the two terms first (velocity += f·p − g·cos).
	velocity := e.velocity + (float64(force*Power) - float64(gravityCoef*math.Cos(3*e.position)))
	velocity = math.Min(math.Max(velocity, -MaxSpeed), MaxSpeed)
	position := math.Min(math.Max(e.position+velocity, MinPosition), MaxPosition)
	if position == MinPosition && velocity < 0 {
		velocity = 0
	}
	terminated := position >= GoalPosition && velocity >= GoalVelocity

	reward := 0.0
	if terminated {
		reward = GoalReward
	}
	reward -= float64(a * a * 0.1)

	e.position, e.velocity = round32(position), round32(velocity)
	e.terminated = terminated
	return envs.StepResult{Obs: e.observation(), Reward: reward, Terminated: terminated}, nil
}

// Close releases nothing and returns nil; it may be called any number of
// times, and the environment stays usable.
func (e *Env) Close() error { return nil }

// State returns [position, velocity] in a new slice.
func (e *Env) State() []float64 { return []float64{e.position, e.velocity} }

// SetState sets [position, velocity], rounded to float32 as every stored
// state is. Any finite values are accepted, even outside the observation
// space. SetState clears a terminated episode, so Step continues from the
// new state, but it does not start one: Step still needs a Reset first.
// A wrong length or a non-finite value is an error naming it, and leaves
// the state unchanged.
func (e *Env) SetState(state []float64) error {
	if len(state) != 2 {
		return fmt.Errorf("mountaincar: state has length %d, want 2 (position, velocity)",
			len(state))
	}
	for i, name := range [2]string{"position", "velocity"} {
		if v := state[i]; math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("mountaincar: state %s = %v, want a finite value", name, v)
		}
	}
	e.position, e.velocity = round32(state[0]), round32(state[1])
	e.terminated = false
	return nil
}

// StateFromObservation returns the state [position, velocity], which is
// the observation itself, in a new slice. It implements
// [envs.StateRebuilder]: a wrong length or a non-finite value is an error
// naming it. Whether the recorded step terminated is not part of the
// observation; SetState clears it.
func (e *Env) StateFromObservation(obs []float64) ([]float64, error) {
	if err := envs.CheckObservation(2, obs); err != nil {
		return nil, fmt.Errorf("mountaincar: %w", err)
	}
	return []float64{obs[0], obs[1]}, nil
}

// observation returns [position, velocity] in a new slice.
func (e *Env) observation() []float64 { return []float64{e.position, e.velocity} }

// round32 rounds x to the nearest float32, the precision of the stored
// state.
func round32(x float64) float64 { return float64(float32(x)) }

// Height returns the height of the track at position x:
// sin(3x)·0.45 + 0.55.
func Height(x float64) float64 { return float64(math.Sin(3*x)*0.45) + 0.55 }

// Render draws the track, the goal flag and the car, tilted with the
// slope, on a white width×height frame. The view spans the positions
// [-1.2, 0.6] horizontally and the heights [0, 1.2] vertically, so the
// proportions follow the frame. Sizes below 1 pixel are an error.
func (e *Env) Render(width, height int) (image.Image, error) {
	if width < 1 || height < 1 {
		return nil, fmt.Errorf("mountaincar: render size %dx%d, want at least 1x1", width, height)
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	render.Clear(img, color.RGBA{255, 255, 255, 255})
	v := view{width: float64(width), height: float64(height)}

	// Track: a polyline of short thick segments.
	const segments = 100
	trackRadius := math.Max(v.height/200, 1)
	black := color.RGBA{0, 0, 0, 255}
	for i := range segments {
		x0 := MinPosition + (MaxPosition-MinPosition)*float64(i)/segments
		x1 := MinPosition + (MaxPosition-MinPosition)*float64(i+1)/segments
		p0, p1 := v.toPixel(x0, Height(x0)), v.toPixel(x1, Height(x1))
		render.FillCapsule(img, p0.X, p0.Y, p1.X, p1.Y, trackRadius, black)
	}

	// Flag: a pole at the goal with a yellow pennant.
	base := v.toPixel(GoalPosition, Height(GoalPosition))
	top := v.toPixel(GoalPosition, Height(GoalPosition)+0.15)
	render.FillCapsule(img, base.X, base.Y, top.X, top.Y, trackRadius, black)
	tip := v.toPixel(GoalPosition+0.08, Height(GoalPosition)+0.125)
	low := v.toPixel(GoalPosition, Height(GoalPosition)+0.10)
	render.FillPolygon(img, []render.Point{top, tip, low}, color.RGBA{204, 204, 0, 255})

	e.drawCar(img, v)
	return img, nil
}

// view maps track coordinates to pixels.
type view struct {
	width, height float64 // frame size in pixels
}

// viewTop is the highest track height shown.
const viewTop = 1.2

// toPixel returns the pixel position of the point (x, y) on the track
// plane, y up.
func (v view) toPixel(x, y float64) render.Point {
	return render.Point{
		X: (x - MinPosition) / (MaxPosition - MinPosition) * v.width,
		Y: (1 - y/viewTop) * v.height,
	}
}

// drawCar draws the car body as a box resting on the track, tilted along
// the slope, with two wheels.
func (e *Env) drawCar(img *image.RGBA, v view) {
	const carLength, carHeight, clearance, wheel = 0.12, 0.05, 0.02, 0.018
	x := e.position
	slope := math.Atan(1.35 * math.Cos(3*x)) // d/dx of the track height
	along := [2]float64{math.Cos(slope), math.Sin(slope)}
	up := [2]float64{-along[1], along[0]}
	cx, cy := x, Height(x)

	corner := func(s, h float64) render.Point {
		return v.toPixel(cx+s*along[0]+h*up[0], cy+s*along[1]+h*up[1])
	}
	body := []render.Point{
		corner(-carLength/2, clearance), corner(carLength/2, clearance),
		corner(carLength/2, clearance+carHeight), corner(-carLength/2, clearance+carHeight),
	}
	render.FillPolygon(img, body, color.RGBA{0, 0, 0, 255})
	wheelRadius := math.Max(wheel/viewTop*v.height, 1)
	for _, s := range []float64{-carLength / 3, carLength / 3} {
		c := corner(s, clearance)
		render.FillCircle(img, c.X, c.Y, wheelRadius, color.RGBA{128, 128, 128, 255})
	}
}
