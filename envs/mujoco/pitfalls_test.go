package mujoco

// Tests for the pitfall kinds that Gymnasium's MuJoCo tasks are known for:
// which state a reward or a termination reads, non-finite inputs, hidden
// state that survives a reset, space declarations and unstable physics.

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"offrl/envs"
	"offrl/envs/physics"
)

// observe returns the observation of env's current state, the function
// each task's Step and Reset use.
func observe(env taskEnv) []float64 {
	switch e := env.(type) {
	case *HalfCheetah:
		return e.observation()
	case *Hopper:
		return walkerObservation(&e.base)
	case *Walker2d:
		return walkerObservation(&e.base)
	case *InvertedPendulum:
		return e.observation()
	case *InvertedDoublePendulum:
		return e.observation()
	case *Reacher:
		return e.observation()
	case *Swimmer:
		return e.observation()
	}
	panic(fmt.Sprintf("observe: unknown task %T", env))
}

// randomAction returns a uniform action in box.
func randomAction(rng *rand.Rand, box envs.Box) []float64 {
	a := make([]float64, box.Dim())
	for i := range a {
		a[i] = box.Low[i] + (box.High[i]-box.Low[i])*rng.Float64()
	}
	return a
}

// finite reports whether every element of v is finite.
func finite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// sameBits reports whether a and b are bit-identical.
func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// TestHealthyBonusOnTerminatingStep (pitfall B07): the v4 tasks with a
// health check pay the bonus on the step that ends the episode, decide
// health on the state after the step (the one the observation shows) and
// report the bonus in Info. Each task gets a pair of cases whose health
// flips during the step, so a check on the state before the step would
// fail one of them.
func TestHealthyBonusOnTerminatingStep(t *testing.T) {
	hopper := func(angle, vel float64) []float64 {
		return []float64{0, 1.5, angle, 0, 0, 0, 0, 0, vel, 0, 0, 0}
	}
	walker := func(angle, vel float64) []float64 {
		s := make([]float64, 18)
		s[1], s[2], s[11] = 1.5, angle, vel
		return s
	}
	cases := []struct {
		id       string
		state    []float64
		angleObs int // index of the checked angle in the observation
		bound    float64
		bonus    float64
		wantTerm bool
	}{
		{"Hopper-v4", hopper(0.19, 5), 1, 0.2, 1, true},
		{"Hopper-v4", hopper(0.21, -5), 1, 0.2, 1, false},
		{"Walker2d-v4", walker(0.98, 10), 1, 1, 1, true},
		{"Walker2d-v4", walker(1.02, -10), 1, 1, 1, false},
		{"InvertedPendulum-v4", []float64{0, 0.19, 0, 5}, 1, 0.2, 1, true},
		{"InvertedPendulum-v4", []float64{0, 0.21, 0, -5}, 1, 0.2, 1, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/term=%v", c.id, c.wantTerm), func(t *testing.T) {
			env := build(t, c.id)
			mustSet(t, env, c.state)
			// The checked angle is qpos[2] for the walkers (observation
			// index 1, after qpos[1:]) and qpos[1] for the pendulum.
			angleState := c.angleObs + 1
			if c.id == "InvertedPendulum-v4" {
				angleState = c.angleObs
			}
			healthyBefore := math.Abs(c.state[angleState]) < c.bound
			if healthyBefore != c.wantTerm {
				t.Fatalf("case does not flip health during the step")
			}
			res := mustStep(t, env, make([]float64, env.ActionSpace().Dim()))
			if res.Terminated != c.wantTerm || res.Truncated {
				t.Errorf("terminated, truncated = %v, %v, want %v, false (obs %v)",
					res.Terminated, res.Truncated, c.wantTerm, res.Obs)
			}
			if got := math.Abs(res.Obs[c.angleObs]) >= c.bound; got != res.Terminated {
				t.Errorf("terminated = %v but the observed angle %v says %v",
					res.Terminated, res.Obs[c.angleObs], got)
			}
			if !sameBits(res.Obs, observe(env)) {
				t.Errorf("observation is not the post-step state's")
			}
			if res.Info["reward_survive"] != c.bonus {
				t.Errorf("Info = %v, want reward_survive %v", res.Info, c.bonus)
			}
			rest := 0.0
			if f, ok := res.Info["reward_forward"]; ok {
				rest = f + res.Info["reward_ctrl"]
			}
			if !near(res.Reward-rest, c.bonus, 1e-12) {
				t.Errorf("reward %v − other terms %v ≠ bonus %v", res.Reward, rest, c.bonus)
			}
		})
	}
}

