// Package iql implements Implicit Q-Learning: Ilya Kostrikov, Ashvin Nair
// and Sergey Levine, "Offline Reinforcement Learning with Implicit
// Q-Learning", ICLR 2022, arXiv:2110.06169.
//
// IQL never queries the critic at actions outside the dataset. A value
// function V(s) is fitted by expectile regression to the target critic at
// dataset actions, so that for an expectile τ near 1 it approaches the
// best in-support action value (paper §4.1, eq. 5):
//
//	L_V(ψ) = E_(s,a)~D [ L₂^τ( Q̂(s,a) − V_ψ(s) ) ],  L₂^τ(u) = |τ − 1(u < 0)|·u²
//
// The critics regress on one-step targets through V (eq. 6):
//
//	L_Q(θ) = E_(s,a,s')~D [ (r + γ·V_ψ(s') − Q_θ(s,a))² ]
//
// and the policy is extracted by advantage-weighted regression (eq. 7):
//
//	L_π(φ) = −E_(s,a)~D [ exp(β·(Q̂(s,a) − V_ψ(s))) · log π_φ(a|s) ]
//
// with the weight clipped at 100. The update order, the twin target critic
// Q̂ = min(Q̂1, Q̂2), the Gaussian actor (tanh mean, state-independent
// log-std clipped to [−5, 2], not squashed), orthogonal initialisation,
// the cosine decay of the actor's step size and the locomotion reward
// scaling follow the authors' code (ikostrikov/implicit_q_learning:
// learner.py, actor.py, critic.py, value_net.py, policy.py,
// train_offline.py).
//
// Actions are handled in [−1, 1] units: Prepare divides the dataset's
// actions by the action bound (and clips them to ±(1 − 10⁻⁵), as the
// authors do for the log-likelihood), Act multiplies by it. IQL does not
// normalise states.
package iql

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"offrl/agents"
	"offrl/nn"
	"offrl/replay"
)

// Config holds the IQL hyper-parameters. Defaults are the paper's
// locomotion settings (configs/mujoco_config.py of the authors' code).
type Config struct {
	// Gamma is γ, the discount; paper 0.99.
	Gamma float64 `json:"gamma" yaml:"gamma"`
	// Tau is the Polyak rate of the target critics; paper 0.005.
	Tau float64 `json:"tau" yaml:"tau"`
	// Expectile is τ of the value loss; 0.7 locomotion, 0.9 AntMaze.
	Expectile float64 `json:"expectile" yaml:"expectile"`
	// Beta is β, the inverse temperature of the advantage weights; 3.0
	// locomotion, 10.0 AntMaze.
	Beta float64 `json:"beta" yaml:"beta"`
	// MaxWeight clips exp(β·A); paper 100.
	MaxWeight float64 `json:"max_weight" yaml:"max_weight"`
	// ActorLR, ValueLR and CriticLR are the Adam step sizes; paper 3e-4.
	ActorLR  float64 `json:"actor_lr" yaml:"actor_lr"`
	ValueLR  float64 `json:"value_lr" yaml:"value_lr"`
	CriticLR float64 `json:"critic_lr" yaml:"critic_lr"`
	// ActorSchedule is "cosine", the authors' decay of the actor's step
	// size lr·½(1 + cos(π·t/T)) over the run's T updates (Spec.Steps), or
	// "constant" (their fine-tuning setting).
	ActorSchedule string `json:"actor_schedule" yaml:"actor_schedule"`
	// Hidden are the hidden widths of every network; paper [256, 256].
	Hidden []int `json:"hidden" yaml:"hidden"`
	// LogStdMin and LogStdMax clip the actor's log-std; paper −5 and 2.
	LogStdMin float64 `json:"log_std_min" yaml:"log_std_min"`
	LogStdMax float64 `json:"log_std_max" yaml:"log_std_max"`
	// RewardTransform preprocesses the dataset's rewards: "returns"
	// scales them by 1000/(max − min trajectory return), the authors'
	// locomotion setting; "minus_one" subtracts 1 (AntMaze); "none".
	RewardTransform string `json:"reward_transform" yaml:"reward_transform"`
}

