// Package sac implements Soft Actor-Critic with a learned temperature:
// Tuomas Haarnoja, Aurick Zhou, Kristian Hartikainen, George Tucker,
// Sehoon Ha, Jie Tan, Vikash Kumar, Henry Zhu, Abhishek Gupta, Pieter
// Abbeel and Sergey Levine, "Soft Actor-Critic Algorithms and
// Applications", arXiv:1812.05905 (2018), the "SAC v2" of the toolkit's
// behaviour policies.
//
// SAC maximises return plus the policy's entropy. Its actor is a Gaussian
// in a pre-squash space u, squashed by tanh into the action box,
//
//	u = μ(s) + σ(s)·ε,  ε ~ N(0, I),  a = tanh(u),  log σ clipped to [−20, 2]
//
// whose log-density carries the change of variables of the squash
// (paper appendix C, eq. 21), here in the form that stays finite for
// large |u|:
//
//	log π(a|s) = Σ_i [ log N(u_i; μ_i, σ_i) − log(1 − tanh(u_i)²) ],
//	log(1 − tanh(u)²) = 2·(log 2 − u − softplus(−2u)).
//
// The twin critics regress on a soft, clipped double-Q target (eqs. 5, 7
// with the minimum over two critics of §5):
//
//	y = r + γ·m·( min_i Q̄_i(s', a') − α·log π(a'|s') ),  a' ~ π(·|s')
//	L_Q = Σ_i mean_B (Q_i(s, a) − y)²
//
// where m = 1 − terminal: a time-limit end bootstraps like any other
// step. The actor minimises (eq. 12, reparameterised)
//
//	L_π = mean_B ( α·log π(ã|s) − min_i Q_i(s, ã) ),  ã = tanh(μ + σ·ε)
//
// and the temperature follows (eq. 18)
//
//	L_α = −mean_B ( log α · (log π(ã|s) + H̄) ),  H̄ = −|A|.
//
// Targets follow Q̄ ← τ·Q + (1 − τ)·Q̄ after every update. The settings
// are the standard SAC v2 ones (256-256 ReLU networks, Adam 3e-4 for
// actor, critics and α, γ 0.99, τ 0.005, batch 256), as JaxCQL's
// conservative_sac.py also uses them.
//
// Actions are handled in tanh units inside the agent: the critics see
// max_action·tanh(u), and the log-density is that of tanh(u) in [−1, 1],
// without the constant −|A|·log(max_action) that a density over the
// scaled box would add; the entropy target −|A| is therefore relative to
// the unit box, as in the authors' code, where the environment wrapper
// rescales actions.
//
// Deviation: the actor's last layer is held as two heads, one for μ and
// one for log σ, on a shared 256-256 trunk. That is the same function as
// one layer of 2·|A| outputs split in two, with the same PyTorch-style
// initialisation, and avoids a slicing node in the compiled graph.
package sac

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"offrl/agents"
	"offrl/nn"
	"offrl/replay"
)

// Config holds the SAC hyper-parameters. Defaults are the standard SAC v2
// settings (Haarnoja et al. 2018b, appendix D, table 1; the same values
// in JaxCQL/conservative_sac.py).
type Config struct {
	// Gamma is γ, the discount; paper 0.99.
	Gamma float64 `json:"gamma" yaml:"gamma"`
	// Tau is τ, the Polyak rate of the target critics; paper 0.005.
	Tau float64 `json:"tau" yaml:"tau"`
	// ActorLR, CriticLR and AlphaLR are the Adam step sizes; paper 3e-4.
	ActorLR  float64 `json:"actor_lr" yaml:"actor_lr"`
	CriticLR float64 `json:"critic_lr" yaml:"critic_lr"`
	AlphaLR  float64 `json:"alpha_lr" yaml:"alpha_lr"`
	// InitAlpha is α before the first update; the authors start from
	// log α = 0, i.e. 1.
	InitAlpha float64 `json:"init_alpha" yaml:"init_alpha"`
	// TargetEntropyPerDim sets H̄ = TargetEntropyPerDim·|A|; paper −1.
	TargetEntropyPerDim float64 `json:"target_entropy_per_dim" yaml:"target_entropy_per_dim"`
	// Hidden are the hidden widths of actor and critics; paper [256, 256].
	Hidden []int `json:"hidden" yaml:"hidden"`
	// LogStdMin and LogStdMax clip the actor's log σ; paper −20 and 2.
	LogStdMin float64 `json:"log_std_min" yaml:"log_std_min"`
	LogStdMax float64 `json:"log_std_max" yaml:"log_std_max"`
}