// TestNonFiniteInputs (pitfall B08): a NaN or infinite action component is
// rejected before the physics runs and leaves the state as it was; a
// non-finite state component is rejected by SetState with its index; and
// the episode goes on normally afterwards.
func TestNonFiniteInputs(t *testing.T) {
	for _, tk := range tasks {
		t.Run(tk.id, func(t *testing.T) {
			env := mustNew(t, tk)
			if _, _, err := env.Reset(3); err != nil {
				t.Fatal(err)
			}
			nu, nq := env.ActionSpace().Dim(), env.Model().Nq
			for j := range nu {
				for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
					before := env.State()
					a := make([]float64, nu)
					a[j] = bad
					_, err := env.Step(a)
					if !errors.Is(err, envs.ErrInvalidAction) ||
						!strings.Contains(err.Error(), fmt.Sprintf("action[%d]", j)) {
						t.Errorf("Step(%v) = %v, want ErrInvalidAction naming action[%d]",
							a, err, j)
					}
					if !sameBits(env.State(), before) {
						t.Errorf("Step(%v) changed the state", a)
					}
				}
			}
			for i := range env.State() {
				before := env.State()
				s := env.State()
				s[i] = math.Inf(1)
				part, k := "qpos", i
				if i >= nq {
					part, k = "qvel", i-nq
				}
				want := fmt.Sprintf("%s[%d]", part, k)
				err := env.SetState(s)
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("SetState with +Inf at %d = %v, want an error naming %s",
						i, err, want)
				}
				if !sameBits(env.State(), before) {
					t.Errorf("failed SetState changed the state")
				}
			}
			res, err := env.Step(make([]float64, nu))
			if err != nil || !finite(res.Obs) {
				t.Errorf("step after the rejected inputs: %v, obs %v", err, res.Obs)
			}
		})
	}
}

// record is one step's outcome, compared bit for bit.
type record struct {
	obs         []float64
	reward      float64
	term, trunc bool
	info        envs.Info
	err         string
}

// replay resets env with seed and applies actions, stopping at the end of
// the episode.
func replay(env envs.Env, seed uint64, actions [][]float64) ([]record, error) {
	obs, _, err := env.Reset(seed)
	if err != nil {
		return nil, err
	}
	out := []record{{obs: obs}}
	for _, a := range actions {
		res, err := env.Step(a)
		r := record{obs: res.Obs, reward: res.Reward, term: res.Terminated,
			trunc: res.Truncated, info: res.Info}
		if err != nil {
			r.err = err.Error()
		}
		out = append(out, r)
		if err != nil || res.Terminated {
			break
		}
	}
	return out, nil
}

// diffRecords describes the first difference between a and b, or "".
func diffRecords(a, b []record) string {
	if len(a) != len(b) {
		return fmt.Sprintf("lengths %d and %d", len(a), len(b))
	}
	for i := range a {
		x, y := a[i], b[i]
		same := sameBits(x.obs, y.obs) &&
			math.Float64bits(x.reward) == math.Float64bits(y.reward) &&
			x.term == y.term && x.trunc == y.trunc && x.err == y.err &&
			len(x.info) == len(y.info)
		for k, v := range x.info {
			w, ok := y.info[k]
			same = same && ok && math.Float64bits(v) == math.Float64bits(w)
		}
		if !same {
			return fmt.Sprintf("step %d: %+v vs %+v", i, x, y)
		}
	}
	return ""
}

