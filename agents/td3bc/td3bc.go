// Package td3bc implements TD3+BC: Scott Fujimoto and Shixiang Shane Gu,
// "A Minimalist Approach to Offline Reinforcement Learning", NeurIPS 2021,
// arXiv:2106.06860.
//
// TD3+BC is TD3 (Fujimoto, van Hoof and Meger 2018, arXiv:1802.09477) with
// two changes for learning from a fixed dataset (§5 of the paper): the
// actor's objective adds a behaviour-cloning term and scales the Q term by
// a normaliser λ,
//
//	π = argmax_π  E_(s,a)~D [ λ·Q1(s, π(s)) − (π(s) − a)² ],
//	λ = α / ((1/N) Σ_i |Q1(s_i, π(s_i))|)   (λ is not differentiated)
//
// and every state is normalised with the dataset's mean and deviation,
//
//	s ← (s − μ) / (σ + ε),  ε = 10⁻³.
//
// The critic update is TD3's: clipped double-Q learning with target policy
// smoothing (TD3 §5.1 and §5.3), and the actor and targets are updated
// every d critic updates (TD3 §5.2).
//
// The code follows the authors' reference implementation (sfujim/TD3_BC)
// in every detail the paper leaves open: λ uses Q1 at the policy's action,
// the BC term is a mean over batch and action dimensions, and the targets
// are soft-updated right after each actor step.
//
// Only the terminals flag stops bootstrapping: a time-limit end bootstraps
// like any other row (specs: a timeout is not an absorbing state).
package td3bc

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"offrl/agents"
	"offrl/nn"
	"offrl/replay"
)

// Config holds the TD3+BC hyper-parameters. Defaults are the paper's
// (appendix, table of hyper-parameters; sfujim/TD3_BC main.py).
type Config struct {
	// Gamma is γ, the discount; paper 0.99.
	Gamma float64 `json:"gamma" yaml:"gamma"`
	// Tau is τ, the target network update rate; paper 0.005.
	Tau float64 `json:"tau" yaml:"tau"`
	// PolicyNoise is σ, the std of the target smoothing noise, in units
	// of the maximum action; paper 0.2.
	PolicyNoise float64 `json:"policy_noise" yaml:"policy_noise"`
	// NoiseClip is c, the clip of that noise (× max action); paper 0.5.
	NoiseClip float64 `json:"noise_clip" yaml:"noise_clip"`
	// PolicyDelay is d, critic updates per actor update; paper 2.
	PolicyDelay int `json:"policy_delay" yaml:"policy_delay"`
	// Alpha is α, which sets λ = α / mean|Q|; paper 2.5.
	Alpha float64 `json:"alpha" yaml:"alpha"`
	// ActorLR and CriticLR are the Adam step sizes; paper 3e-4 each.
	ActorLR  float64 `json:"actor_lr" yaml:"actor_lr"`
	CriticLR float64 `json:"critic_lr" yaml:"critic_lr"`
	// Hidden are the hidden widths of actor and critics; paper [256, 256].
	Hidden []int `json:"hidden" yaml:"hidden"`
	// NormalizeStates turns on the state normalisation; paper true.
	NormalizeStates bool `json:"normalize_states" yaml:"normalize_states"`
}

// DefaultConfig returns the paper's hyper-parameters.
func DefaultConfig() Config {
	return Config{
		Gamma: 0.99, Tau: 0.005, PolicyNoise: 0.2, NoiseClip: 0.5, PolicyDelay: 2,
		Alpha: 2.5, ActorLR: 3e-4, CriticLR: 3e-4, Hidden: []int{256, 256},
		NormalizeStates: true,
	}
}

// Validate checks every field and names the first bad key and value.
func (c Config) Validate() error {
	switch {
	case !(c.Gamma >= 0 && c.Gamma <= 1):
		return fmt.Errorf("config: gamma = %v, must be in [0, 1]", c.Gamma)
	case !(c.Tau > 0 && c.Tau <= 1):
		return fmt.Errorf("config: tau = %v, must be in (0, 1]", c.Tau)
	case !(c.PolicyNoise >= 0):
		return fmt.Errorf("config: policy_noise = %v, must be ≥ 0", c.PolicyNoise)
	case !(c.NoiseClip >= 0):
		return fmt.Errorf("config: noise_clip = %v, must be ≥ 0", c.NoiseClip)
	case c.PolicyDelay < 1:
		return fmt.Errorf("config: policy_delay = %d, must be ≥ 1", c.PolicyDelay)
	case !(c.Alpha > 0):
		return fmt.Errorf("config: alpha = %v, must be > 0", c.Alpha)
	case !(c.ActorLR > 0):
		return fmt.Errorf("config: actor_lr = %v, must be > 0", c.ActorLR)
	case !(c.CriticLR > 0):
		return fmt.Errorf("config: critic_lr = %v, must be > 0", c.CriticLR)
	case len(c.Hidden) == 0:
		return fmt.Errorf("config: hidden is empty, want at least one layer width")
	}
	for i, h := range c.Hidden {
		if h < 1 {
			return fmt.Errorf("config: hidden[%d] = %d, must be ≥ 1", i, h)
		}
	}
	return nil
}