// DefaultConfig returns the standard SAC v2 hyper-parameters.
func DefaultConfig() Config {
	return Config{
		Gamma: 0.99, Tau: 0.005, ActorLR: 3e-4, CriticLR: 3e-4, AlphaLR: 3e-4,
		InitAlpha: 1, TargetEntropyPerDim: -1, Hidden: []int{256, 256},
		LogStdMin: -20, LogStdMax: 2,
	}
}

// Validate checks every field and names the first bad key and value.
func (c Config) Validate() error {
	switch {
	case !(c.Gamma >= 0 && c.Gamma <= 1):
		return fmt.Errorf("config: gamma = %v, must be in [0, 1]", c.Gamma)
	case !(c.Tau > 0 && c.Tau <= 1):
		return fmt.Errorf("config: tau = %v, must be in (0, 1]", c.Tau)
	case !(c.ActorLR > 0) || math.IsInf(c.ActorLR, 0):
		return fmt.Errorf("config: actor_lr = %v, must be finite and > 0", c.ActorLR)
	case !(c.CriticLR > 0) || math.IsInf(c.CriticLR, 0):
		return fmt.Errorf("config: critic_lr = %v, must be finite and > 0", c.CriticLR)
	case !(c.AlphaLR >= 0) || math.IsInf(c.AlphaLR, 0):
		return fmt.Errorf("config: alpha_lr = %v, must be finite and ≥ 0 (0 keeps α fixed)",
			c.AlphaLR)
	case !(c.InitAlpha > 0) || math.IsInf(c.InitAlpha, 0):
		return fmt.Errorf("config: init_alpha = %v, must be finite and > 0", c.InitAlpha)
	case math.IsNaN(c.TargetEntropyPerDim) || math.IsInf(c.TargetEntropyPerDim, 0):
		return fmt.Errorf("config: target_entropy_per_dim = %v, must be finite",
			c.TargetEntropyPerDim)
	case len(c.Hidden) == 0:
		return fmt.Errorf("config: hidden is empty, want at least one layer width")
	case !(c.LogStdMin < c.LogStdMax) || math.IsInf(c.LogStdMin, 0) ||
		math.IsInf(c.LogStdMax, 0):
		return fmt.Errorf("config: log_std_min = %v, log_std_max = %v, want finite min < max",
			c.LogStdMin, c.LogStdMax)
	}
	for i, h := range c.Hidden {
		if h < 1 {
			return fmt.Errorf("config: hidden[%d] = %d, must be ≥ 1", i, h)
		}
	}
	return nil
}

// MemoryBytes estimates the memory an agent needs: parameters four times
// over (value, gradient, two Adam moments) for the actor and twin
// critics, once more for the targets, and about ten batch-sized
// activations per hidden layer in each of the two update graphs.
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
	trained := params(spec.ObsDim, 2*spec.ActDim) + 2*critic
	var widths int64
	for _, h := range cfg.Hidden {
		widths += int64(h)
	}
	activations := 3 * 10 * int64(spec.BatchSize) * widths
	return 4 * (4*trained + 2*critic + activations)
}

// Spec describes the problem: widths, the action bound and the batch size
// the update graphs are compiled for.
type Spec struct {
	ObsDim, ActDim int
	MaxAction      float64 // actions lie in [−MaxAction, MaxAction]
	BatchSize      int
}

// Agent is a SAC learner. Symbols follow the paper: π the actor (a trunk
// with a μ head and a log σ head), Q1 and Q2 the twin critics, Q̄1 and
// Q̄2 their targets, α = exp(log α) the temperature.
type Agent struct {
	cfg  Config
	spec Spec

	trunk, muHead, logStdHead     *nn.MLP
	q1, q2, q1Tgt, q2Tgt          *nn.MLP
	logAlpha                      *nn.Param
	actorOpt, criticOpt, alphaOpt *nn.Adam
	totalIt                       int64

	critic  criticStep
	actor   actorStep
	next    policyForward // π at s' for the critic target, batch rows
	target  struct{ q1, q2 *nn.Forward }
	scratch struct{ nextAct, nextLogP, sa []float32 }
	acting  sync.Pool // *policyForward of batch 1, one per concurrent Act
	last    agents.Metrics
}

// criticStep is the compiled critic regression: inputs s, a and y.
type criticStep struct {
	prog        *nn.Program
	s, a, y     *nn.Input
	loss, qMean *nn.Node
}

