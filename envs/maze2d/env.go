// Package maze2d implements D4RL's point-mass mazes (maze2d): a ball of
// radius 0.1 pushed by a bounded force through a grid maze of box walls,
// rewarded near a fixed goal cell.
//
//	env, err := maze2d.New(maze2d.UMaze, maze2d.Sparse)
//	obs, _, err := env.Reset(seed) // obs = [x, y, vx, vy] in qpos units
//
// The model is generated in Go from the layout (Layout.MJCF, after D4RL
// d4rl/pointmaze/maze_model.py point_maze) and simulated by envs/physics.
// The environment never terminates and has no time limit of its own; the
// registered tasks (Tasks) carry D4RL's episode lengths. WaypointController
// is D4RL's scripted behaviour policy.
package maze2d

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"

	"offrl/envs"
	"offrl/envs/physics"
	"offrl/envs/render"
)

// Constants of D4RL's MazeEnv (d4rl/pointmaze/maze_model.py).
const (
	DTSeconds     = 0.01 // timestep; frame_skip is 1
	MaxSpeed      = 5.0  // |qvel| bound applied before every step
	GoalRadius    = 0.5  // sparse reward radius around the target
	ResetNoise    = 0.1  // half-width of the uniform reset position noise
	ResetVelNoise = 0.1  // standard deviation of the reset velocity
	BallRadius    = 0.1  // radius of the particle sphere
	BodyOffset    = 1.2  // world position of the particle at qpos = 0
)

// Reward selects the reward of a maze task.
type Reward int

const (
	// Sparse is 1 within GoalRadius of the target and 0 elsewhere.
	Sparse Reward = iota
	// Dense is exp(−distance to the target).
	Dense
)

// resetStream is the PCG stream of the reset generator ("maze2d" in
// ASCII), so that resets do not share numbers with another consumer of the
// same seed.
const resetStream = 0x6d617a653264

// Env is a D4RL maze2d environment. Its state is qpos (x, y) and qvel
// (vx, vy) of the particle's slide joints; the particle's world position
// is qpos + 1.2 while cell (i, j) is centred at world (i+1, j+1), so
// qpos (i, j) lies 0.2 off the cell centre in both axes, as in D4RL.
//
// Observation: [x, y, vx, vy] (unbounded). Action: two forces in [−1, 1]
// (×100 N by the motors); larger finite values are clipped.
//
// The zero value is not usable; call [New]. An Env is not safe for
// concurrent use.
type Env struct {
	layout  *Layout
	reward  Reward
	data    *physics.Data
	target  [2]float64
	resets  []Cell
	act     envs.Box
	started bool
	qpos    [2]float64 // scratch for SetState
	qvel    [2]float64
}

// New builds the maze of layout (a D4RL maze string such as UMaze) with
// the given reward. The target is the layout's goal cell. An invalid
// layout is an error.
func New(layout string, reward Reward) (*Env, error) {
	l, err := ParseLayout(layout)
	if err != nil {
		return nil, err
	}
	m, err := physics.Parse(bytes.NewReader([]byte(l.MJCF())), "point_maze.xml")
	if err != nil {
		return nil, fmt.Errorf("maze2d: compiling the model: %w", err)
	}
	g := l.Goal()
	return &Env{
		layout: l,
		reward: reward,
		data:   physics.NewData(m),
		target: [2]float64{float64(g.I), float64(g.J)},
		resets: l.resetCells(),
		act:    envs.Box{Low: []float64{-1, -1}, High: []float64{1, 1}},
	}, nil
}

// Layout returns the parsed maze.
func (e *Env) Layout() *Layout { return e.layout }

// Model returns the compiled physics model.
func (e *Env) Model() *physics.Model { return e.data.Model() }

// Target returns the goal position in qpos units.
func (e *Env) Target() [2]float64 { return e.target }

// SetTarget moves the goal (D4RL MazeEnv.set_target with a location). The
// registered tasks keep the layout's goal; dataset collection with random
// navigation goals uses this.
func (e *Env) SetTarget(t [2]float64) { e.target = t }