// MemoryBytes estimates the memory an agent with this configuration
// needs: every parameter four times over (value, gradient, two Adam
// moments) for the trained networks and once for the targets, plus about
// ten batch-sized activations per hidden layer in the update graphs.
func MemoryBytes(cfg Config, spec Spec) int64 {
	params := func(in, out int) int64 {
		n, prev := int64(0), int64(in)
		for _, h := range cfg.Hidden {
			n += prev*int64(h) + int64(h)
			prev = int64(h)
		}
		return n + prev*int64(out) + int64(out)
	}
	actor := params(spec.ObsDim, spec.ActDim)
	critic := params(spec.ObsDim+spec.ActDim, 1)
	trained := actor + 2*critic
	var widths int64
	for _, h := range cfg.Hidden {
		widths += int64(h)
	}
	activations := 3 * 10 * int64(spec.BatchSize) * widths
	return 4 * (4*trained + trained + activations)
}

// Spec describes the problem: widths, the action bound and the batch size
// the update graphs are compiled for.
type Spec struct {
	ObsDim, ActDim int
	MaxAction      float64 // actions lie in [−MaxAction, MaxAction]
	BatchSize      int
}

// Agent is a TD3+BC learner. Symbols follow the paper: π the actor, Q1 and
// Q2 the twin critics, π' and Q' their targets.
type Agent struct {
	cfg  Config
	spec Spec

	actor, actorTarget   *nn.MLP
	q1, q2, q1Tgt, q2Tgt *nn.MLP
	actorOpt, criticOpt  *nn.Adam
	norm                 agents.StateNorm // state normalisation, fitted in Prepare
	totalIt              int64            // critic updates done; the actor trains when totalIt % d == 0

	critic  criticStep
	policy  actorStep
	target  struct{ actor, q1, q2 *nn.Forward }
	scratch struct{ nextAct, sa []float32 }
	acting  sync.Pool // *nn.Forward of batch 1, one per concurrent Act
	last    agents.Metrics
}

// criticStep is the compiled critic update: inputs s, a and the target y.
type criticStep struct {
	prog        *nn.Program
	s, a, y     *nn.Input
	loss, qMean *nn.Node
}

// actorStep is the compiled actor update: inputs s and the dataset action a.
type actorStep struct {
	prog             *nn.Program
	s, a             *nn.Input
	loss, bc, lambda *nn.Node
}

// New builds the networks (initialised from rng as PyTorch's nn.Linear),
// their targets and optimisers, and compiles the two update graphs.
func New(cfg Config, spec Spec, rng *rand.Rand) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if spec.ObsDim < 1 || spec.ActDim < 1 || spec.BatchSize < 1 || !(spec.MaxAction > 0) {
		return nil, fmt.Errorf("td3bc: spec %+v needs positive widths, batch size and max action",
			spec)
	}
	a := &Agent{cfg: cfg, spec: spec}
	actorSizes := append(append([]int{spec.ObsDim}, cfg.Hidden...), spec.ActDim)
	criticSizes := append(append([]int{spec.ObsDim + spec.ActDim}, cfg.Hidden...), 1)
	a.actor = nn.NewMLP("actor", actorSizes, nn.ReLU, nn.Tanh, rng)
	a.q1 = nn.NewMLP("critic.q1", criticSizes, nn.ReLU, nn.Identity, rng)
	a.q2 = nn.NewMLP("critic.q2", criticSizes, nn.ReLU, nn.Identity, rng)
	a.actorTarget = nn.NewMLP("actor_target", actorSizes, nn.ReLU, nn.Tanh, rng)
	a.q1Tgt = nn.NewMLP("critic_target.q1", criticSizes, nn.ReLU, nn.Identity, rng)
	a.q2Tgt = nn.NewMLP("critic_target.q2", criticSizes, nn.ReLU, nn.Identity, rng)
	for _, p := range [][2]*nn.MLP{{a.actorTarget, a.actor}, {a.q1Tgt, a.q1}, {a.q2Tgt, a.q2}} {
		if err := p[0].Params().CopyFrom(p[1].Params()); err != nil {
			return nil, err
		}
	}
	a.actorOpt = nn.NewAdam(a.actor.Params(), cfg.ActorLR)
	a.criticOpt = nn.NewAdam(a.criticParams(), cfg.CriticLR)

	a.norm = agents.NewStateNorm(spec.ObsDim)
	if err := a.compile(); err != nil {
		return nil, err
	}
	b := spec.BatchSize
	a.target.actor = a.actorTarget.NewForward(b)
	a.target.q1, a.target.q2 = a.q1Tgt.NewForward(b), a.q2Tgt.NewForward(b)
	a.scratch.nextAct = make([]float32, b*spec.ActDim)
	a.scratch.sa = make([]float32, b*(spec.ObsDim+spec.ActDim))
	a.acting.New = func() any { return a.actor.NewForward(1) }
	a.last = agents.Metrics{}
	return a, nil
}