// actorStep is the compiled actor update: inputs s, the noise ε and α
// (repeated over the batch × action matrix).
type actorStep struct {
	prog             *nn.Program
	s, eps, alpha    *nn.Input
	loss, logPi, qPi *nn.Node // logPi is mean_B log π(ã|s), qPi mean_B min Q
}

// policyForward evaluates π outside a graph: the trunk and both heads.
type policyForward struct {
	trunk, mu, logStd *nn.Forward
	x                 []float32 // one observation, for Act and Sample
	act, logP         []float32 // one action and its log π, for Sample
}

// New builds the networks (initialised from rng as PyTorch's nn.Linear),
// the targets and the optimisers, and compiles the two update graphs.
func New(cfg Config, spec Spec, rng *rand.Rand) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if spec.ObsDim < 1 || spec.ActDim < 1 || spec.BatchSize < 1 || !(spec.MaxAction > 0) ||
		math.IsInf(spec.MaxAction, 0) {
		return nil, fmt.Errorf("sac: spec %+v needs positive widths, batch size and a finite "+
			"max action", spec)
	}
	a := &Agent{cfg: cfg, spec: spec}
	od, ad, hid := spec.ObsDim, spec.ActDim, cfg.Hidden
	last := hid[len(hid)-1]
	critic := append(append([]int{od + ad}, hid...), 1)
	a.trunk = nn.NewMLP("actor.trunk", append([]int{od}, hid...), nn.ReLU, nn.ReLU, rng)
	a.muHead = nn.NewMLP("actor.mu", []int{last, ad}, nn.Identity, nn.Identity, rng)
	a.logStdHead = nn.NewMLP("actor.log_std", []int{last, ad}, nn.Identity, nn.Identity, rng)
	a.q1 = nn.NewMLP("critic.q1", critic, nn.ReLU, nn.Identity, rng)
	a.q2 = nn.NewMLP("critic.q2", critic, nn.ReLU, nn.Identity, rng)
	a.q1Tgt = nn.NewMLP("critic_target.q1", critic, nn.ReLU, nn.Identity, rng)
	a.q2Tgt = nn.NewMLP("critic_target.q2", critic, nn.ReLU, nn.Identity, rng)
	for _, p := range [][2]*nn.MLP{{a.q1Tgt, a.q1}, {a.q2Tgt, a.q2}} {
		if err := p[0].Params().CopyFrom(p[1].Params()); err != nil {
			return nil, err
		}
	}
	a.logAlpha = nn.NewParam("log_alpha", 1)
	a.logAlpha.Value[0] = float32(math.Log(cfg.InitAlpha))
	a.actorOpt = nn.NewAdam(a.actorParams(), cfg.ActorLR)
	a.criticOpt = nn.NewAdam(a.criticParams(), cfg.CriticLR)
	a.alphaOpt = nn.NewAdam(nn.Params{a.logAlpha}, cfg.AlphaLR)
	if err := a.compile(); err != nil {
		return nil, err
	}
	b := spec.BatchSize
	a.next = a.newPolicyForward(b)
	a.target.q1, a.target.q2 = a.q1Tgt.NewForward(b), a.q2Tgt.NewForward(b)
	a.scratch.nextAct = make([]float32, b*ad)
	a.scratch.nextLogP = make([]float32, b)
	a.scratch.sa = make([]float32, b*(od+ad))
	a.acting.New = func() any { f := a.newPolicyForward(1); return &f }
	a.last = agents.Metrics{}
	return a, nil
}

func (a *Agent) newPolicyForward(rows int) policyForward {
	return policyForward{trunk: a.trunk.NewForward(rows), mu: a.muHead.NewForward(rows),
		logStd: a.logStdHead.NewForward(rows), x: make([]float32, a.spec.ObsDim),
		act: make([]float32, a.spec.ActDim), logP: make([]float32, 1)}
}

func (a *Agent) actorParams() nn.Params {
	ps := append(nn.Params{}, a.trunk.Params()...)
	return append(append(ps, a.muHead.Params()...), a.logStdHead.Params()...)
}

func (a *Agent) criticParams() nn.Params {
	return append(append(nn.Params{}, a.q1.Params()...), a.q2.Params()...)
}