// DefaultConfig returns the paper's locomotion hyper-parameters.
func DefaultConfig() Config {
	return Config{
		Gamma: 0.99, Tau: 0.005, Expectile: 0.7, Beta: 3.0, MaxWeight: 100,
		ActorLR: 3e-4, ValueLR: 3e-4, CriticLR: 3e-4, ActorSchedule: "cosine",
		Hidden: []int{256, 256}, LogStdMin: -5, LogStdMax: 2, RewardTransform: "returns",
	}
}

// rewardTransforms lists the accepted values of reward_transform.
var rewardTransforms = []string{"returns", "minus_one", "none"}

// Validate checks every field and names the first bad key and value.
func (c Config) Validate() error {
	switch {
	case !(c.Gamma >= 0 && c.Gamma <= 1):
		return fmt.Errorf("config: gamma = %v, must be in [0, 1]", c.Gamma)
	case !(c.Tau > 0 && c.Tau <= 1):
		return fmt.Errorf("config: tau = %v, must be in (0, 1]", c.Tau)
	case !(c.Expectile > 0 && c.Expectile < 1):
		return fmt.Errorf("config: expectile = %v, must be in (0, 1)", c.Expectile)
	case !(c.Beta >= 0) || math.IsInf(c.Beta, 0):
		return fmt.Errorf("config: beta = %v, must be a finite number ≥ 0", c.Beta)
	case !(c.MaxWeight > 0) || math.IsInf(c.MaxWeight, 0):
		return fmt.Errorf("config: max_weight = %v, must be finite and > 0", c.MaxWeight)
	case !(c.ActorLR > 0):
		return fmt.Errorf("config: actor_lr = %v, must be > 0", c.ActorLR)
	case !(c.ValueLR > 0):
		return fmt.Errorf("config: value_lr = %v, must be > 0", c.ValueLR)
	case !(c.CriticLR > 0):
		return fmt.Errorf("config: critic_lr = %v, must be > 0", c.CriticLR)
	case c.ActorSchedule != "cosine" && c.ActorSchedule != "constant":
		return fmt.Errorf("config: actor_schedule = %q, want \"cosine\" or \"constant\"",
			c.ActorSchedule)
	case len(c.Hidden) == 0:
		return fmt.Errorf("config: hidden is empty, want at least one layer width")
	case !(c.LogStdMin < c.LogStdMax):
		return fmt.Errorf("config: log_std_min = %v, log_std_max = %v, want min < max",
			c.LogStdMin, c.LogStdMax)
	case !slices.Contains(rewardTransforms, c.RewardTransform):
		return fmt.Errorf("config: reward_transform = %q, want one of %v",
			c.RewardTransform, rewardTransforms)
	}
	for i, h := range c.Hidden {
		if h < 1 {
			return fmt.Errorf("config: hidden[%d] = %d, must be ≥ 1", i, h)
		}
	}
	return nil
}

// MemoryBytes estimates the memory an agent needs: parameters four times
// over (value, gradient, two Adam moments) for the actor, value and twin
// critics, once more for the targets, and about ten batch-sized
// activations per hidden layer in each of the three update graphs.
func MemoryBytes(cfg Config, spec Spec) int64 {
	params := func(in, out int) int64 {
		n, prev := int64(0), int64(in)
		for _, h := range cfg.Hidden {
			n += prev*int64(h) + int64(h)
			prev = int64(h)
		}
		return n + prev*int64(out) + int64(out)
	}
	critic := params(spec.ObsDim+spec.ActDim, 1)
	trained := params(spec.ObsDim, spec.ActDim) + params(spec.ObsDim, 1) + 2*critic
	var widths int64
	for _, h := range cfg.Hidden {
		widths += int64(h)
	}
	activations := 4 * 10 * int64(spec.BatchSize) * widths
	return 4 * (4*trained + 2*critic + activations)
}

// Spec describes the problem: widths, the action bound, the batch size
// the update graphs are compiled for and the number of updates the run
// will take (the T of the cosine schedule).
type Spec struct {
	ObsDim, ActDim int
	MaxAction      float64 // actions lie in [−MaxAction, MaxAction]
	BatchSize      int
	Steps          int
}

// logSqrt2Pi is ½·log(2π), the constant of a Gaussian's log-density.
var logSqrt2Pi = 0.5 * math.Log(2*math.Pi)

