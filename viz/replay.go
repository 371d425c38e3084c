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
	// steps it with the recorded actions. When the dataset stores the
	// simulator state (qpos, qvel) the start is that state exactly and
	// the simulation repeats the recording; otherwise the start is rebuilt
	// from the float32 observation and the simulation may drift from the
	// recording (contact-rich tasks amplify small differences). The
	// heads-up line shows how far.
	ReplayActions ReplayMode = "actions"
	// ReplayStates sets the simulator to each recorded state in turn (the
	// stored qpos/qvel where the dataset has them, else the state rebuilt
	// from the recorded observation) and draws it without simulating: the
	// recorded frames, exactly.
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

	// NQ, NV, Qpos and Qvel are the simulator state before each step
	// (Len()·NQ and Len()·NV values), when the dataset stores it; nil
	// and 0 otherwise.
	NQ, NV     int
	Qpos, Qvel []float64
}

// Len returns the number of recorded steps.
func (r *Recording) Len() int { return len(r.Rewards) }

// RecordingFromDataset takes episode k (0-based, in [datasets.Dataset.Episodes]
// order) of d, with its stored simulator states when d holds them (read
// it with [datasets.ReadOptions.State]).
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
	var qpos, qvel []float64
	if d.NQ > 0 {
		qpos, qvel = d.Qpos[ep.Start*d.NQ:ep.End*d.NQ], d.Qvel[ep.Start*d.NV:ep.End*d.NV]
	}
	return &Recording{
		NQ: d.NQ, NV: d.NV, Qpos: qpos, Qvel: qvel,
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

// NewReplay plays rec in envID's environment. With recorded states, the
// environment's state layout must match them (nq, nv); without, the
// environment must be able to rebuild its state from an observation (every
// built-in one can). Otherwise NewReplay says so.
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
	if rec.NQ > 0 {
		nq, nv, ok := envs.StateDimsOf(p.env)
		if !ok || nq != rec.NQ || nv != rec.NV ||
			len(rec.Qpos) != rec.Len()*rec.NQ || len(rec.Qvel) != rec.Len()*rec.NV {
			p.Close()
			return nil, fmt.Errorf("viz: recording %q has states of nq %d, nv %d (%d and %d values "+
				"for %d steps); %s has nq %d, nv %d", rec.Name, rec.NQ, rec.NV,
				len(rec.Qpos), len(rec.Qvel), rec.Len(), envID, nq, nv)
		}
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
	if p.rec.NQ > 0 {
		return p.setRecordedState(0, p.rec.Observations[:p.rec.ObsDim], "first state")
	}
	return p.setObservation(p.rec.Observations[:p.rec.ObsDim], "first observation")
}

// setRecordedState sets the simulator to the stored state before step k
// exactly; obs32 is the observation recorded for it, which the heads-up
// line shows.
func (p *Player) setRecordedState(k int, obs32 []float32, what string) error {
	r := p.rec
	state := make([]float64, 0, r.NQ+r.NV)
	state = append(state, r.Qpos[k*r.NQ:(k+1)*r.NQ]...)
	state = append(state, r.Qvel[k*r.NV:(k+1)*r.NV]...)
	if err := p.env.(envs.StateSetter).SetState(state); err != nil {
		return fmt.Errorf("viz: %q step %d, %s: %w", r.Name, p.step, what, err)
	}
	obs := make([]float64, len(obs32))
	for i, v := range obs32 {
		obs[i] = float64(v)
	}
	p.obs = obs
	return nil
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
		var err error
		if r.NQ > 0 && k+1 < r.Len() {
			// The state after step k is the one stored before step k+1.
			err = p.setRecordedState(k+1, next, "next state")
		} else {
			err = p.setObservation(next, "next observation")
		}
		if err != nil {
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