func (a *Agent) criticParams() nn.Params {
	return append(append(nn.Params{}, a.q1.Params()...), a.q2.Params()...)
}

// compile builds the critic and actor graphs once.
func (a *Agent) compile() error {
	b, od, ad := a.spec.BatchSize, a.spec.ObsDim, a.spec.ActDim
	maxA := float32(a.spec.MaxAction)

	// Critic: L_Q = mse(Q1(s,a), y) + mse(Q2(s,a), y).
	g := nn.NewGraph()
	c := &a.critic
	c.s, c.a, c.y = g.Input("s", b, od), g.Input("a", b, ad), g.Input("y", b, 1)
	sa := nn.Concat(c.s.Node, c.a.Node)
	q1 := a.q1.Apply(g, sa)
	c.loss = nn.Add(nn.MSE(q1, c.y.Node), nn.MSE(a.q2.Apply(g, sa), c.y.Node))
	c.qMean = nn.Mean(q1)
	var err error
	if c.prog, err = g.Compile(c.loss, a.criticParams()); err != nil {
		return fmt.Errorf("td3bc: critic graph: %w", err)
	}

	// Actor: L_π = −λ·mean Q1(s, π(s)) + mean (π(s) − a)², λ = α / sg(mean|Q1|).
	g = nn.NewGraph()
	p := &a.policy
	p.s, p.a = g.Input("s", b, od), g.Input("a", b, ad)
	pi := nn.Scale(a.actor.Apply(g, p.s.Node), maxA)
	q := a.q1.Apply(g, nn.Concat(p.s.Node, pi))
	p.lambda = nn.Div(g.Const(float32(a.cfg.Alpha)), nn.StopGradient(nn.Mean(nn.Abs(q))))
	p.bc = nn.MSE(pi, p.a.Node)
	p.loss = nn.Add(nn.Neg(nn.Mul(p.lambda, nn.Mean(q))), p.bc)
	if p.prog, err = g.Compile(p.loss, a.actor.Params()); err != nil {
		return fmt.Errorf("td3bc: actor graph: %w", err)
	}
	return nil
}

// Prepare normalises the states of buf in place with their mean and
// deviation (+10⁻³) and keeps both for acting, when the configuration
// asks for it. Call it once, before the first update.
func (a *Agent) Prepare(buf *replay.Buffer) error {
	if buf.ObsDim() != a.spec.ObsDim || buf.ActDim() != a.spec.ActDim {
		return fmt.Errorf("td3bc: buffer widths %d/%d, agent %d/%d",
			buf.ObsDim(), buf.ActDim(), a.spec.ObsDim, a.spec.ActDim)
	}
	if !a.cfg.NormalizeStates {
		return nil
	}
	a.norm.Fit(buf)
	return nil
}

// MetricNames lists the keys Update reports, in CSV order.
func (a *Agent) MetricNames() []string {
	return []string{"critic_loss", "q_mean", "actor_loss", "bc_loss", "lambda"}
}

