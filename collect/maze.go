package collect

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"

	"offrl/datasets"
	"offrl/envs/maze2d"
)

// The maze2d expert datasets follow D4RL's
// scripts/generation/generate_maze2d_datasets.py: the waypoint controller
// drives the point mass in one long run that never resets the
// environment, and whenever the controller reports its navigation target
// reached, or max_episode_steps rows have passed since the target was
// set, the row is flagged and a new random target is drawn (D4RL's
// env.set_target(): a random empty or goal cell plus uniform(−0.1, 0.1)
// noise per axis). Three things differ from the script, on purpose:
//
//   - the flag is timeouts=true, never terminals: nothing is absorbing,
//     the run goes on from the same state (metadata timeouts_meaning
//     "goal_switch");
//   - the row after a goal switch observes the true post-step state, so
//     next_observations equals the next row's observations everywhere
//     (the script keeps the pre-step observation on a switch), and the
//     time-out fires after max_episode_steps rows rather than on the row
//     after them (the script tests ts >= max_episode_steps before
//     counting the row), so no segment is longer than the time limit;
//   - rewards are the live environment's, from the post-step position
//     against the maze's fixed goal (the script stores zeros that
//     relabel_maze2d_rewards.py fills from the pre-step position); the
//     environment's own target is never moved, only the controller's.
//
// Each segment between switches is one episode of the file (episode_id
// grows, step restarts at 0). The collection budget cuts the last segment,
// which ends with timeouts=true too and is recorded as tail_truncated (it
// is always treated as cut, even when its target happened to be reached
// on the last row), so the return statistics leave it out.

// goalStream is the PCG stream of the navigation-target generator ("goal"
// in ASCII): targets draw from a generator of their own, seeded by the
// collection seed, so that they do not share numbers with the policy.
const goalStream = 0x676f616c

// longRunTask returns the maze2d task of envID when a collection of kind
// is written as one long goal-switching run: the expert (the waypoint
// controller) on a maze. Random maze data stays episodic, as D4RL has no
// script for it: each episode resets the environment and ends at the time
// limit.
func longRunTask(envID, kind string) (maze2d.Registration, bool) {
	if kind != "expert" {
		return maze2d.Registration{}, false
	}
	for _, t := range maze2d.Tasks() {
		if t.ID == envID {
			return t, true
		}
	}
	return maze2d.Registration{}, false
}

// targetDrawer draws navigation targets as D4RL's MazeEnv.set_target does
// without a location: a uniform choice among the empty cells followed by
// the goal cells (empty_and_goal_locations), plus uniform(−0.1, 0.1) per
// axis.
type targetDrawer struct {
	cells []maze2d.Cell
	rng   *rand.Rand
}

func newTargetDrawer(l *maze2d.Layout, seed uint64) *targetDrawer {
	cells := append(append([]maze2d.Cell(nil), l.Empty...), l.Goals...)
	return &targetDrawer{cells: cells, rng: rand.New(rand.NewPCG(seed, goalStream))}
}

func (d *targetDrawer) draw() [2]float64 {
	c := d.cells[d.rng.IntN(len(d.cells))]
	return [2]float64{
		float64(c.I) + d.rng.Float64()*2*maze2d.ResetNoise - maze2d.ResetNoise,
		float64(c.J) + d.rng.Float64()*2*maze2d.ResetNoise - maze2d.ResetNoise,
	}
}

// longRun writes the whole collection as one goal-switching run of the
// controller on task's environment, with at most limit rows per target.
//
// Resuming replays the run from its start without writing until it
// reaches the recorded row count: the run's state (the point mass, the
// controller's plan and the two generators) is a deterministic function
// of the seed and the rows played, so the replay restores it exactly,
// at the cost of simulating the skipped rows again. The replayed policy
// generator must equal the recorded one there, or the resume is refused.
func (c *collector) longRun(ctx context.Context, task maze2d.Registration, limit int,
	resume *resumeState) error {
	raw, err := task.New()
	if err != nil {
		return err
	}
	env, ok := raw.(*maze2d.Env)
	if !ok {
		return fmt.Errorf("collect: %s is not a maze2d environment", task.ID)
	}
	ctrl, ok := c.phases[0].policy.(*maze2d.WaypointController)
	if !ok {
		return fmt.Errorf("collect: the expert of %s is not the waypoint controller", task.ID)
	}
	skip := 0
	if resume != nil {
		skip = resume.Done
	}
	c.src = newPolicySource(c.opts.Seed)
	c.rng = rand.New(c.src)
	c.episode, c.done, c.longRunning = 0, skip, true

	targets := newTargetDrawer(env.Layout(), c.opts.Seed)
	obs, _, err := env.Reset(EpisodeSeed(c.opts.Seed, 0))
	if err != nil {
		return fmt.Errorf("resetting %s: %w", task.ID, err)
	}
	ctrl.Reset()
	ctrl.SetTarget(targets.draw())
	act := make([]float64, env.ActionSpace().Dim())
	step := 0 // rows since the current target was set
	for row := range c.opts.Steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if row == skip && resume != nil {
			if err := c.checkReplay(resume.PolicyRNG); err != nil {
				return err
			}
		}
		ctrl.Act(obs, c.rng, act)
		solved := ctrl.Solved() // judged at the pre-step observation, as in D4RL
		qpos, qvel := preStepState(env)
		exactActions(qpos, act)
		st, err := env.Step(act)
		if err != nil {
			return fmt.Errorf("%s row %d: %w", task.ID, row, err)
		}
		step++
		switchGoal := solved || step == limit
		last := row == c.opts.Steps-1
		if row >= skip {
			if err := c.emitRow(datasets.Transition{
				EpisodeID: int32(c.episode), Step: int32(step - 1),
				Obs: to32(obs), Action: to32(act), NextObs: to32(st.Obs),
				Reward: float32(st.Reward), Timeout: switchGoal || last,
				Qpos: qpos, Qvel: qvel,
			}); err != nil {
				return err
			}
		}
		obs = st.Obs
		if switchGoal {
			ctrl.SetTarget(targets.draw())
			c.episode++
			step = 0
			if row >= skip && !last && c.w.PartFull() {
				c.left = c.opts.Steps - c.done
				if err := c.endPart(0); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// emitRow appends one transition and reports progress.
func (c *collector) emitRow(t datasets.Transition) error {
	if err := c.w.Append(t); err != nil {
		return err
	}
	c.done++
	if c.opts.OnProgress != nil && (c.done%1000 == 0 || c.done == c.opts.Steps) {
		c.opts.OnProgress(c.done, c.opts.Steps)
	}
	return nil
}

// checkReplay compares the replayed policy generator with the one a
// resumed collection recorded.
func (c *collector) checkReplay(want []byte) error {
	got, err := c.src.MarshalBinary()
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("resuming %s: replaying the maze run to row %d does not reach the "+
			"recorded state (was the data written by another version?); remove %s to start "+
			"afresh", c.opts.Out, c.done, datasets.PartialDir(c.opts.Out))
	}
	return nil
}