// Agent is an IQL learner: π the Gaussian actor, V the value network,
// Q1 and Q2 the twin critics and Q̂1, Q̂2 their targets.
type Agent struct {
	cfg  Config
	spec Spec

	actor                *nn.MLP
	logStd               *nn.Param // the actor's state-independent log-std
	value                *nn.MLP
	q1, q2, q1Tgt, q2Tgt *nn.MLP
	actorOpt, valueOpt   *nn.Adam
	criticOpt            *nn.Adam
	totalIt              int64

	valueStep  valueStep
	actorStep  actorStep
	criticStep criticStep
	fwd        struct{ q1Tgt, q2Tgt, value *nn.Forward }
	scratch    struct{ sa, qTgt []float32 }
	acting     sync.Pool // *nn.Forward of batch 1, one per concurrent Act
	last       agents.Metrics
}

// valueStep is the compiled expectile regression: inputs s and Q̂(s,a).
type valueStep struct {
	prog        *nn.Program
	s, qTgt     *nn.Input
	loss, vMean *nn.Node
}

// actorStep is the compiled advantage-weighted regression: inputs s, the
// dataset action a and the weights w (one per row, repeated per column).
type actorStep struct {
	prog    *nn.Program
	s, a, w *nn.Input
	loss    *nn.Node
}

// criticStep is the compiled critic regression: inputs s, a and y.
type criticStep struct {
	prog        *nn.Program
	s, a, y     *nn.Input
	loss, qMean *nn.Node
}

// New builds the networks (orthogonal(√2) kernels, zero biases, log-std
// 0), the targets and optimisers, and compiles the three update graphs.
func New(cfg Config, spec Spec, rng *rand.Rand) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if spec.ObsDim < 1 || spec.ActDim < 1 || spec.BatchSize < 1 || !(spec.MaxAction > 0) ||
		spec.Steps < 1 {
		return nil, fmt.Errorf("iql: spec %+v needs positive widths, batch size, max action "+
			"and steps", spec)
	}
	a := &Agent{cfg: cfg, spec: spec}
	sizes := func(in, out int) []int { return append(append([]int{in}, cfg.Hidden...), out) }
	od, ad := spec.ObsDim, spec.ActDim
	a.actor = nn.NewMLP("actor", sizes(od, ad), nn.ReLU, nn.Tanh, rng)
	a.logStd = nn.NewParam("actor.log_std", ad)
	a.value = nn.NewMLP("value", sizes(od, 1), nn.ReLU, nn.Identity, rng)
	a.q1 = nn.NewMLP("critic.q1", sizes(od+ad, 1), nn.ReLU, nn.Identity, rng)
	a.q2 = nn.NewMLP("critic.q2", sizes(od+ad, 1), nn.ReLU, nn.Identity, rng)
	for _, m := range []*nn.MLP{a.actor, a.value, a.q1, a.q2} {
		m.InitOrthogonal(math.Sqrt2, rng)
	}
	a.q1Tgt = nn.NewMLP("critic_target.q1", sizes(od+ad, 1), nn.ReLU, nn.Identity, rng)
	a.q2Tgt = nn.NewMLP("critic_target.q2", sizes(od+ad, 1), nn.ReLU, nn.Identity, rng)
	for _, p := range [][2]*nn.MLP{{a.q1Tgt, a.q1}, {a.q2Tgt, a.q2}} {
		if err := p[0].Params().CopyFrom(p[1].Params()); err != nil {
			return nil, err
		}
	}
	a.actorOpt = nn.NewAdam(a.actorParams(), cfg.ActorLR)
	a.valueOpt = nn.NewAdam(a.value.Params(), cfg.ValueLR)
	a.criticOpt = nn.NewAdam(a.criticParams(), cfg.CriticLR)
	if err := a.compile(); err != nil {
		return nil, err
	}
	b := spec.BatchSize
	a.fwd.q1Tgt, a.fwd.q2Tgt = a.q1Tgt.NewForward(b), a.q2Tgt.NewForward(b)
	a.fwd.value = a.value.NewForward(b)
	a.scratch.sa = make([]float32, b*(od+ad))
	a.scratch.qTgt = make([]float32, b)
	a.acting.New = func() any { return a.actor.NewForward(1) }
	a.last = agents.Metrics{}
	return a, nil
}

