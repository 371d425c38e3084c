package maze2d

import (
	"math"
	"math/rand/v2"
)

// Parameters of D4RL's WaypointController
// (d4rl/pointmaze/waypoint_controller.py) and of its grid planner
// (d4rl/pointmaze/q_iteration.py, called with 50 iterations and discount
// 0.99).
const (
	PGain          = 10.0 // proportional gain on (waypoint − position)
	DGain          = -1.0 // gain on the observed velocity
	SolveThreshold = 0.1  // distance at which a waypoint (or the target) counts as reached
	VelThreshold   = 0.1  // largest per-step displacement at which it counts
	WaypointJitter = 0.2  // intermediate waypoints are cell − uniform(0, 1)·0.2 per axis
	qIterations    = 50
	qDiscount      = 0.99
	maxWaypoints   = 100 // length cap of the greedy grid rollout
	// newEpisodeJump is a position change per step that the dynamics
	// cannot produce (|v| ≤ 5.24 m/s after the clip and one step of full
	// force gives at most 0.053 per step): seeing it, the controller
	// assumes a new episode began and plans again.
	newEpisodeJump = 0.2
)

// gridMoves are the grid actions of D4RL's gridcraft planner in its order
// (no-op, up, down, left, right as offsets of (row, column)); the first
// best action wins ties, as numpy's argmax does.
var gridMoves = [5][2]int{{0, 0}, {0, -1}, {0, 1}, {-1, 0}, {1, 0}}

// WaypointController is D4RL's scripted maze2d behaviour policy: it plans
// a path of grid cells to the target by Q-iteration, places a waypoint in
// each cell (shifted by a random amount of up to 0.2 towards the cell's
// world centre, except the last, which is the target cell itself), and
// follows them with the PD law a = clip(10·(w − p) − 1·v, −1, 1). It moves
// to the next waypoint when within 0.1 of the current one with a per-step
// displacement below 0.1, and reports the task solved when the same holds
// for the target cell.
//
// As in D4RL the planner and the solved test use the target rounded to
// its cell, and the plan is made again whenever that cell changes. A
// controller is stateful: it also plans again after [WaypointController.Reset]
// and when the observed position jumps by more than 0.2 in one step, which
// only a new episode can do. It implements policies.Policy.
type WaypointController struct {
	layout  *Layout
	target  [2]float64 // navigation target in qpos units
	planned bool
	cell    Cell         // the rounded target the plan leads to (D4RL _target)
	wps     [][2]float64 // waypoints (D4RL _waypoints)
	idx     int          // current waypoint (D4RL _waypoint_idx)
	prevLoc [2]float64   // position at the previous call (D4RL _waypoint_prev_loc)
	solved  bool
	q       []float64 // Q table, cells × moves
	v       []float64 // value scratch
}

// NewWaypointController returns a controller for the maze of layout whose
// target is the layout's goal cell. An invalid layout is an error.
func NewWaypointController(layout string) (*WaypointController, error) {
	l, err := ParseLayout(layout)
	if err != nil {
		return nil, err
	}
	g := l.Goal()
	n := l.Rows * l.Cols
	return &WaypointController{
		layout: l,
		target: [2]float64{float64(g.I), float64(g.J)},
		q:      make([]float64, n*len(gridMoves)),
		v:      make([]float64, n),
	}, nil
}

// SetTarget changes the navigation target (qpos units). The plan is made
// again on the next call to Act if the target's cell changed.
func (c *WaypointController) SetTarget(t [2]float64) { c.target = t }

// Target returns the navigation target.
func (c *WaypointController) Target() [2]float64 { return c.target }

// Reset forgets the plan and the previous position, as a fresh D4RL
// controller: the next Act plans from the observed position.
func (c *WaypointController) Reset() {
	c.planned = false
	c.prevLoc = [2]float64{}
	c.solved = false
}

// Solved reports whether the last Act found the target reached (within
// 0.1 of the target cell with a per-step displacement below 0.1).
func (c *WaypointController) Solved() bool { return c.solved }

// Waypoints returns the current plan in a new slice.
func (c *WaypointController) Waypoints() [][2]float64 {
	return append([][2]float64(nil), c.wps...)
}

