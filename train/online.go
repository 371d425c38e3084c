package train

import (
	"fmt"
	"math"

	"offrl/agents"
	"offrl/datasets"
	"offrl/envs"
	"offrl/envs/registry"
	"offrl/policies"
	"offrl/replay"
)

// An online run (Config.Online) has no dataset: the replay buffer fills
// from the agent's own steps in Config.Env. Each loop step is one
// environment step, then, once the warm-up of start_steps uniform-random
// steps is over, updates_per_step agent updates. Steps, eval_every and
// log_every count environment steps. Evaluation is the offline one
// (deterministic policy, episodes seeded from seed + 100).
//
// Checkpoints add the replay buffer (checkpoint/replay.bin, see
// [replay.Buffer.SaveFile]), the two environment generators and the state
// of the training episode under way. The simulator's own state is not
// saved: a resumed run resets the environment with the episode's seed and
// replays the episode's actions, which are the newest rows of the buffer,
// checking every observation against the buffer bit for bit. Environments
// are deterministic given their reset seed and actions (pitfalls B09), so
// this rebuilds the exact state, time-limit counter included, for every
// environment, with or without a state setter. To make the replay exact,
// the actions sent to the environment are rounded to float32 first, the
// precision the buffer keeps.

// replayFile is the replay buffer's file inside a checkpoint.
const replayFile = "replay.bin"

// onlineState is the environment side of an online run in state.json.
type onlineState struct {
	Episodes      int        `json:"episodes"`       // training episodes finished
	InEpisode     bool       `json:"in_episode"`     // an episode is under way
	EpisodeSeed   uint64     `json:"episode_seed"`   // its reset seed
	EpisodeSteps  int        `json:"episode_steps"`  // steps taken in it
	EpisodeReturn float64    `json:"episode_return"` // its return so far
	Updates       int64      `json:"updates"`        // agent updates taken
	Interval      episodeSum `json:"interval"`       // episodes finished since the last row
}

// episodeSum accumulates the training episodes that end in a log interval.
type episodeSum struct {
	Count     int     `json:"count"`
	ReturnSum float64 `json:"return_sum"`
}

// sampler is an agent with a stochastic exploration policy.

// onlineEnv is the training environment and where it stands.
type onlineEnv struct {
	env       envs.Env
	low, high []float64
	policy    agents.Sampler
	obs       []float64 // the current observation, as the environment gave it
	action    []float64
	obs32     []float32 // obs, action and next observation as the buffer keeps them
	act32     []float32
	next32    []float32
}

// setupOnline builds the environment, an empty buffer of buffer_size rows
// and the agent, and opens or restores the run.
func (r *run) setupOnline() error {
	env, err := registry.Make(r.cfg.Env)
	if err != nil {
		return fmt.Errorf("config: env: %w", err)
	}
	spec, err := registry.Lookup(r.cfg.Env)
	if err != nil {
		env.Close()
		return fmt.Errorf("config: env: %w", err)
	}
	if err := r.buildOnline(env, spec.MaxEpisodeSteps); err != nil {
		env.Close()
		return err
	}
	open := r.create
	if r.opts.Resume {
		open = r.restore
	}
	if err := open(); err != nil {
		env.Close()
		return err
	}
	return nil
}

// buildOnline makes the buffer, the agent and the scoring for env.
func (r *run) buildOnline(env envs.Env, maxEpisodeSteps int) error {
	if r.cfg.BufferSize < maxEpisodeSteps {
		return fmt.Errorf("config: buffer_size = %d holds less than one %s episode (%d steps); "+
			"a resumed run replays the current episode from the buffer", r.cfg.BufferSize,
			r.cfg.Env, maxEpisodeSteps)
	}
	obs, act := env.ObservationSpace(), env.ActionSpace()
	// Every built-in environment has reference returns; one without them
	// is a registry fault to fix there, not a score to leave blank
	// (pitfalls B34).
	ref, err := policies.ReferenceFor(r.cfg.Env)
	if err != nil {
		return fmt.Errorf("env %s: no reference returns to score against: %w", r.cfg.Env, err)
	}
	r.score = scoring{refMin: ref.RandomReturn, refMax: ref.ExpertReturn, source: ref.Source,
		datasetScore: math.NaN()}
	r.meta = datasets.Metadata{EnvID: r.cfg.Env}
	r.buf = replay.New(r.cfg.BufferSize, obs.Dim(), act.Dim())
	r.rng = newStreams(r.cfg.Seed)
	agent, err := buildAgent(r.cfg, obs.Dim(), act.Dim(), act.Low, act.High, "env "+r.cfg.Env, r.rng.Init)
	if err != nil {
		return err
	}
	policy, ok := agent.(agents.Sampler)
	if !ok {
		return fmt.Errorf("%s cannot train online: it has no stochastic policy to explore with", r.cfg.Algo)
	}
	r.agent = agent
	r.env = &onlineEnv{env: env, low: act.Low, high: act.High, policy: policy,
		action: make([]float64, act.Dim()), obs32: make([]float32, obs.Dim()),
		act32: make([]float32, act.Dim()), next32: make([]float32, obs.Dim())}
	return nil
}