func (a *Agent) actorParams() nn.Params { return append(a.actor.Params(), a.logStd) }

func (a *Agent) criticParams() nn.Params {
	return append(append(nn.Params{}, a.q1.Params()...), a.q2.Params()...)
}

// compile builds the value, actor and critic graphs once.
func (a *Agent) compile() error {
	b, od, ad := a.spec.BatchSize, a.spec.ObsDim, a.spec.ActDim
	tau := float32(a.cfg.Expectile)
	var err error

	// Value (eq. 5): L_V = mean( τ·relu(u)² + (1 − τ)·relu(−u)² ), u = Q̂ − V(s),
	// which is |τ − 1(u < 0)|·u² written without a comparison.
	g := nn.NewGraph()
	v := &a.valueStep
	v.s, v.qTgt = g.Input("s", b, od), g.Input("q_target", b, 1)
	vs := a.value.Apply(g, v.s.Node)
	u := nn.Sub(v.qTgt.Node, vs)
	v.loss = nn.Mean(nn.Add(nn.Scale(nn.Square(nn.Relu(u)), tau),
		nn.Scale(nn.Square(nn.Relu(nn.Neg(u))), 1-tau)))
	v.vMean = nn.Mean(vs)
	if v.prog, err = g.Compile(v.loss, a.value.Params()); err != nil {
		return fmt.Errorf("iql: value graph: %w", err)
	}

	// Actor (eq. 7): L_π = (1/B)·Σ_b w_b · Σ_j −log N(a_bj; μ_bj, σ_j²),
	//   −log N = ½·((a − μ)/σ)² + log σ + ½·log 2π,  log σ = clip(log_std).
	g = nn.NewGraph()
	p := &a.actorStep
	p.s, p.a, p.w = g.Input("s", b, od), g.Input("a", b, ad), g.Input("w", b, ad)
	mu := a.actor.Apply(g, p.s.Node)
	logStd := nn.Clamp(g.Param(a.logStd), float32(a.cfg.LogStdMin), float32(a.cfg.LogStdMax))
	z := nn.Mul(nn.Sub(p.a.Node, mu), nn.Exp(nn.Neg(logStd)))
	nll := nn.Add(nn.Add(nn.Scale(nn.Square(z), 0.5), logStd), g.Const(float32(logSqrt2Pi)))
	p.loss = nn.Scale(nn.Sum(nn.Mul(p.w.Node, nll)), 1/float32(b))
	if p.prog, err = g.Compile(p.loss, a.actorParams()); err != nil {
		return fmt.Errorf("iql: actor graph: %w", err)
	}

	// Critic (eq. 6): L_Q = mse(Q1(s,a), y) + mse(Q2(s,a), y).
	g = nn.NewGraph()
	c := &a.criticStep
	c.s, c.a, c.y = g.Input("s", b, od), g.Input("a", b, ad), g.Input("y", b, 1)
	sa := nn.Concat(c.s.Node, c.a.Node)
	q1 := a.q1.Apply(g, sa)
	c.loss = nn.Add(nn.MSE(q1, c.y.Node), nn.MSE(a.q2.Apply(g, sa), c.y.Node))
	c.qMean = nn.Mean(q1)
	if c.prog, err = g.Compile(c.loss, a.criticParams()); err != nil {
		return fmt.Errorf("iql: critic graph: %w", err)
	}
	return nil
}

// Prepare applies IQL's dataset preprocessing to buf in place: actions to
// [−1, 1] units, clipped to ±(1 − 10⁻⁵), and the configured reward
// transform. Call it once, before the first update.
func (a *Agent) Prepare(buf *replay.Buffer) error {
	if buf.ObsDim() != a.spec.ObsDim || buf.ActDim() != a.spec.ActDim {
		return fmt.Errorf("iql: buffer widths %d/%d, agent %d/%d",
			buf.ObsDim(), buf.ActDim(), a.spec.ObsDim, a.spec.ActDim)
	}
	buf.ScaleActions(float32(1/a.spec.MaxAction), 1-1e-5)
	switch a.cfg.RewardTransform {
	case "returns":
		rets := buf.EpisodeReturns()
		spread := slices.Max(rets) - slices.Min(rets)
		if !(spread > 0) {
			return fmt.Errorf("iql: reward_transform \"returns\" needs trajectories with "+
				"different returns; all %d have %v", len(rets), rets[0])
		}
		buf.ScaleRewards(float32(1000 / spread))
	case "minus_one":
		buf.ShiftRewards(-1)
	}
	return nil
}