// Update performs one TD3+BC iteration on a batch of normalised states.
// Actor metrics keep their last value on iterations without an actor step.
// The returned map is the agent's own and changes with the next Update.
func (a *Agent) Update(batch *replay.Batch, rng *rand.Rand) (agents.Metrics, error) {
	if batch.Size != a.spec.BatchSize {
		return nil, fmt.Errorf("td3bc: batch of %d, graphs compiled for %d",
			batch.Size, a.spec.BatchSize)
	}
	a.totalIt++
	n, od, ad := batch.Size, a.spec.ObsDim, a.spec.ActDim
	maxA, gamma := float32(a.spec.MaxAction), float32(a.cfg.Gamma)

	// Target policy smoothing (TD3 §5.3):
	//   ã = clip(π'(s') + clip(ε, −c, c), −max, max),  ε ~ N(0, σ²).
	sigma, c := a.cfg.PolicyNoise*a.spec.MaxAction, a.cfg.NoiseClip*a.spec.MaxAction
	next := a.target.actor.Run(batch.NextObs, n)
	for i, v := range next {
		eps := clamp(rng.NormFloat64()*sigma, -c, c)
		a.scratch.nextAct[i] = clamp32(v*maxA+float32(eps), -maxA, maxA)
	}

	// Clipped double-Q target (TD3 §5.1):
	//   y = r + γ·(1 − terminal)·min(Q1'(s', ã), Q2'(s', ã)).
	nn.ConcatRows(a.scratch.sa, batch.NextObs, a.scratch.nextAct, n, od, ad)
	q1t := a.target.q1.Run(a.scratch.sa, n)
	q2t := a.target.q2.Run(a.scratch.sa, n)
	for i := range n {
		a.critic.y.Data[i] = batch.Rewards[i] + gamma*batch.Mask[i]*min(q1t[i], q2t[i])
	}

	// Critic step on L_Q = mse(Q1(s,a), y) + mse(Q2(s,a), y).
	copy(a.critic.s.Data, batch.Obs)
	copy(a.critic.a.Data, batch.Actions)
	if err := a.critic.prog.Run(); err != nil {
		return nil, fmt.Errorf("td3bc: critic step %d: %w", a.totalIt, err)
	}
	a.criticOpt.Update()
	a.last["critic_loss"] = float64(a.critic.loss.Scalar())
	a.last["q_mean"] = float64(a.critic.qMean.Scalar())

	// Every d iterations: actor step on −λ·Q1(s, π(s)) + (π(s) − a)²
	// (TD3+BC §5), then soft target updates θ' ← τθ + (1 − τ)θ'.
	if a.totalIt%int64(a.cfg.PolicyDelay) == 0 {
		copy(a.policy.s.Data, batch.Obs)
		copy(a.policy.a.Data, batch.Actions)
		if err := a.policy.prog.Run(); err != nil {
			return nil, fmt.Errorf("td3bc: actor step %d: %w", a.totalIt, err)
		}
		a.actorOpt.Update()
		a.last["actor_loss"] = float64(a.policy.loss.Scalar())
		a.last["bc_loss"] = float64(a.policy.bc.Scalar())
		a.last["lambda"] = float64(a.policy.lambda.Scalar())

		tau := float32(a.cfg.Tau)
		nn.SoftUpdate(a.q1Tgt.Params(), a.q1.Params(), tau)
		nn.SoftUpdate(a.q2Tgt.Params(), a.q2.Params(), tau)
		nn.SoftUpdate(a.actorTarget.Params(), a.actor.Params(), tau)
	}

	if !isFinite(a.last["critic_loss"]) || !isFinite(a.last["actor_loss"]) {
		return nil, fmt.Errorf("td3bc: update %d diverged: critic_loss %v, actor_loss %v",
			a.totalIt, a.last["critic_loss"], a.last["actor_loss"])
	}
	return a.last, nil
}

// Act writes max_action · π((s − μ)/σ) for a raw observation. It is safe
// for concurrent use between updates.
func (a *Agent) Act(obs []float64, action []float64) {
	f := a.acting.Get().(*nn.Forward)
	defer a.acting.Put(f)
	x := make([]float32, a.spec.ObsDim)
	a.norm.Apply(obs, x)
	for i, v := range f.Run(x, 1) {
		action[i] = float64(v) * a.spec.MaxAction
	}
}

// Sample writes Act's action with TD3's exploration noise
// ([agents.AddExplorationNoise]): the actor itself is deterministic.
func (a *Agent) Sample(obs []float64, action []float64, rng *rand.Rand) error {
	a.Act(obs, action)
	return agents.AddExplorationNoise("td3bc", obs, action, a.spec.MaxAction, rng)
}

// fileName is the agent's checkpoint inside a directory.
const fileName = agents.CheckpointFile

// checkpoint lists what Save writes and Load restores: every network and
// target, the state normaliser, both optimisers' moments and steps, the
// iteration count, the configuration and the last metrics.
func (a *Agent) checkpoint() agents.Checkpoint {
	var ps nn.Params
	for _, m := range a.nets() {
		ps = append(ps, m.Params()...)
	}
	ps = append(ps, a.norm.Params()...)
	return agents.Checkpoint{Algo: "td3bc", Params: ps,
		Optims: []agents.Optim{{Prefix: "actor_optim", State: a.actorOpt}, {Prefix: "critic_optim", State: a.criticOpt}},
		Iter:   &a.totalIt, Config: a.cfg, Last: &a.last}
}

// Save writes the agent's whole state to dir/agent.safetensors, atomically.
func (a *Agent) Save(dir string) error { return a.checkpoint().Save(dir) }

// Load restores a state written by Save; the error names what is missing
// or malformed.
func (a *Agent) Load(dir string) error { return a.checkpoint().Load(dir) }

func (a *Agent) nets() []*nn.MLP {
	return []*nn.MLP{a.actor, a.actorTarget, a.q1, a.q2, a.q1Tgt, a.q2Tgt}
}

func clamp(x, lo, hi float64) float64 { return math.Min(math.Max(x, lo), hi) }

func clamp32(x, lo, hi float32) float32 { return min(max(x, lo), hi) }

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