// ObservationSpace returns the unbounded box of [x, y, vx, vy].
func (e *Env) ObservationSpace() envs.Box {
	inf := math.Inf(1)
	return envs.Box{Low: []float64{-inf, -inf, -inf, -inf}, High: []float64{inf, inf, inf, inf}}
}

// ActionSpace returns the force box [−1, 1]².
func (e *Env) ActionSpace() envs.Box {
	return envs.Box{Low: []float64{-1, -1}, High: []float64{1, 1}}
}

// Reset draws a start cell uniformly from the empty cells followed by the
// goal cell (D4RL reset_model), sets qpos = cell + uniform(−0.1, 0.1) and
// qvel = 0.1·normal per axis with a generator seeded by seed alone, and
// returns the first observation. The Info is nil.
func (e *Env) Reset(seed uint64) ([]float64, envs.Info, error) {
	rng := rand.New(rand.NewPCG(seed, resetStream))
	c := e.resets[rng.IntN(len(e.resets))]
	e.qpos[0] = float64(c.I) + (-ResetNoise + 2*ResetNoise*rng.Float64())
	e.qpos[1] = float64(c.J) + (-ResetNoise + 2*ResetNoise*rng.Float64())
	e.qvel[0] = ResetVelNoise * rng.NormFloat64()
	e.qvel[1] = ResetVelNoise * rng.NormFloat64()
	if err := e.data.SetState(e.qpos[:], e.qvel[:]); err != nil {
		return nil, nil, fmt.Errorf("maze2d: reset: %w", err)
	}
	e.started = true
	return e.observation(), nil, nil
}

// Step follows D4RL MazeEnv.step: the action is clipped to [−1, 1], qvel
// is clipped to ±MaxSpeed and written back with the position (set_state,
// which evaluates the dynamics), one mj_step advances 0.01 s, and the
// reward is computed from the post-step position p and the target g:
//
//	sparse: 1 if ‖p − g‖ ≤ 0.5 else 0;  dense: exp(−‖p − g‖)
//
// The observation's velocity is the post-step one, not clipped. Terminated
// and Truncated are always false, and the Info is nil. Step returns an
// error wrapping [envs.ErrNeedsReset] before the first Reset and one
// wrapping [envs.ErrInvalidAction] for a wrong-length or non-finite
// action; in both cases the state is unchanged. Apart from the returned
// observation, Step does not allocate.
func (e *Env) Step(action []float64) (envs.StepResult, error) {
	if !e.started {
		return envs.StepResult{}, fmt.Errorf("maze2d: %w", envs.ErrNeedsReset)
	}
	if err := envs.CheckAction(e.act, action); err != nil {
		return envs.StepResult{}, fmt.Errorf("maze2d: %w", err)
	}
	d := e.data
	for i := range 2 {
		e.qpos[i] = d.Qpos[i]
		e.qvel[i] = math.Min(math.Max(d.Qvel[i], -MaxSpeed), MaxSpeed)
	}
	if err := d.SetState(e.qpos[:], e.qvel[:]); err != nil {
		return envs.StepResult{}, fmt.Errorf("maze2d: %w", err)
	}
	for i := range 2 {
		d.Ctrl[i] = math.Min(math.Max(action[i], -1), 1)
	}
	if err := physics.Step(d, 1); err != nil {
		return envs.StepResult{}, fmt.Errorf("maze2d: %w", err)
	}
	return envs.StepResult{Obs: e.observation(), Reward: e.rewardAt(d.Qpos[0], d.Qpos[1])}, nil
}

// rewardAt is the task's reward for the particle at qpos (x, y).
func (e *Env) rewardAt(x, y float64) float64 {
	dist := math.Hypot(x-e.target[0], y-e.target[1])
	if e.reward == Dense {
		return math.Exp(-dist)
	}
	if dist <= GoalRadius {
		return 1
	}
	return 0
}

// Close releases nothing and returns nil; it may be called any number of
// times, and the environment stays usable.
func (e *Env) Close() error { return nil }