// compile builds the critic and actor graphs once.
func (a *Agent) compile() error {
	b, od, ad := a.spec.BatchSize, a.spec.ObsDim, a.spec.ActDim
	var err error

	// Critic: L_Q = mse(Q1(s,a), y) + mse(Q2(s,a), y).
	g := nn.NewGraph()
	c := &a.critic
	c.s, c.a, c.y = g.Input("s", b, od), g.Input("a", b, ad), g.Input("y", b, 1)
	sa := nn.Concat(c.s.Node, c.a.Node)
	q1 := a.q1.Apply(g, sa)
	c.loss = nn.Add(nn.MSE(q1, c.y.Node), nn.MSE(a.q2.Apply(g, sa), c.y.Node))
	c.qMean = nn.Mean(q1)
	if c.prog, err = g.Compile(c.loss, a.criticParams()); err != nil {
		return fmt.Errorf("sac: critic graph: %w", err)
	}

	// Actor: ã = tanh(μ + σ·ε) (reparameterised), log π(ã|s) summed over
	// action dimensions, L_π = (1/B)·Σ α·log π − mean_B min(Q1, Q2)(s, ã).
	g = nn.NewGraph()
	p := &a.actor
	p.s, p.eps, p.alpha = g.Input("s", b, od), g.Input("eps", b, ad), g.Input("alpha", b, ad)
	h := a.trunk.Apply(g, p.s.Node)
	mu := a.muHead.Apply(g, h)
	logStd := nn.Clamp(a.logStdHead.Apply(g, h), float32(a.cfg.LogStdMin),
		float32(a.cfg.LogStdMax))
	u := nn.Add(mu, nn.Mul(nn.Exp(logStd), p.eps.Node))
	logP := logProbGraph(g, u, logStd, p.eps.Node)
	act := nn.Scale(nn.TanhOf(u), float32(a.spec.MaxAction))
	sa = nn.Concat(p.s.Node, act)
	minQ := nn.Minimum(a.q1.Apply(g, sa), a.q2.Apply(g, sa))
	p.qPi = nn.Mean(minQ)
	p.logPi = nn.Scale(nn.Sum(logP), 1/float32(b))
	p.loss = nn.Sub(nn.Scale(nn.Sum(nn.Mul(p.alpha.Node, logP)), 1/float32(b)), p.qPi)
	if p.prog, err = g.Compile(p.loss, a.actorParams()); err != nil {
		return fmt.Errorf("sac: actor graph: %w", err)
	}
	return nil
}

// logProbGraph is the per-dimension log-density of tanh(u), u = μ + σ·ε,
// as nodes of g (batch × |A|); summing a row gives log π(a|s):
//
//	log N(u; μ, σ) = −ε²/2 − log σ − ½·log 2π   ((u − μ)/σ is ε exactly)
//	log(1 − tanh(u)²) = 2·(log 2 − u − softplus(−2u)).
func logProbGraph(g *nn.Graph, u, logStd, eps *nn.Node) *nn.Node {
	gauss := nn.Sub(nn.Sub(nn.Scale(nn.Square(eps), -0.5), logStd), g.Const(float32(logSqrt2Pi)))
	squash := nn.Add(nn.Scale(nn.Add(u, softplusGraph(g, nn.Scale(u, -2))), -2),
		g.Const(float32(2*math.Ln2)))
	return nn.Sub(gauss, squash)
}

// softplusGraph is log(1 + eˣ) written as relu(x) + log(1 + e^(−|x|)),
// which neither overflows for large x nor loses x for large negative x.
func softplusGraph(g *nn.Graph, x *nn.Node) *nn.Node {
	tail := nn.Log(nn.Add(nn.Exp(nn.Neg(nn.Abs(x))), g.Const(1)))
	return nn.Add(nn.Relu(x), tail)
}

// logSqrt2Pi is ½·log(2π), the constant of a Gaussian's log-density.
var logSqrt2Pi = 0.5 * math.Log(2*math.Pi)

// MetricNames lists the keys Update reports, in CSV order. entropy is
// −mean_B log π(ã|s), which the temperature step drives towards H̄: α
// grows while the entropy is below H̄ and shrinks while it is above.
func (a *Agent) MetricNames() []string {
	return []string{"critic_loss", "q_mean", "actor_loss", "entropy", "alpha", "alpha_loss"}
}

// Alpha is the current temperature α = exp(log α).
func (a *Agent) Alpha() float64 { return math.Exp(float64(a.logAlpha.Value[0])) }

// TargetEntropy is H̄ = target_entropy_per_dim·|A|.
func (a *Agent) TargetEntropy() float64 {
	return a.cfg.TargetEntropyPerDim * float64(a.spec.ActDim)
}