// onlineStep takes one environment step (starting an episode first if
// none is under way), stores the transition and, after the warm-up,
// updates the agent.
func (r *run) onlineStep(batch *replay.Batch) error {
	o, e := r.st.Online, r.env
	if !o.InEpisode {
		seed := r.rng.EnvReset.Uint64()
		obs, _, err := e.env.Reset(seed)
		if err != nil {
			return fmt.Errorf("training episode %d: reset with seed %d: %w", o.Episodes, seed, err)
		}
		*o = onlineState{Episodes: o.Episodes, InEpisode: true, EpisodeSeed: seed,
			Updates: o.Updates, Interval: o.Interval}
		e.obs = obs
	}
	if err := r.explore(); err != nil {
		return err
	}
	res, err := e.env.Step(e.action)
	if err != nil {
		return fmt.Errorf("training episode %d (seed %d), step %d: %w", o.Episodes,
			o.EpisodeSeed, o.EpisodeSteps, err)
	}
	if err := r.store(res); err != nil {
		return err
	}
	r.st.Step++
	if r.st.Step < r.cfg.StartSteps {
		return nil
	}
	for range r.cfg.UpdatesPerStep {
		if err := r.learn(batch); err != nil {
			return fmt.Errorf("update after environment step %d: %w", r.st.Step, err)
		}
		o.Updates++
	}
	return nil
}

// explore picks the action: uniform over the action box during the
// warm-up, the agent's stochastic policy after it. A non-finite action is
// an error, never sent to the environment.
func (r *run) explore() error {
	e := r.env
	if r.st.Step < r.cfg.StartSteps {
		for i := range e.action {
			e.action[i] = e.low[i] + (e.high[i]-e.low[i])*r.rng.Exploration.Float64()
		}
	} else if err := e.policy.Sample(e.obs, e.action, r.rng.Exploration); err != nil {
		return fmt.Errorf("exploring at environment step %d: %w", r.st.Step, err)
	}
	for i, a := range e.action {
		if math.IsNaN(a) || math.IsInf(a, 0) {
			return fmt.Errorf("exploring at environment step %d: the policy gave action[%d] = %v",
				r.st.Step, i, a)
		}
		// Round to what the buffer keeps, so that a resumed run can
		// replay this step exactly.
		e.act32[i] = float32(a)
		e.action[i] = float64(e.act32[i])
	}
	return nil
}

// store adds the step's transition to the buffer and ends the episode on
// termination or truncation. Terminal is the environment's terminated
// flag only: a time-limit end is stored as a timeout and bootstraps
// (pitfalls B39); a step that is both keeps both flags, and terminated
// wins in the mask (B03).
func (r *run) store(res envs.StepResult) error {
	o, e := r.st.Online, r.env
	toFloat32(e.obs32, e.obs)
	toFloat32(e.next32, res.Obs)
	err := r.buf.Add(replay.Transition{Obs: e.obs32, Action: e.act32, NextObs: e.next32,
		Reward: float32(res.Reward), Terminal: res.Terminated, Timeout: res.Truncated})
	if err != nil {
		return fmt.Errorf("training episode %d (seed %d), step %d: %w", o.Episodes,
			o.EpisodeSeed, o.EpisodeSteps, err)
	}
	o.EpisodeSteps++
	o.EpisodeReturn += res.Reward
	e.obs = res.Obs
	if res.Terminated || res.Truncated {
		r.log.Debug("training episode", "episode", o.Episodes, "step", r.st.Step+1,
			"return", o.EpisodeReturn, "length", o.EpisodeSteps)
		o.Episodes++
		o.Interval.Count++
		o.Interval.ReturnSum += o.EpisodeReturn
		o.InEpisode = false
	}
	return nil
}

// resumeEpisode rebuilds the training episode under way at the
// checkpoint: reset with its seed, then its actions from the buffer,
// each observation checked against the stored one.
func (r *run) resumeEpisode() error {
	o, e := r.st.Online, r.env
	if o == nil {
		return fmt.Errorf("state.json has no online section; it was not written by an online run")
	}
	if !o.InEpisode {
		return nil
	}
	if o.EpisodeSteps < 1 || o.EpisodeSteps > r.buf.Len() {
		return fmt.Errorf("state.json: online.episode_steps = %d, the buffer holds %d rows",
			o.EpisodeSteps, r.buf.Len())
	}
	obs, _, err := e.env.Reset(o.EpisodeSeed)
	if err != nil {
		return fmt.Errorf("replaying training episode %d: reset with seed %d: %w", o.Episodes,
			o.EpisodeSeed, err)
	}
	for k := o.EpisodeSteps - 1; k >= 0; k-- {
		stored, act, next := r.buf.Last(k)
		step := o.EpisodeSteps - 1 - k
		if !sameAsStored(obs, stored) {
			return replayMismatch(o, step)
		}
		for i, a := range act {
			e.action[i] = float64(a)
		}
		res, err := e.env.Step(e.action)
		if err != nil {
			return fmt.Errorf("replaying training episode %d, step %d: %w", o.Episodes, step, err)
		}
		if !sameAsStored(res.Obs, next) {
			return replayMismatch(o, step)
		}
		obs = res.Obs
	}
	e.obs = obs
	return nil
}

func replayMismatch(o *onlineState, step int) error {
	return fmt.Errorf("replaying training episode %d (seed %d): step %d reached another "+
		"observation than the replay buffer holds; the environment is not deterministic "+
		"or the buffer belongs to another run", o.Episodes, o.EpisodeSeed, step)
}

// sameAsStored reports whether obs, rounded to float32, is stored.
func sameAsStored(obs []float64, stored []float32) bool {
	for i, v := range obs {
		if math.Float32bits(float32(v)) != math.Float32bits(stored[i]) {
			return false
		}
	}
	return true
}

func toFloat32(dst []float32, src []float64) {
	for i, v := range src {
		dst[i] = float32(v)
	}
}

// trainEpisodeColumns are metrics.csv's train_episodes and
// train_return_mean: the training episodes that ended in the interval
// and their mean return (empty if none ended).
func (r *run) trainEpisodeColumns() []string {
	iv := r.st.Online.Interval
	mean := math.NaN()
	if iv.Count > 0 {
		mean = iv.ReturnSum / float64(iv.Count)
	}
	return []string{fmt.Sprint(iv.Count), formatFloat(mean)}
}