// TestResetClearsHiddenState (pitfall B09): reset(42) and ten fixed
// actions give bit-identical results on a fresh instance and on one that
// has run 500 random steps (with contacts, limits and terminations)
// before, so no solver, contact or control state survives a reset.
func TestResetClearsHiddenState(t *testing.T) {
	for _, tk := range tasks {
		t.Run(tk.id, func(t *testing.T) {
			env := mustNew(t, tk)
			box := env.ActionSpace()
			actions := make([][]float64, 10)
			for k := range actions {
				actions[k] = make([]float64, box.Dim())
				for j := range actions[k] {
					// Sweeps the whole range and a little beyond it.
					actions[k][j] = 1.1 * box.High[j] * math.Sin(0.9*float64(k)+float64(j))
				}
			}
			first, err := replay(env, 42, actions)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(7, 8))
			if _, _, err := env.Reset(1); err != nil {
				t.Fatal(err)
			}
			for k := range 500 {
				res, err := env.Step(randomAction(rng, box))
				if err != nil {
					t.Fatal(err)
				}
				if res.Terminated || k%100 == 99 {
					if _, _, err := env.Reset(uint64(k)); err != nil {
						t.Fatal(err)
					}
				}
			}
			again, err := replay(env, 42, actions)
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := replay(mustNew(t, tk), 42, actions)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffRecords(first, again); d != "" {
				t.Errorf("same instance after 500 steps differs: %s", d)
			}
			if d := diffRecords(first, fresh); d != "" {
				t.Errorf("fresh instance differs: %s", d)
			}
		})
	}
}