// MetricNames lists the keys Update reports, in CSV order.
func (a *Agent) MetricNames() []string {
	return []string{"value_loss", "v_mean", "actor_loss", "weight_mean", "critic_loss",
		"q_mean", "actor_lr"}
}

// Update performs one IQL iteration, in the authors' order: value,
// actor, critic, target. The batch holds raw states and actions in [−1, 1]
// units (see Prepare). The returned map is the agent's own and changes
// with the next Update.
func (a *Agent) Update(batch *replay.Batch, _ *rand.Rand) (agents.Metrics, error) {
	if batch.Size != a.spec.BatchSize {
		return nil, fmt.Errorf("iql: batch of %d, graphs compiled for %d",
			batch.Size, a.spec.BatchSize)
	}
	a.totalIt++
	n, od, ad := batch.Size, a.spec.ObsDim, a.spec.ActDim

	// Q̂(s,a) = min(Q̂1, Q̂2)(s,a), the target critics at dataset actions.
	nn.ConcatRows(a.scratch.sa, batch.Obs, batch.Actions, n, od, ad)
	q1 := a.fwd.q1Tgt.Run(a.scratch.sa, n)
	q2 := a.fwd.q2Tgt.Run(a.scratch.sa, n)
	for i := range n {
		a.scratch.qTgt[i] = min(q1[i], q2[i])
	}

	// 1. Value step on the expectile loss (eq. 5).
	copy(a.valueStep.s.Data, batch.Obs)
	copy(a.valueStep.qTgt.Data, a.scratch.qTgt)
	if err := a.valueStep.prog.Run(); err != nil {
		return nil, fmt.Errorf("iql: value step %d: %w", a.totalIt, err)
	}
	a.valueOpt.Update()

	// 2. Actor step on the advantage-weighted log-likelihood (eq. 7),
	// with weights w = min(exp(β·(Q̂(s,a) − V(s))), 100) from the new V.
	v := a.fwd.value.Run(batch.Obs, n)
	beta, maxW := a.cfg.Beta, a.cfg.MaxWeight
	var wSum float64
	for i := range n {
		w := math.Min(math.Exp(beta*float64(a.scratch.qTgt[i]-v[i])), maxW)
		wSum += w
		row := a.actorStep.w.Data[i*ad : (i+1)*ad]
		for j := range row {
			row[j] = float32(w)
		}
	}
	copy(a.actorStep.s.Data, batch.Obs)
	copy(a.actorStep.a.Data, batch.Actions)
	if err := a.actorStep.prog.Run(); err != nil {
		return nil, fmt.Errorf("iql: actor step %d: %w", a.totalIt, err)
	}
	a.actorOpt.LR = a.actorLR(a.totalIt - 1)
	a.actorOpt.Update()

	// 3. Critic step on r + γ·(1 − terminal)·V(s') (eq. 6), the new V.
	vNext := a.fwd.value.Run(batch.NextObs, n)
	gamma := float32(a.cfg.Gamma)
	for i := range n {
		a.criticStep.y.Data[i] = batch.Rewards[i] + gamma*batch.Mask[i]*vNext[i]
	}
	copy(a.criticStep.s.Data, batch.Obs)
	copy(a.criticStep.a.Data, batch.Actions)
	if err := a.criticStep.prog.Run(); err != nil {
		return nil, fmt.Errorf("iql: critic step %d: %w", a.totalIt, err)
	}
	a.criticOpt.Update()

	// 4. Target critics: θ̂ ← τ·θ + (1 − τ)·θ̂.
	tau := float32(a.cfg.Tau)
	nn.SoftUpdate(a.q1Tgt.Params(), a.q1.Params(), tau)
	nn.SoftUpdate(a.q2Tgt.Params(), a.q2.Params(), tau)

	a.last["value_loss"] = float64(a.valueStep.loss.Scalar())
	a.last["v_mean"] = float64(a.valueStep.vMean.Scalar())
	a.last["actor_loss"] = float64(a.actorStep.loss.Scalar())
	a.last["weight_mean"] = wSum / float64(n)
	a.last["critic_loss"] = float64(a.criticStep.loss.Scalar())
	a.last["q_mean"] = float64(a.criticStep.qMean.Scalar())
	a.last["actor_lr"] = a.actorOpt.LR
	for _, k := range []string{"value_loss", "actor_loss", "critic_loss"} {
		if !isFinite(a.last[k]) {
			return nil, fmt.Errorf("iql: update %d diverged: %s = %v", a.totalIt, k, a.last[k])
		}
	}
	return a.last, nil
}

