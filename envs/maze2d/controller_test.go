package maze2d

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"offrl/envs"
)

// mazes are the registered layouts with their episode lengths.
var mazes = []struct {
	name   string
	layout string
	steps  int
}{
	{"open", Open, 150},
	{"umaze", UMaze, 300},
	{"medium", MediumMaze, 600},
	{"large", LargeMaze, 800},
}

// TestPlan checks the grid plan on the umaze from cell (3, 1): the only
// path runs (3, 2), (3, 3), (2, 3), (1, 3), (1, 2), (1, 1); every
// waypoint but the last lies in [cell − 0.2, cell].
func TestPlan(t *testing.T) {
	c, err := NewWaypointController(UMaze)
	if err != nil {
		t.Fatal(err)
	}
	action := make([]float64, 2)
	c.Act([]float64{3, 1, 0, 0}, rand.New(rand.NewPCG(1, 1)), action)
	want := []Cell{{3, 2}, {3, 3}, {2, 3}, {1, 3}, {1, 2}, {1, 1}}
	wps := c.Waypoints()
	if len(wps) != len(want) {
		t.Fatalf("waypoints %v, want cells %v", wps, want)
	}
	for k, w := range want {
		for a, cell := range [2]int{w.I, w.J} {
			off := float64(cell) - wps[k][a]
			if k == len(want)-1 && off != 0 || !(off >= 0 && off <= WaypointJitter) {
				t.Errorf("waypoint %d = %v, want cell %v minus [0, 0.2]", k, wps[k], w)
			}
		}
	}
	// PD law towards the first waypoint from rest, clipped.
	for a := range 2 {
		want := math.Min(math.Max(PGain*(wps[0][a]-[2]float64{3, 1}[a]), -1), 1)
		if action[a] != want {
			t.Errorf("action[%d] = %v, want %v", a, action[a], want)
		}
	}
}

// TestControllerReachesGoal starts the ball at rest at every free cell of
// each maze (three waypoint draws each) and checks that the controller
// brings it within the sparse-reward radius of the goal within the
// episode length. The one-step reward of D4RL's task is the test.
func TestControllerReachesGoal(t *testing.T) {
	for _, mz := range mazes {
		t.Run(mz.name, func(t *testing.T) {
			e := newEnv(t, mz.layout, Sparse)
			cells := e.Layout().resetCells()
			fails, runs, worst := 0, 0, 0
			for _, cell := range cells {
				for rep := range uint64(3) {
					c, err := NewWaypointController(mz.layout)
					if err != nil {
						t.Fatal(err)
					}
					rng := rand.New(rand.NewPCG(uint64(cell.I*100+cell.J), rep))
					if _, _, err := e.Reset(0); err != nil {
						t.Fatal(err)
					}
					obs := []float64{float64(cell.I), float64(cell.J), 0, 0}
					if err := e.SetState(obs); err != nil {
						t.Fatal(err)
					}
					action := make([]float64, 2)
					reached := 0
					for step := 1; step <= mz.steps; step++ {
						c.Act(obs, rng, action)
						res, err := e.Step(action)
						if err != nil {
							t.Fatal(err)
						}
						if res.Reward == 1 {
							reached = step
							break
						}
						obs = res.Obs
					}
					runs++
					if reached == 0 {
						fails++
						t.Logf("from cell %v (draw %d): goal not reached in %d steps",
							cell, rep, mz.steps)
					}
					worst = max(worst, reached)
				}
			}
			t.Logf("%d of %d runs failed; slowest success at step %d of %d",
				fails, runs, worst, mz.steps)
			if fails > 0 {
				t.Errorf("%d of %d runs did not reach the goal", fails, runs)
			}
		})
	}
}

// policyStream is the PCG stream that policies.MeasureReturn gives the
// policy's generator ("policy" in ASCII); the measurement below repeats
// its protocol so that the integrator's numbers match these.
const policyStream = 0x706f6c696379

// uniform is the reference-minimum policy: uniform actions in [−1, 1]².
type uniform struct{}

func (uniform) Act(_ []float64, rng *rand.Rand, action []float64) {
	for i := range action {
		action[i] = -1 + 2*rng.Float64()
	}
}

// actor is the policy interface of offrl/policies (not imported: the
// registry that policies imports will import this package).
type actor interface {
	Act(obs []float64, rng *rand.Rand, action []float64)
}

// measure returns the mean and standard deviation of the return of p
// over episodes of task, episode i reset with seed+i and the policy's
// generator seeded with (seed+i, policyStream), as policies.MeasureReturn.
func measure(t *testing.T, task Registration, p actor, episodes int, seed uint64) (
	float64, float64) {
	t.Helper()
	base, err := task.New()
	if err != nil {
		t.Fatal(err)
	}
	env := envs.NewTimeLimit(base, task.MaxEpisodeSteps)
	action := make([]float64, 2)
	var sum, sum2 float64
	for i := range episodes {
		s := seed + uint64(i)
		rng := rand.New(rand.NewPCG(s, policyStream))
		obs, _, err := env.Reset(s)
		if err != nil {
			t.Fatal(err)
		}
		total := 0.0
		for {
			p.Act(obs, rng, action)
			res, err := env.Step(action)
			if err != nil {
				t.Fatal(err)
			}
			total += res.Reward
			if res.Terminated || res.Truncated {
				break
			}
			obs = res.Obs
		}
		sum += total
		sum2 += total * total
	}
	mean := sum / float64(episodes)
	return mean, math.Sqrt(math.Max(0, sum2/float64(episodes)-mean*mean))
}

// TestReferenceReturns measures this toolkit's reference returns: the
// waypoint controller (maximum) and the uniform random policy (minimum),
// 100 episodes each from seed 0, and logs them. It runs only with
// MAZE2D_REFERENCE=1 (a few seconds per task).
func TestReferenceReturns(t *testing.T) {
	if os.Getenv("MAZE2D_REFERENCE") != "1" {
		t.Skip("set MAZE2D_REFERENCE=1 to measure the reference returns")
	}
	const episodes = 100
	layouts := map[string]string{}
	for _, mz := range mazes {
		layouts[mz.name] = mz.layout
	}
	for _, task := range Tasks() {
		var layout string
		for name, l := range layouts {
			if task.Task == "maze2d-"+name || task.Task == "maze2d-"+name+"-dense" {
				layout = l
			}
		}
		c, err := NewWaypointController(layout)
		if err != nil {
			t.Fatal(err)
		}
		maxMean, maxStd := measure(t, task, c, episodes, 0)
		minMean, minStd := measure(t, task, uniform{}, episodes, 0)
		t.Logf("| %s | %.2f ± %.2f | %.2f ± %.2f |", task.ID, minMean, minStd, maxMean, maxStd)
	}
}