// TestSpacesMatchObservations (pitfall B19): envs.Box is float64 and so
// are observations at the API (datasets convert to float32 at their one
// documented place); here the declared shapes and bounds must match what
// Reset and 100 random steps return, and the action box must be the
// actuators' ctrlrange.
func TestSpacesMatchObservations(t *testing.T) {
	for _, tk := range tasks {
		t.Run(tk.id, func(t *testing.T) {
			env := mustNew(t, tk)
			obsBox, actBox := env.ObservationSpace(), env.ActionSpace()
			if len(obsBox.Low) != len(obsBox.High) || obsBox.Dim() != tk.obsDim {
				t.Fatalf("observation space dims %d/%d, want %d",
					len(obsBox.Low), len(obsBox.High), tk.obsDim)
			}
			m := env.Model()
			if actBox.Dim() != m.Nu || len(actBox.High) != m.Nu {
				t.Fatalf("action space dim %d, want nu = %d", actBox.Dim(), m.Nu)
			}
			for i, a := range m.Actuators {
				if actBox.Low[i] != a.CtrlRange[0] || actBox.High[i] != a.CtrlRange[1] {
					t.Errorf("action bounds %d = [%v, %v], want ctrlrange %v",
						i, actBox.Low[i], actBox.High[i], a.CtrlRange)
				}
			}
			obs, _, err := env.Reset(5)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(5, 5))
			for k := range 101 {
				if !obsBox.Contains(obs) || !finite(obs) {
					t.Fatalf("step %d: observation %v (len %d) outside its space of dim %d",
						k, obs, len(obs), obsBox.Dim())
				}
				res, err := env.Step(randomAction(rng, actBox))
				if err != nil {
					t.Fatal(err)
				}
				obs = res.Obs
				if res.Terminated {
					if obs, _, err = env.Reset(uint64(k)); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}

// ctrlWeights is each task's control-cost weight on Σ action² (0: no
// control cost).
var ctrlWeights = map[string]float64{
	"HalfCheetah-v4": 0.1, "Hopper-v4": 1e-3, "Walker2d-v4": 1e-3,
	"InvertedPendulum-v4": 0, "InvertedDoublePendulum-v4": 0, "Reacher-v4": 1,
	"Swimmer-v4": 1e-4,
}

// TestHugeActions (pitfall B23, first half): an action of ±1e6 moves the
// bodies exactly as the action clipped to ctrlrange does (the simulator
// clamps ctrl), while the control cost is charged on the unclipped value:
// huge but finite.
func TestHugeActions(t *testing.T) {
	for _, tk := range tasks {
		t.Run(tk.id, func(t *testing.T) {
			env := mustNew(t, tk)
			if _, _, err := env.Reset(9); err != nil {
				t.Fatal(err)
			}
			start := env.State()
			box := env.ActionSpace()
			huge := make([]float64, box.Dim())
			clipped := make([]float64, box.Dim())
			for j := range huge {
				huge[j] = 1e6 * float64(1-2*(j%2))
			}
			box.Clip(clipped, huge)
			resHuge := mustStep(t, env, huge)
			after := env.State()
			mustSet(t, env, start)
			resClip := mustStep(t, env, clipped)
			if !sameBits(after, env.State()) || !sameBits(resHuge.Obs, resClip.Obs) {
				t.Errorf("huge action moved the bodies differently from the clipped one")
			}
			if !finite(resHuge.Obs) || !finite([]float64{resHuge.Reward}) {
				t.Fatalf("non-finite result %v, reward %v", resHuge.Obs, resHuge.Reward)
			}
			w := ctrlWeights[tk.id]
			want := -w * (sumSq(huge) - sumSq(clipped))
			if got := resHuge.Reward - resClip.Reward; !near(got, want, 1e-9*math.Abs(want)) {
				t.Errorf("reward difference %v, want %v (cost on the unclipped action)",
					got, want)
			}
			// Beyond MuJoCo's 1e10 bound the square could overflow the cost
			// (1e300² = +Inf), so such an action is invalid.
			before := env.State()
			huge[0] = 1e300
			if _, err := env.Step(huge); !errors.Is(err, envs.ErrInvalidAction) {
				t.Errorf("Step(1e300) = %v, want ErrInvalidAction", err)
			}
			if !sameBits(env.State(), before) {
				t.Errorf("rejected action changed the state")
			}
		})
	}
}

// TestLongRandomRuns (pitfall B23, second half): 10,000 steps of ±1
// bang-bang actions (the hardest the action box allows) with resets on
// termination and every 1000 steps never produce a non-finite
// observation or reward; an unstable step may only be reported as
// physics.ErrUnstable, after which the episode needs a reset.
func TestLongRandomRuns(t *testing.T) {
	for _, id := range []string{"HalfCheetah-v4", "Hopper-v4", "Walker2d-v4"} {
		t.Run(id, func(t *testing.T) {
			env := build(t, id)
			rng := rand.New(rand.NewPCG(11, 12))
			a := make([]float64, env.ActionSpace().Dim())
			unstable, episodes := 0, 1
			for k := range 10000 {
				for j := range a {
					a[j] = float64(1 - 2*rng.IntN(2))
				}
				res, err := env.Step(a)
				end := res.Terminated || k%1000 == 999
				switch {
				case errors.Is(err, physics.ErrUnstable):
					unstable++
					if _, err := env.Step(a); !errors.Is(err, envs.ErrNeedsReset) {
						t.Fatalf("step after an unstable one = %v, want ErrNeedsReset", err)
					}
					end = true
				case err != nil:
					t.Fatalf("step %d: %v", k, err)
				case !finite(res.Obs) || !finite([]float64{res.Reward}):
					t.Fatalf("step %d: obs %v reward %v", k, res.Obs, res.Reward)
				}
				if end {
					episodes++
					if _, _, err := env.Reset(uint64(k)); err != nil {
						t.Fatal(err)
					}
				}
			}
			t.Logf("%d episodes, %d unstable steps", episodes, unstable)
		})
	}
}

// TestUnstableEndsEpisode drives Swimmer with a gear a billion times too
// large, so its accelerations pass MuJoCo's 1e10 bound: Step reports
// physics.ErrUnstable naming the task, restores the state and asks for a
// reset, and Reset recovers.
func TestUnstableEndsEpisode(t *testing.T) {
	env := build(t, "Swimmer-v4")
	m := env.Model()
	for i := range m.Actuators {
		m.Actuators[i].Gear[0] *= 1e9
	}
	before := env.State()
	_, err := env.Step([]float64{1, -1})
	if !errors.Is(err, physics.ErrUnstable) || !strings.Contains(err.Error(), "Swimmer-v4") {
		t.Fatalf("Step = %v, want physics.ErrUnstable naming the task", err)
	}
	if !sameBits(env.State(), before) {
		t.Errorf("state not restored")
	}
	if _, err := env.Step([]float64{0, 0}); !errors.Is(err, envs.ErrNeedsReset) {
		t.Errorf("Step after the unstable one = %v, want ErrNeedsReset", err)
	}
	if _, _, err := env.Reset(0); err != nil {
		t.Fatal(err)
	}
	if res, err := env.Step([]float64{0, 0}); err != nil || !finite(res.Obs) {
		t.Errorf("Step after Reset = %v, %v", res.Obs, err)
	}
}

// TestReacherRewardFromPreStepState (pitfall B32): Reacher-v4 charges the
// distance of the state before the action. The fingertip starts 0.1 from
// the target and the step moves it to about 0.085; the reward must say
// 0.1.
func TestReacherRewardFromPreStepState(t *testing.T) {
	env := build(t, "Reacher-v4").(*Reacher)
	// Straight arm: fingertip at (0.21, 0); target 0.1 below it.
	mustSet(t, env, []float64{0, 0, 0.21, -0.1, 0, 0, 0, 0})
	res := mustStep(t, env, []float64{-1, -1})
	if !near(res.Info["reward_dist"], -0.1, 1e-12) {
		t.Errorf("reward_dist = %v, want −0.1 (pre-step)", res.Info["reward_dist"])
	}
	fresh := build(t, "Reacher-v4").(*Reacher)
	mustSet(t, fresh, env.State())
	v := fresh.tipToTarget()
	post := math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2])
	if math.Abs(post-0.1) < 1e-3 {
		t.Fatalf("the step moved the fingertip only to %v; the case cannot tell", post)
	}
	t.Logf("post-step distance %v", post)
}

// statePin says which state each task's reward, termination and
// observation are read from, as its v4 reference defines them. "pre" is
// the state before the action, "post" the simulator right after the step
// (qpos, qvel and the frames of its last dynamics evaluation, what
// Gymnasium reads after mj_step); "pre→post" uses both (a displacement).
type statePin struct {
	id                 string
	reward, term, obs  string
	rewardAt           func(pre, post taskEnv, a []float64) float64
	terminatedAt       func(s taskEnv) bool // nil: never terminates
	swapRewardDiffers  bool                 // reading the other state changes the reward
	terminatesInRandom bool                 // a random rollout ends within 200 steps
}

// forwardReward returns (x_post − x_pre)/dt + bonus − w·Σ a².
func forwardReward(bonus, w float64) func(pre, post taskEnv, a []float64) float64 {
	return func(pre, post taskEnv, a []float64) float64 {
		return (post.State()[0]-pre.State()[0])/post.DT() + bonus - w*sumSq(a)
	}
}

// idpTip returns the tip site of an InvertedDoublePendulum.
func idpTip(s taskEnv) physics.Vec3 {
	e := s.(*InvertedDoublePendulum)
	return e.sitePos(e.tip)
}

var statePins = []statePin{
	{"HalfCheetah-v4", "pre→post", "never", "post", forwardReward(0, 0.1), nil, false, false},
	{"Hopper-v4", "pre→post", "post", "post", forwardReward(1, 1e-3),
		func(s taskEnv) bool { return !s.(*Hopper).healthy() }, false, true},
	{"Walker2d-v4", "pre→post", "post", "post", forwardReward(1, 1e-3),
		func(s taskEnv) bool { return !s.(*Walker2d).healthy() }, false, true},
	{"InvertedPendulum-v4", "constant", "post", "post",
		func(_, _ taskEnv, _ []float64) float64 { return 1 },
		func(s taskEnv) bool { return math.Abs(s.State()[1]) > 0.2 }, false, true},
	{"InvertedDoublePendulum-v4", "post", "post", "post",
		func(_, post taskEnv, _ []float64) float64 {
			tip, v := idpTip(post), post.State()[3:]
			return 10 - (0.01*tip[0]*tip[0] + (tip[2]-2)*(tip[2]-2)) -
				(1e-3*v[1]*v[1] + 5e-3*v[2]*v[2])
		},
		func(s taskEnv) bool { return idpTip(s)[2] <= 1 }, true, true},
	{"Reacher-v4", "pre", "never", "post",
		func(pre, _ taskEnv, a []float64) float64 {
			v := pre.(*Reacher).tipToTarget()
			return -math.Sqrt(v[0]*v[0]+v[1]*v[1]+v[2]*v[2]) - sumSq(a)
		}, nil, true, false},
	{"Swimmer-v4", "pre→post", "never", "post", forwardReward(0, 1e-4), nil, false, false},
}

// TestStateSources (pitfall B32) pins, for every task, the state its
// reward, termination and observation are computed from (statePins).
// Before each step of a random rollout the state is set afresh, so that
// "pre" is exactly a Forward at that state; a copy of the task holds it
// while the stepped environment is "post". Where the pinned state is pre
// or post alone, the test also checks that reading the other one would
// have given a different value on some step, so a swap cannot pass.
func TestStateSources(t *testing.T) {
	if len(statePins) != len(tasks) {
		t.Fatalf("%d pins for %d tasks", len(statePins), len(tasks))
	}
	for _, p := range statePins {
		t.Run(p.id, func(t *testing.T) {
			env, pre := build(t, p.id), build(t, p.id)
			rng := rand.New(rand.NewPCG(21, 22))
			box := env.ActionSpace()
			rewardSwaps, termSwaps, obsSwaps, steps := 0, 0, 0, 0
			for ; steps < 200; steps++ {
				s := env.State()
				mustSet(t, env, s)
				mustSet(t, pre, s)
				a := randomAction(rng, box)
				res := mustStep(t, env, a)
				want := p.rewardAt(pre, env, a)
				if !near(res.Reward, want, 1e-12*math.Max(1, math.Abs(want))) {
					t.Fatalf("step %d: reward %v, want %v from the %s state",
						steps, res.Reward, want, p.reward)
				}
				if p.swapRewardDiffers && !near(p.rewardAt(env, pre, a), want, 1e-9) {
					rewardSwaps++
				}
				if !sameBits(res.Obs, observe(env)) {
					t.Fatalf("step %d: observation is not the %s state's", steps, p.obs)
				}
				if !sameBits(res.Obs, observe(pre)) {
					obsSwaps++
				}
				if p.terminatedAt == nil {
					if res.Terminated {
						t.Fatalf("step %d: terminated, but the task never terminates", steps)
					}
					continue
				}
				if got := p.terminatedAt(env); res.Terminated != got {
					t.Fatalf("step %d: terminated %v, the %s state says %v",
						steps, res.Terminated, p.term, got)
				}
				if p.terminatedAt(pre) != res.Terminated {
					termSwaps++
				}
				if res.Terminated {
					break
				}
			}
			if obsSwaps == 0 || (p.swapRewardDiffers && rewardSwaps == 0) ||
				(p.terminatesInRandom && termSwaps == 0) {
				t.Errorf("the rollout (%d steps) cannot tell pre from post: "+
					"obs %d, reward %d, termination %d differences",
					steps, obsSwaps, rewardSwaps, termSwaps)
			}
		})
	}
}
