package viz

import (
	"errors"
	"fmt"

	"offrl/datasets"
	"offrl/envs"
)

// ReplayMode is how a recorded episode is shown.
type ReplayMode string

const (
	// ReplayActions sets the simulator to the recorded start state and
	// steps it with the recorded actions. The simulation may drift from
	// the recording (observations are stored as float32, and contact-rich
	// tasks amplify small differences); the heads-up line shows how far.
	ReplayActions ReplayMode = "actions"
	// ReplayStates sets the simulator to each recorded observation in turn
	// and draws it without simulating: the recorded frames, exactly.
	ReplayStates ReplayMode = "states"
)

// Recording is one recorded episode, rows in step order with D4RL's
// columns (observation, action, reward, next observation, flags).
type Recording struct {
	Name             string // shown as the policy's name
	Mode             ReplayMode
	ObsDim, ActDim   int
	Observations     []float32 // Len()·ObsDim
	Actions          []float32 // Len()·ActDim
	Rewards          []float32
	NextObservations []float32 // Len()·ObsDim
	Terminals        []bool
	Timeouts         []bool
}

// Len returns the number of recorded steps.
func (r *Recording) Len() int { return len(r.Rewards) }

// RecordingFromDataset takes episode k (0-based, in [datasets.Dataset.Episodes]
// order) of d.
func RecordingFromDataset(d *datasets.Dataset, k int, mode ReplayMode) (*Recording, error) {
	if mode != ReplayActions && mode != ReplayStates {
		return nil, fmt.Errorf("viz: replay mode %q, want %q or %q", mode, ReplayActions, ReplayStates)
	}
	eps := d.Episodes()
	if k < 0 || k >= len(eps) {
		return nil, fmt.Errorf("viz: dataset %s has episodes 0 to %d, not %d",
			d.Meta.DatasetID, len(eps)-1, k)
	}
	ep := eps[k]
	o, a := d.ObsDim, d.ActDim
	return &Recording{
		Name: fmt.Sprintf("%s episode %d (recorded %s)", d.Meta.DatasetID, k, mode),
		Mode: mode, ObsDim: o, ActDim: a,
		Observations:     d.Observations[ep.Start*o : ep.End*o],
		Actions:          d.Actions[ep.Start*a : ep.End*a],
		Rewards:          d.Rewards[ep.Start:ep.End],
		NextObservations: d.NextObservations[ep.Start*o : ep.End*o],
		Terminals:        d.Terminals[ep.Start:ep.End],
		Timeouts:         d.Timeouts[ep.Start:ep.End],
	}, nil
}

// NewReplay plays rec in envID's environment. The environment must be able
// to rebuild its state from an observation (every built-in one can);
// otherwise NewReplay says so.
func NewReplay(envID string, rec *Recording) (*Player, error) {
	if rec.Len() == 0 {
		return nil, fmt.Errorf("viz: recording %q has no steps", rec.Name)
	}
	p, err := newPlayer(envID)
	if err != nil {
		return nil, err
	}
	obsDim, actDim := p.env.ObservationSpace().Dim(), p.env.ActionSpace().Dim()
	if rec.ObsDim != obsDim || rec.ActDim != actDim {
		p.Close()
		return nil, fmt.Errorf("viz: recording %q has observations of %d and actions of %d values; %s has %d and %d",
			rec.Name, rec.ObsDim, rec.ActDim, envID, obsDim, actDim)
	}
	p.rec = rec
	if err := p.Reset(); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// resetReplay puts the simulator at the recording's first observation.
func (p *Player) resetReplay() error {
	obs, _, err := p.env.Reset(0) // Step needs a started episode; the state is set next
	if err != nil {
		return fmt.Errorf("viz: resetting %s: %w", p.envID, err)
	}
	p.obs = obs
	return p.setObservation(p.rec.Observations[:p.rec.ObsDim], "first observation")
}

// setObservation sets the simulator to the state that obs describes.
func (p *Player) setObservation(obs32 []float32, what string) error {
	from, ok1 := p.env.(envs.StateRebuilder)
	ss, ok2 := p.env.(envs.StateSetter)
	if !ok1 || !ok2 {
		return fmt.Errorf("viz: %s cannot be set to a recorded observation, so %q cannot be replayed; "+
			"play a policy instead", p.envID, p.rec.Name)
	}
	obs := make([]float64, len(obs32))
	for i, v := range obs32 {
		obs[i] = float64(v)
	}
	state, err := from.StateFromObservation(obs)
	if err == nil {
		err = ss.SetState(state)
	}
	if errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("viz: %s cannot be set to a recorded observation, so %q cannot be replayed: %w",
			p.envID, p.rec.Name, err)
	}
	if err != nil {
		return fmt.Errorf("viz: %q step %d, %s: %w", p.rec.Name, p.step, what, err)
	}
	p.obs = obs
	return nil
}

// advanceReplay shows the next recorded step.
func (p *Player) advanceReplay() error {
	r, k := p.rec, p.step
	next := r.NextObservations[k*r.ObsDim : (k+1)*r.ObsDim]
	res := envs.StepResult{Reward: float64(r.Rewards[k]), Terminated: r.Terminals[k],
		Truncated: r.Timeouts[k] || k == r.Len()-1}
	switch r.Mode {
	case ReplayStates:
		if err := p.setObservation(next, "next observation"); err != nil {
			return err
		}
		res.Obs = p.obs
	default:
		for i := range p.action {
			p.action[i] = float64(r.Actions[k*r.ActDim+i])
		}
		sim, err := p.env.Step(p.action)
		if err != nil {
			return fmt.Errorf("viz: replaying %q step %d: %w", r.Name, k+1, err)
		}
		p.drift = max(p.drift, maxNormDiff(sim.Obs, next))
		res.Obs, res.Reward = sim.Obs, sim.Reward
		if sim.Terminated && !res.Terminated {
			p.record(res)
			p.done, p.outcome = true, fmt.Sprintf("simulation terminated; the recording goes on to step %d", r.Len())
			return nil
		}
	}
	p.record(res)
	if p.done && p.step == r.Len() && !r.Terminals[k] && !r.Timeouts[k] {
		p.outcome = "end of recording"
	}
	return nil
}
