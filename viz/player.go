package viz

import (
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"strings"

	"offrl/envs"
	"offrl/envs/registry"
)

// Policy chooses actions for a [Player]. Act writes the action for obs
// into action, drawing any noise from rng; an error (a policy whose
// weights diverged) stops the player.
type Policy interface {
	Name() string
	Act(obs []float64, rng *rand.Rand, action []float64) error
}

// Player steps an environment with a policy, or replays a recorded
// episode, one environment step at a time, and draws frames of it with
// the environment's own renderer. It is what the window viewer and the GIF
// writer share, and needs no display.
//
// A Player is not safe for concurrent use.
type Player struct {
	envID    string
	env      envs.Env
	renderer envs.Renderer
	policy   Policy
	rng      *rand.Rand
	spec     registry.Spec

	seed    uint64 // seed of the next episode's reset
	episode int    // episodes started, 1-based once running
	step    int    // steps taken in the current episode
	obs     []float64
	action  []float64
	reward  float64
	ret     float64
	done    bool // the current episode has ended
	outcome string

	rec   *Recording // non-nil when replaying
	drift float64    // replay: max-norm gap between simulated and recorded observation
}

// NewPlayer makes envID's environment and plays policy in it, resetting
// the k-th episode (k = 0, 1, ...) with seed+k and drawing the policy's
// noise from a generator seeded with seed.
func NewPlayer(envID string, policy Policy, seed uint64) (*Player, error) {
	p, err := newPlayer(envID)
	if err != nil {
		return nil, err
	}
	p.policy, p.seed = policy, seed
	p.rng = rand.New(rand.NewPCG(seed, 0x766965776572)) // "viewer"
	return p, p.Reset()
}

func newPlayer(envID string) (*Player, error) {
	spec, err := registry.Lookup(envID)
	if err != nil {
		return nil, err
	}
	env, err := registry.Make(envID)
	if err != nil {
		return nil, err
	}
	r, ok := env.(envs.Renderer)
	if !ok {
		env.Close()
		return nil, fmt.Errorf("viz: %s cannot render frames", envID)
	}
	return &Player{envID: envID, env: env, renderer: r, spec: spec,
		action: make([]float64, env.ActionSpace().Dim())}, nil
}

// Reset starts a new episode (with the next seed, or from the recording's
// start again when replaying).
func (p *Player) Reset() error {
	p.step, p.reward, p.ret, p.done, p.outcome, p.drift = 0, 0, 0, false, "", 0
	p.episode++
	if p.rec != nil {
		return p.resetReplay()
	}
	obs, _, err := p.env.Reset(p.seed)
	if err != nil {
		return fmt.Errorf("viz: resetting %s: %w", p.envID, err)
	}
	p.seed++
	p.obs = obs
	return nil
}

// Advance takes one environment step. After an episode has ended it first
// starts the next one, except in a replay, which stays on its last frame
// (Advance then returns [ErrReplayOver]).
func (p *Player) Advance() error {
	if p.done {
		if p.rec != nil {
			return ErrReplayOver
		}
		return p.Reset()
	}
	if p.rec != nil {
		return p.advanceReplay()
	}
	if err := p.policy.Act(p.obs, p.rng, p.action); err != nil {
		return fmt.Errorf("viz: %s step %d of episode %d: %w", p.envID, p.step+1, p.episode, err)
	}
	res, err := p.env.Step(p.action)
	if err != nil {
		return fmt.Errorf("viz: %s step %d of episode %d with %s: %w",
			p.envID, p.step+1, p.episode, p.policy.Name(), err)
	}
	p.record(res)
	return nil
}

func (p *Player) record(res envs.StepResult) {
	p.step++
	p.obs, p.reward = res.Obs, res.Reward
	p.ret += res.Reward
	switch {
	case res.Terminated:
		p.done, p.outcome = true, "terminated"
	case res.Truncated:
		p.done, p.outcome = true, "truncated"
	}
}

// ErrReplayOver is returned by [Player.Advance] at the end of a replayed
// episode.
var ErrReplayOver = errors.New("viz: end of the recorded episode")

// Frame renders the current state at width × height pixels.
func (p *Player) Frame(width, height int) (image.Image, error) {
	img, err := p.renderer.Render(width, height)
	if err != nil {
		return nil, fmt.Errorf("viz: rendering %s: %w", p.envID, err)
	}
	return img, nil
}

// Status is the heads-up line: environment, episode, step, last reward,
// return, policy and, at an episode's end, how it ended.
func (p *Player) Status() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  ", p.envID)
	if p.rec == nil { // a replay's name carries the dataset's own episode number
		fmt.Fprintf(&b, "ep %d  ", p.episode)
	}
	fmt.Fprintf(&b, "step %d  reward %.3f  return %.2f  %s", p.step, p.reward, p.ret, p.PolicyName())
	if p.rec != nil {
		fmt.Fprintf(&b, "  drift %.2g", p.drift)
	}
	if p.done {
		fmt.Fprintf(&b, "  [%s]", p.outcome)
	}
	return b.String()
}

// PolicyName names what chooses the actions.
func (p *Player) PolicyName() string {
	if p.rec != nil {
		return p.rec.Name
	}
	return p.policy.Name()
}

// EnvID returns the environment's ID.
func (p *Player) EnvID() string { return p.envID }

// Step returns the number of steps taken in the current episode.
func (p *Player) Step() int { return p.step }

// Episode returns the 1-based number of the current episode.
func (p *Player) Episode() int { return p.episode }

// Return returns the current episode's undiscounted return so far.
func (p *Player) Return() float64 { return p.ret }

// Done reports whether the current episode has ended.
func (p *Player) Done() bool { return p.done }

// Drift is, in a replay, the largest max-norm difference seen so far
// between the simulated and the recorded observation; 0 otherwise.
func (p *Player) Drift() float64 { return p.drift }

// StepSeconds is the simulated time of one environment step, which a
// viewer at speed 1 shows in as much wall-clock time. Environments without
// physical time (MountainCarContinuous, DT = 1 step) play at Gymnasium's
// render_fps of 30 for that task.
func (p *Player) StepSeconds() float64 {
	if p.spec.DT >= 1 {
		return 1.0 / 30
	}
	return p.spec.DT
}

// Close releases the environment.
func (p *Player) Close() error { return p.env.Close() }

// maxNormDiff returns max_i |a_i − b_i| with a rounded to float32 first,
// the precision b was stored in, so that a simulation that reproduces the
// recording exactly differs from it by 0; +Inf if the lengths differ.
func maxNormDiff(a []float64, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i, v := range a {
		m = math.Max(m, math.Abs(float64(float32(v))-float64(b[i])))
	}
	return m
}