// Act writes the controller's action for obs = [x, y, vx, vy] into action
// (length 2). rng draws the waypoint offsets when a plan is made.
func (c *WaypointController) Act(obs []float64, rng *rand.Rand, action []float64) {
	loc := [2]float64{obs[0], obs[1]}
	vel := [2]float64{obs[2], obs[3]}
	tc := Cell{roundHalfEven(c.target[0]), roundHalfEven(c.target[1])}
	jump := math.Hypot(loc[0]-c.prevLoc[0], loc[1]-c.prevLoc[1])
	if !c.planned || tc != c.cell || jump > newEpisodeJump {
		c.plan(loc, tc, rng)
	}
	goal := [2]float64{float64(c.cell.I), float64(c.cell.J)}
	dist := math.Hypot(loc[0]-goal[0], loc[1]-goal[1])
	moved := math.Hypot(c.prevLoc[0]-loc[0], c.prevLoc[1]-loc[1])
	notSolved := dist >= SolveThreshold || moved >= VelThreshold

	next := goal
	if notSolved {
		next = c.wps[c.idx]
	}
	for i := range 2 {
		action[i] = PGain*(next[i]-loc[i]) + DGain*vel[i]
	}
	dNext := math.Hypot(loc[0]-next[0], loc[1]-next[1])
	// D4RL has no bound on the index; it cannot pass the last waypoint
	// (the target cell), which is only reached when the task is solved.
	if notSolved && dNext < SolveThreshold && moved < VelThreshold && c.idx < len(c.wps)-1 {
		c.idx++
	}
	c.prevLoc = loc
	c.solved = !notSolved
	for i := range 2 {
		action[i] = math.Min(math.Max(action[i], -1), 1)
	}
}

// plan makes a new plan from the cell of loc to cell target (D4RL
// _new_target): Q-iteration on the grid, then a greedy rollout of at most
// 100 moves, one waypoint per cell entered.
func (c *WaypointController) plan(loc [2]float64, target Cell, rng *rand.Rand) {
	c.planned, c.cell, c.idx = true, target, 0
	c.qIterate(target)
	s := Cell{roundHalfEven(loc[0]), roundHalfEven(loc[1])}
	c.wps = c.wps[:0]
	for range maxWaypoints {
		best, bi := math.Inf(-1), 0
		for a := range gridMoves {
			if q := c.q[c.index(s)*len(gridMoves)+a]; q > best {
				best, bi = q, a
			}
		}
		s = c.move(s, bi)
		wp := [2]float64{float64(s.I), float64(s.J)}
		if s != target {
			wp[0] -= rng.Float64() * WaypointJitter
			wp[1] -= rng.Float64() * WaypointJitter
		}
		c.wps = append(c.wps, wp)
		if s == target {
			break
		}
	}
}

// qIterate runs 50 sweeps of Q(s, a) = r(s′) + 0.99·max Q(s′, ·) from
// Q = 0 over all cells, with reward 1 for entering the target cell.
func (c *WaypointController) qIterate(target Cell) {
	l := c.layout
	clear(c.q)
	for range qIterations {
		for s := range c.v {
			best := c.q[s*len(gridMoves)]
			for a := 1; a < len(gridMoves); a++ {
				best = math.Max(best, c.q[s*len(gridMoves)+a])
			}
			c.v[s] = best
		}
		for i := range l.Rows {
			for j := range l.Cols {
				s := Cell{i, j}
				for a := range gridMoves {
					ns := c.move(s, a)
					r := 0.0
					if ns == target {
						r = 1
					}
					c.q[c.index(s)*len(gridMoves)+a] = r + qDiscount*c.v[c.index(ns)]
				}
			}
		}
	}
}

// move returns the cell reached from s by grid move a: walls and the
// border stop the move.
func (c *WaypointController) move(s Cell, a int) Cell {
	n := Cell{s.I + gridMoves[a][0], s.J + gridMoves[a][1]}
	if c.layout.Wall(n.I, n.J) {
		return s
	}
	return n
}

// index returns the row-major index of a cell, clamped into the grid (a
// position outside the maze plans from the nearest border cell).
func (c *WaypointController) index(s Cell) int {
	i := min(max(s.I, 0), c.layout.Rows-1)
	j := min(max(s.J, 0), c.layout.Cols-1)
	return i*c.layout.Cols + j
}

// roundHalfEven rounds as Python's round does (ties to even).
func roundHalfEven(x float64) int { return int(math.RoundToEven(x)) }