// actorLR is the actor's step size after t actor updates: the cosine
// decay lr₀·½(1 + cos(π·min(t, T)/T)) of optax.cosine_decay_schedule
// over the run's T = Spec.Steps updates, or lr₀ when constant.
func (a *Agent) actorLR(t int64) float64 {
	T := a.spec.Steps
	if a.cfg.ActorSchedule == "constant" {
		return a.cfg.ActorLR
	}
	frac := float64(min(t, int64(T))) / float64(T)
	return a.cfg.ActorLR * 0.5 * (1 + math.Cos(math.Pi*frac))
}

// Act writes the mean action max_action·clip(μ(s), −1, 1) for a raw
// observation (IQL evaluates at temperature 0). It is safe for concurrent
// use between updates.
func (a *Agent) Act(obs []float64, action []float64) {
	f := a.acting.Get().(*nn.Forward)
	defer a.acting.Put(f)
	x := make([]float32, a.spec.ObsDim)
	for i, v := range obs {
		x[i] = float32(v)
	}
	for i, v := range f.Run(x, 1) {
		action[i] = math.Min(math.Max(float64(v), -1), 1) * a.spec.MaxAction
	}
}

// Sample draws from IQL's Gaussian policy: max_action·clip(μ(s) + σ·ε,
// −1, 1) with ε ~ N(0, I) and σ = exp(log_std) clamped as in training
// (temperature 1 of the reference's sample_actions).
func (a *Agent) Sample(obs []float64, action []float64, rng *rand.Rand) error {
	f := a.acting.Get().(*nn.Forward)
	defer a.acting.Put(f)
	x := make([]float32, a.spec.ObsDim)
	for i, v := range obs {
		x[i] = float32(v)
	}
	logStd := a.logStd.Value
	for i, v := range f.Run(x, 1) {
		ls := math.Min(math.Max(float64(logStd[i]), a.cfg.LogStdMin), a.cfg.LogStdMax)
		u := float64(v) + math.Exp(ls)*rng.NormFloat64()
		action[i] = math.Min(math.Max(u, -1), 1) * a.spec.MaxAction
	}
	return agents.CheckSample("iql", obs, action)
}

// fileName is the agent's checkpoint inside a directory.
const fileName = agents.CheckpointFile

// checkpoint lists what Save writes and Load restores: every network and
// target, the three optimisers, the iteration count, the configuration
// and the last metrics.
func (a *Agent) checkpoint() agents.Checkpoint {
	return agents.Checkpoint{Algo: "iql", Params: a.allParams(),
		Optims: []agents.Optim{{Prefix: "actor_optim", State: a.actorOpt}, {Prefix: "value_optim", State: a.valueOpt},
			{Prefix: "critic_optim", State: a.criticOpt}},
		Iter: &a.totalIt, Config: a.cfg, Last: &a.last}
}

// Save writes the agent's whole state to dir/agent.safetensors, atomically.
func (a *Agent) Save(dir string) error { return a.checkpoint().Save(dir) }

// Load restores a state written by Save; the error names what is missing
// or malformed. The actor's learning rate follows the restored iteration
// count on its cosine schedule.
func (a *Agent) Load(dir string) error {
	if err := a.checkpoint().Load(dir); err != nil {
		return err
	}
	a.actorOpt.LR = a.actorLR(max(a.totalIt-1, 0))
	return nil
}

// allParams lists every saved tensor of the networks, in a fixed order.
func (a *Agent) allParams() nn.Params {
	ps := a.actorParams()
	for _, m := range []*nn.MLP{a.value, a.q1, a.q2, a.q1Tgt, a.q2Tgt} {
		ps = append(ps, m.Params()...)
	}
	return ps
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