// Update performs one SAC iteration on a batch of raw states and actions
// in environment units: critics, actor, temperature, targets. Noise for
// a' ~ π(·|s') and for the reparameterised ã comes from rng. The returned
// map is the agent's own and changes with the next Update.
func (a *Agent) Update(batch *replay.Batch, rng *rand.Rand) (agents.Metrics, error) {
	if batch.Size != a.spec.BatchSize {
		return nil, fmt.Errorf("sac: batch of %d, graphs compiled for %d",
			batch.Size, a.spec.BatchSize)
	}
	a.totalIt++
	n, od, ad := batch.Size, a.spec.ObsDim, a.spec.ActDim
	alpha := float32(a.Alpha())

	// a' ~ π(·|s') and log π(a'|s') for the soft target (eq. 3).
	a.sample(&a.next, batch.NextObs, n, rng, a.scratch.nextAct, a.scratch.nextLogP)

	// Soft clipped double-Q target (eqs. 5, 7):
	//   y = r + γ·(1 − terminal)·(min(Q̄1, Q̄2)(s', a') − α·log π(a'|s')).
	gamma := float32(a.cfg.Gamma)
	nn.ConcatRows(a.scratch.sa, batch.NextObs, a.scratch.nextAct, n, od, ad)
	q1t := a.target.q1.Run(a.scratch.sa, n)
	q2t := a.target.q2.Run(a.scratch.sa, n)
	for i := range n {
		soft := min(q1t[i], q2t[i]) - alpha*a.scratch.nextLogP[i]
		a.critic.y.Data[i] = batch.Rewards[i] + gamma*batch.Mask[i]*soft
	}

	// Critic step on L_Q = mse(Q1(s,a), y) + mse(Q2(s,a), y) (eq. 5).
	copy(a.critic.s.Data, batch.Obs)
	copy(a.critic.a.Data, batch.Actions)
	if err := a.critic.prog.Run(); err != nil {
		return nil, fmt.Errorf("sac: critic step %d: %w", a.totalIt, err)
	}
	a.criticOpt.Update()

	// Actor step on L_π = mean(α·log π(ã|s) − min Q(s, ã)), ã = tanh(μ + σ·ε)
	// (eq. 12 with the reparameterisation of eq. 11).
	copy(a.actor.s.Data, batch.Obs)
	for i := range a.actor.eps.Data {
		a.actor.eps.Data[i] = float32(rng.NormFloat64())
		a.actor.alpha.Data[i] = alpha
	}
	if err := a.actor.prog.Run(); err != nil {
		return nil, fmt.Errorf("sac: actor step %d: %w", a.totalIt, err)
	}
	a.actorOpt.Update()

	// Temperature step on L_α = −mean(log α·(log π(ã|s) + H̄)) (eq. 18),
	// whose gradient in log α is −(mean log π + H̄); log π is the actor
	// step's, taken before that step.
	logPi := float64(a.actor.logPi.Scalar())
	gap := logPi + a.TargetEntropy()
	a.logAlpha.Grad[0] = float32(-gap)
	alphaLoss := -float64(a.logAlpha.Value[0]) * gap
	a.alphaOpt.Update()

	// Targets: Q̄ ← τ·Q + (1 − τ)·Q̄.
	tau := float32(a.cfg.Tau)
	nn.SoftUpdate(a.q1Tgt.Params(), a.q1.Params(), tau)
	nn.SoftUpdate(a.q2Tgt.Params(), a.q2.Params(), tau)

	return a.record(logPi, alphaLoss)
}

// record stores the update's metrics and refuses a diverged update.
func (a *Agent) record(logPi, alphaLoss float64) (agents.Metrics, error) {
	a.last["critic_loss"] = float64(a.critic.loss.Scalar())
	a.last["q_mean"] = float64(a.critic.qMean.Scalar())
	a.last["actor_loss"] = float64(a.actor.loss.Scalar())
	a.last["entropy"] = -logPi
	a.last["alpha"] = a.Alpha()
	a.last["alpha_loss"] = alphaLoss
	for _, k := range a.MetricNames() {
		if v := a.last[k]; math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("sac: update %d diverged: %s = %v", a.totalIt, k, v)
		}
	}
	return a.last, nil
}