// State returns [x, y, vx, vy] in a new slice.
func (e *Env) State() []float64 { return e.observation() }

// StateDims returns 2, 2: State is qpos = (x, y) followed by qvel =
// (vx, vy), the layout of D4RL's point-maze infos/qpos and infos/qvel. It
// implements [envs.StateLayout].
func (e *Env) StateDims() (nq, nv int) { return 2, 2 }

// SetState sets [x, y, vx, vy] and evaluates the dynamics (D4RL
// set_state). A velocity above MaxSpeed is kept until the next Step clips
// it. SetState does not start an episode: Step still needs a Reset first.
// A wrong length or a non-finite value is an error naming it, and leaves
// the state unchanged.
func (e *Env) SetState(state []float64) error {
	if len(state) != 4 {
		return fmt.Errorf("maze2d: state has length %d, want 4 (x, y, vx, vy)", len(state))
	}
	for i, name := range [4]string{"x", "y", "vx", "vy"} {
		if v := state[i]; math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("maze2d: state %s = %v, want a finite value", name, v)
		}
	}
	copy(e.qpos[:], state[:2])
	copy(e.qvel[:], state[2:])
	if err := e.data.SetState(e.qpos[:], e.qvel[:]); err != nil {
		return fmt.Errorf("maze2d: %w", err)
	}
	return nil
}

// StateFromObservation returns the state [x, y, vx, vy], which is the
// observation itself, in a new slice. It implements
// [envs.StateRebuilder]: a wrong length or a non-finite value is an error
// naming it. The target is not part of the observation; the rebuilt
// environment keeps its own.
func (e *Env) StateFromObservation(obs []float64) ([]float64, error) {
	if err := envs.CheckObservation(4, obs); err != nil {
		return nil, fmt.Errorf("maze2d: %w", err)
	}
	return append([]float64(nil), obs...), nil
}

// Render draws the maze from above on a width×height frame: walls grey,
// free cells white, the sparse-reward disc around the target light green
// with the target point dark green, and the ball blue. Rows (x) run down
// the frame and columns (y) across, as the layout string reads. Sizes
// below 1 pixel are an error.
func (e *Env) Render(width, height int) (image.Image, error) {
	if width < 1 || height < 1 {
		return nil, fmt.Errorf("maze2d: render size %dx%d, want at least 1x1", width, height)
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	render.Clear(img, color.RGBA{255, 255, 255, 255})
	l := e.layout
	// The maze spans world x ∈ [0.5, Rows+0.5], y ∈ [0.5, Cols+0.5].
	scale := math.Min(float64(width)/float64(l.Cols), float64(height)/float64(l.Rows))
	ox := (float64(width) - scale*float64(l.Cols)) / 2
	oy := (float64(height) - scale*float64(l.Rows)) / 2
	toPix := func(wx, wy float64) (float64, float64) {
		return ox + (wy-0.5)*scale, oy + (wx-0.5)*scale
	}
	for i := range l.Rows {
		for j := range l.Cols {
			if l.Wall(i, j) {
				x0, y0 := toPix(float64(i)+0.5, float64(j)+0.5)
				render.FillRect(img, x0, y0, x0+scale, y0+scale, color.RGBA{90, 90, 90, 255})
			}
		}
	}
	gx, gy := toPix(e.target[0]+BodyOffset, e.target[1]+BodyOffset)
	render.FillCircle(img, gx, gy, GoalRadius*scale, color.RGBA{200, 240, 200, 255})
	render.FillCircle(img, gx, gy, math.Max(0.05*scale, 1), color.RGBA{30, 140, 30, 255})
	q := e.data.Qpos
	bx, by := toPix(q[0]+BodyOffset, q[1]+BodyOffset)
	render.FillCircle(img, bx, by, math.Max(BallRadius*scale, 1), color.RGBA{40, 70, 220, 255})
	return img, nil
}

// observation returns [x, y, vx, vy] in a new slice.
func (e *Env) observation() []float64 {
	q, v := e.data.Qpos, e.data.Qvel
	return []float64{q[0], q[1], v[0], v[1]}
}