// sample draws rows actions a = max_action·tanh(μ(s) + σ(s)·ε) for the
// observations x (rows × ObsDim) into act, and their log π(a|s) (of the
// unit-box action tanh(u)) into logP. ε comes from rng, row by row.
func (a *Agent) sample(f *policyForward, x []float32, rows int, rng *rand.Rand,
	act, logP []float32) {
	ad := a.spec.ActDim
	h := f.trunk.Run(x, rows)
	mu, ls := f.mu.Run(h, rows), f.logStd.Run(h, rows)
	for i := range rows {
		var lp float64
		for j := range ad {
			k := i*ad + j
			logStd := math.Min(math.Max(float64(ls[k]), a.cfg.LogStdMin), a.cfg.LogStdMax)
			eps := rng.NormFloat64()
			u := float64(mu[k]) + math.Exp(logStd)*eps
			lp += LogProb(u, eps, logStd)
			act[k] = float32(math.Tanh(u) * a.spec.MaxAction)
		}
		logP[i] = float32(lp)
	}
}

// LogProb is one action dimension's share of log π(a|s) for a = tanh(u),
// u = μ + σ·ε, log σ = logStd: the Gaussian log-density of u minus the
// log-Jacobian of the squash, in the stable form
//
//	−ε²/2 − log σ − ½·log 2π − 2·(log 2 − u − softplus(−2u)).
func LogProb(u, eps, logStd float64) float64 {
	return -0.5*eps*eps - logStd - logSqrt2Pi - 2*(math.Ln2-u-softplus(-2*u))
}

// softplus is log(1 + eˣ) without overflow or cancellation.
func softplus(x float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) }

// Act writes the deterministic evaluation action max_action·tanh(μ(s))
// for a raw observation. It is safe for concurrent use between updates.
func (a *Agent) Act(obs []float64, action []float64) {
	f := a.acting.Get().(*policyForward)
	defer a.acting.Put(f)
	for i, v := range obs {
		f.x[i] = float32(v)
	}
	mu := f.mu.Run(f.trunk.Run(f.x, 1), 1)
	for i, v := range mu {
		action[i] = math.Tanh(float64(v)) * a.spec.MaxAction
	}
}

// Sample writes a stochastic action max_action·tanh(μ(s) + σ(s)·ε),
// ε ~ N(0, I) from rng, for a raw observation: the exploration policy of
// online training and of dataset collection. A non-finite observation or
// action (diverged weights) is an error naming the index; action is then
// left with what was computed. Sample is safe for concurrent use between
// updates when each goroutine has its own rng.
func (a *Agent) Sample(obs []float64, action []float64, rng *rand.Rand) error {
	if len(obs) != a.spec.ObsDim || len(action) != a.spec.ActDim {
		return fmt.Errorf("sac: Sample with %d observations and %d actions, want %d and %d",
			len(obs), len(action), a.spec.ObsDim, a.spec.ActDim)
	}
	f := a.acting.Get().(*policyForward)
	defer a.acting.Put(f)
	for i, v := range obs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("sac: observation[%d] = %v, want a finite value", i, v)
		}
		f.x[i] = float32(v)
	}
	a.sample(f, f.x, 1, rng, f.act, f.logP)
	for i, v := range f.act {
		action[i] = float64(v)
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("sac: policy gave action[%d] = %v for a finite observation; "+
				"its weights have diverged", i, v)
		}
	}
	return nil
}

// fileName is the agent's checkpoint inside a directory.
const fileName = agents.CheckpointFile

// optims lists the optimisers with their checkpoint prefixes, in a fixed
// order.
func (a *Agent) optims() []agents.Optim {
	return []agents.Optim{{Prefix: "actor_optim", State: a.actorOpt}, {Prefix: "critic_optim", State: a.criticOpt},
		{Prefix: "alpha_optim", State: a.alphaOpt}}
}

// allParams lists every saved tensor of the networks and log α, in a
// fixed order.
func (a *Agent) allParams() nn.Params {
	ps := a.actorParams()
	for _, m := range []*nn.MLP{a.q1, a.q2, a.q1Tgt, a.q2Tgt} {
		ps = append(ps, m.Params()...)
	}
	return append(ps, a.logAlpha)
}

// checkpoint lists what Save writes and Load restores: every network and
// target, log α, the three optimisers, the iteration count, the
// configuration and the last metrics.
func (a *Agent) checkpoint() agents.Checkpoint {
	return agents.Checkpoint{Algo: "sac", Params: a.allParams(), Optims: a.optims(),
		Iter: &a.totalIt, Config: a.cfg, Last: &a.last}
}

// Save writes the agent's whole state to dir/agent.safetensors, atomically.
func (a *Agent) Save(dir string) error { return a.checkpoint().Save(dir) }

// Load restores a state written by Save; the error names what is missing
// or malformed.
func (a *Agent) Load(dir string) error { return a.checkpoint().Load(dir) }
