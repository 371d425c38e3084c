// Package a2pr implements A2PR, Adaptive Advantage-guided Policy
// Regularization: Tenglong Liu, Yang Li, Yixing Lan, Hao Gao, Wei Pan and
// Xin Xu, "Adaptive Advantage-Guided Policy Regularization for Offline
// Reinforcement Learning", ICML 2024, arXiv:2405.19909.
//
// A2PR is TD3+BC (Fujimoto and Gu 2021) whose behaviour-cloning target is
// chosen per sample by advantage (§4.2 of the paper): either the dataset
// action a or the action ã that an "advantage-weighted" conditional VAE
// (§4.1, package vae) reconstructs from the policy's own action,
// whichever has the larger advantage A(s, ·) = Q1(s, ·) − V(s); the BC term
// is switched off where neither has a non-negative advantage:
//
//	π = argmin_π  −λ·mean Q1(s, π(s)) + mean_(b,j) c_b·(π(s)_bj − â*_bj)²,
//	λ = α / sg(mean |Q1(s, π(s))|),
//	â* = ã if A(s, ã) ≥ A(s, a) else a,
//	c  = mask·(1[Q1(s, ã) ≥ V(s)] + 1[Q1(s, a) > V(s)])   (a sum: 0, mask or 2·mask).
//
// The critics are TD3's twin critics with target policy smoothing; V is
// regressed on the smaller of the TD targets of the target and of the
// online critic; the VAE reconstructs only actions with Q1(s, a) > V(s).
// Every detail the paper leaves open follows the authors' reference code
// (ltlhuuu/A2PR: A2PR.py, utils/config.py): the order of the five steps of
// [Agent.Update], V(s) taken before the value step, Q1 of the online
// critic after its step, means over batch × action dimensions, and the
// target â* not detached, so that gradient reaches the actor through the
// VAE (Config.DetachTarget offers the detached variant).
//
// Only the terminals flag stops bootstrapping: a time-limit end bootstraps
// like any other row (specs: a timeout is not an absorbing state).
package a2pr

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"offrl/agents"
	"offrl/nn"
	"offrl/replay"
	"offrl/vae"
)

// Config holds the A2PR hyper-parameters. Defaults are the reference
// code's (ltlhuuu/A2PR utils/config.py and A2PR.py); the per-environment
// values of its README are in configs/a2pr.
type Config struct {
	// Gamma is γ, the discount; 0.99 (README: 0.995 for hopper).
	Gamma float64 `json:"gamma" yaml:"gamma"`
	// Tau is τ, the target network update rate; 0.005.
	Tau float64 `json:"tau" yaml:"tau"`
	// PolicyNoise and NoiseClip are the target smoothing noise's std and
	// clip, in units of the maximum action; 0.2 and 0.5.
	PolicyNoise float64 `json:"policy_noise" yaml:"policy_noise"`
	NoiseClip   float64 `json:"noise_clip" yaml:"noise_clip"`
	// PolicyFreq is the number of iterations per actor update; 2.
	PolicyFreq int `json:"policy_freq" yaml:"policy_freq"`
	// Alpha is α, which sets λ = α / mean|Q1|; 2.5 (README: 40 for
	// halfcheetah).
	Alpha float64 `json:"alpha" yaml:"alpha"`
	// Mask scales the BC weight c; 0.5 (README: halfcheetah 1.0, hopper
	// 0.4, walker2d 1.0).
	Mask float64 `json:"mask" yaml:"mask"`
	// VAEWeight scales the VAE's reconstruction weight of positive-
	// advantage rows; 1.0 (README: walker2d 1.5).
	VAEWeight float64 `json:"vae_weight" yaml:"vae_weight"`
	// ActorLR, CriticLR and ValueLR are the Adam step sizes; 3e-4 each.
	ActorLR  float64 `json:"actor_lr" yaml:"actor_lr"`
	CriticLR float64 `json:"critic_lr" yaml:"critic_lr"`
	ValueLR  float64 `json:"value_lr" yaml:"value_lr"`
	// ActorHidden are the actor's hidden widths, [256, 256, 256];
	// CriticHidden those of each critic head and ValueHidden those of V,
	// [256, 256, 256, 256] (core/network/actor.py, critic.py).
	ActorHidden  []int `json:"actor_hidden" yaml:"actor_hidden"`
	CriticHidden []int `json:"critic_hidden" yaml:"critic_hidden"`
	ValueHidden  []int `json:"value_hidden" yaml:"value_hidden"`
	// VAE configures the advantage-weighted VAE (750-750, lr 1e-3).
	VAE vae.Config `json:"vae" yaml:"vae"`
	// DetachTarget stops the gradient at the BC target â*; false, as the
	// reference code, where gradient flows through ã = VAE(s, π(s)).
	DetachTarget bool `json:"detach_target" yaml:"detach_target"`
	// NormalizeStates turns on the state normalisation; true.
	NormalizeStates bool `json:"normalize_states" yaml:"normalize_states"`
}

// DefaultConfig returns the reference code's hyper-parameters.
func DefaultConfig() Config {
	return Config{
		Gamma: 0.99, Tau: 0.005, PolicyNoise: 0.2, NoiseClip: 0.5, PolicyFreq: 2,
		Alpha: 2.5, Mask: 0.5, VAEWeight: 1.0,
		ActorLR: 3e-4, CriticLR: 3e-4, ValueLR: 3e-4,
		ActorHidden:  []int{256, 256, 256},
		CriticHidden: []int{256, 256, 256, 256},
		ValueHidden:  []int{256, 256, 256, 256},
		VAE:          vae.DefaultConfig(), NormalizeStates: true,
	}
}

// Validate checks every field and names the first bad key and value.
func (c Config) Validate() error {
	switch {
	case !(c.Gamma >= 0 && c.Gamma <= 1):
		return fmt.Errorf("config: gamma = %v, must be in [0, 1]", c.Gamma)
	case !(c.Tau > 0 && c.Tau <= 1):
		return fmt.Errorf("config: tau = %v, must be in (0, 1]", c.Tau)
	case !(c.PolicyNoise >= 0) || math.IsInf(c.PolicyNoise, 0):
		return fmt.Errorf("config: policy_noise = %v, must be finite and ≥ 0", c.PolicyNoise)
	case !(c.NoiseClip >= 0) || math.IsInf(c.NoiseClip, 0):
		return fmt.Errorf("config: noise_clip = %v, must be finite and ≥ 0", c.NoiseClip)
	case c.PolicyFreq < 1:
		return fmt.Errorf("config: policy_freq = %d, must be ≥ 1", c.PolicyFreq)
	case !(c.Alpha > 0) || math.IsInf(c.Alpha, 0):
		return fmt.Errorf("config: alpha = %v, must be finite and > 0", c.Alpha)
	case !(c.Mask >= 0) || math.IsInf(c.Mask, 0):
		return fmt.Errorf("config: mask = %v, must be finite and ≥ 0", c.Mask)
	case !(c.VAEWeight >= 0) || math.IsInf(c.VAEWeight, 0):
		return fmt.Errorf("config: vae_weight = %v, must be finite and ≥ 0", c.VAEWeight)
	case !(c.ActorLR > 0):
		return fmt.Errorf("config: actor_lr = %v, must be > 0", c.ActorLR)
	case !(c.CriticLR > 0):
		return fmt.Errorf("config: critic_lr = %v, must be > 0", c.CriticLR)
	case !(c.ValueLR > 0):
		return fmt.Errorf("config: value_lr = %v, must be > 0", c.ValueLR)
	}
	for _, h := range []struct {
		key    string
		widths []int
	}{{"actor_hidden", c.ActorHidden}, {"critic_hidden", c.CriticHidden},
		{"value_hidden", c.ValueHidden}} {
		if len(h.widths) == 0 {
			return fmt.Errorf("config: %s is empty, want at least one layer width", h.key)
		}
		for i, w := range h.widths {
			if w < 1 {
				return fmt.Errorf("config: %s[%d] = %d, must be ≥ 1", h.key, i, w)
			}
		}
	}
	return c.VAE.Validate()
}

// MemoryBytes estimates the memory an agent with this configuration
// needs: every trained parameter four times over (value, gradient, two
// Adam moments), the targets once, and about ten batch-sized activations
// per hidden unit of each update graph.
func MemoryBytes(cfg Config, spec Spec) int64 {
	params := func(in int, hidden []int, out int) int64 {
		n, prev := int64(0), int64(in)
		for _, h := range hidden {
			n += prev*int64(h) + int64(h)
			prev = int64(h)
		}
		return n + prev*int64(out) + int64(out)
	}
	od, ad := spec.ObsDim, spec.ActDim
	actor := params(od, cfg.ActorHidden, ad)
	critic := params(od+ad, cfg.CriticHidden, 1)
	value := params(od, cfg.ValueHidden, 1)
	v := params(od+ad, cfg.VAE.Hidden, 4*ad) + params(od+2*ad, cfg.VAE.Hidden, ad)
	trained := actor + 2*critic + value + v
	var widths int64
	for _, hs := range [][]int{cfg.ActorHidden, cfg.CriticHidden, cfg.CriticHidden,
		cfg.ValueHidden, cfg.VAE.Hidden, cfg.VAE.Hidden} {
		for _, h := range hs {
			widths += int64(h)
		}
	}
	activations := 4 * 10 * int64(spec.BatchSize) * widths
	return 4 * (4*trained + actor + 2*critic + activations)
}

// Spec describes the problem: widths, the action bound and the batch size
// the update graphs are compiled for.
type Spec struct {
	ObsDim, ActDim int
	MaxAction      float64 // actions lie in [−MaxAction, MaxAction]
	BatchSize      int
}

// Agent is an A2PR learner. Symbols follow the specification: π the
// actor, Q1 and Q2 the twin critics, V the value, π' and Q' the targets.
type Agent struct {
	cfg  Config
	spec Spec

	actor, actorTarget          *nn.MLP
	q1, q2, q1Tgt, q2Tgt, value *nn.MLP
	vae                         *vae.VAE
	actorOpt, criticOpt         *nn.Adam
	valueOpt                    *nn.Adam
	norm                        agents.StateNorm // state normalisation, fitted in Prepare
	// totalIt counts iterations; the actor trains when totalIt % policy_freq == 0.
	totalIt int64

	critic criticStep
	val    valueStep
	policy actorStep
	fwd    struct{ actorTgt, q1Tgt, q2Tgt, q1, q2 *nn.Forward }
	// Per-batch scratch: a' (next actions), (s, a) rows, the target y,
	// Q1(s, a) after the critic step, V(s) before the value step and the
	// VAE's per-row weights.
	scratch struct{ nextAct, sa, y, qData, vs, vaeW []float32 }
	acting  sync.Pool // *nn.Forward of batch 1, one per concurrent Act
	last    agents.Metrics
}

// criticStep is the compiled critic update: inputs s, a and the target y.
type criticStep struct {
	prog        *nn.Program
	s, a, y     *nn.Input
	loss, qMean *nn.Node
}

// valueStep is the compiled value update: inputs s and the target t.
type valueStep struct {
	prog    *nn.Program
	s, t    *nn.Input
	v, loss *nn.Node
}

// actorStep is the compiled actor update, selection included. Inputs: s,
// the dataset action a, the VAE noise ε, and per row Q1(s, a) and V_s.
// The program computes ã and Q1(s, ã) in its forward pass, selects per
// row from them, and takes the loss's gradient; the selection carries
// none.
type actorStep struct {
	prog                 *nn.Program
	s, a, eps            *nn.Input
	qData, vs            *nn.Input
	recon, qVAE          *nn.Node // ã = VAE(s, π(s); ε) and Q1(s, ã)
	selVAE, c            *nn.Node // per row: 1[â* = ã] and the weight c
	pi                   *nn.Node // max_action·π(s)
	loss, bc, lambda, qπ *nn.Node
}

// New builds the networks (initialised from rng as PyTorch's nn.Linear),
// the actor and critic targets, the optimisers, and compiles the update
// graphs.
func New(cfg Config, spec Spec, rng *rand.Rand) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if spec.ObsDim < 1 || spec.ActDim < 1 || spec.BatchSize < 1 || !(spec.MaxAction > 0) {
		return nil, fmt.Errorf("a2pr: spec %+v needs positive widths, batch size and max action",
			spec)
	}
	a := &Agent{cfg: cfg, spec: spec}
	od, ad, b := spec.ObsDim, spec.ActDim, spec.BatchSize
	sizes := func(in int, hidden []int, out int) []int {
		return append(append([]int{in}, hidden...), out)
	}
	actorSizes := sizes(od, cfg.ActorHidden, ad)
	criticSizes := sizes(od+ad, cfg.CriticHidden, 1)
	a.actor = nn.NewMLP("actor", actorSizes, nn.ReLU, nn.Tanh, rng)
	a.q1 = nn.NewMLP("critic.q1", criticSizes, nn.ReLU, nn.Identity, rng)
	a.q2 = nn.NewMLP("critic.q2", criticSizes, nn.ReLU, nn.Identity, rng)
	a.value = nn.NewMLP("value", sizes(od, cfg.ValueHidden, 1), nn.ReLU, nn.Identity, rng)
	a.actorTarget = nn.NewMLP("actor_target", actorSizes, nn.ReLU, nn.Tanh, rng)
	a.q1Tgt = nn.NewMLP("critic_target.q1", criticSizes, nn.ReLU, nn.Identity, rng)
	a.q2Tgt = nn.NewMLP("critic_target.q2", criticSizes, nn.ReLU, nn.Identity, rng)
	for _, p := range [][2]*nn.MLP{{a.actorTarget, a.actor}, {a.q1Tgt, a.q1}, {a.q2Tgt, a.q2}} {
		if err := p[0].Params().CopyFrom(p[1].Params()); err != nil {
			return nil, err
		}
	}
	var err error
	a.vae, err = vae.New(cfg.VAE, vae.Spec{ObsDim: od, ActDim: ad, MaxAction: spec.MaxAction,
		BatchSize: b}, rng)
	if err != nil {
		return nil, fmt.Errorf("a2pr: %w", err)
	}
	a.actorOpt = nn.NewAdam(a.actor.Params(), cfg.ActorLR)
	a.criticOpt = nn.NewAdam(a.criticParams(), cfg.CriticLR)
	a.valueOpt = nn.NewAdam(a.value.Params(), cfg.ValueLR)

	a.norm = agents.NewStateNorm(od)
	if err := a.compile(); err != nil {
		return nil, err
	}
	a.fwd.actorTgt = a.actorTarget.NewForward(b)
	a.fwd.q1Tgt, a.fwd.q2Tgt = a.q1Tgt.NewForward(b), a.q2Tgt.NewForward(b)
	a.fwd.q1, a.fwd.q2 = a.q1.NewForward(b), a.q2.NewForward(b)
	s := &a.scratch
	s.nextAct, s.sa = make([]float32, b*ad), make([]float32, b*(od+ad))
	s.y, s.qData, s.vs, s.vaeW = make([]float32, b), make([]float32, b), make([]float32, b),
		make([]float32, b)
	a.acting.New = func() any { return a.actor.NewForward(1) }
	a.last = agents.Metrics{}
	for _, k := range a.MetricNames() {
		a.last[k] = 0
	}
	return a, nil
}

func (a *Agent) criticParams() nn.Params {
	return append(append(nn.Params{}, a.q1.Params()...), a.q2.Params()...)
}

// compile builds the four graphs once.
func (a *Agent) compile() error {
	b, od, ad, l := a.spec.BatchSize, a.spec.ObsDim, a.spec.ActDim, a.vae.LatentDim()
	maxA := float32(a.spec.MaxAction)
	var err error

	// Step 1: L_Q = mse(Q1(s,a), y) + mse(Q2(s,a), y).
	g := nn.NewGraph()
	c := &a.critic
	c.s, c.a, c.y = g.Input("s", b, od), g.Input("a", b, ad), g.Input("y", b, 1)
	sa := nn.Concat(c.s.Node, c.a.Node)
	q1 := a.q1.Apply(g, sa)
	c.loss = nn.Add(nn.MSE(q1, c.y.Node), nn.MSE(a.q2.Apply(g, sa), c.y.Node))
	c.qMean = nn.Mean(q1)
	if c.prog, err = g.Compile(c.loss, a.criticParams()); err != nil {
		return fmt.Errorf("a2pr: critic graph: %w", err)
	}

	// Step 2: L_V = mse(V(s), t).
	g = nn.NewGraph()
	v := &a.val
	v.s, v.t = g.Input("s", b, od), g.Input("t", b, 1)
	v.v = a.value.Apply(g, v.s.Node)
	v.loss = nn.MSE(v.v, v.t.Node)
	if v.prog, err = g.Compile(v.loss, a.value.Params()); err != nil {
		return fmt.Errorf("a2pr: value graph: %w", err)
	}

	// Step 4, actor: ã = VAE(s, π(s); ε) and Q1(s, ã) select per row
	// (selectTarget); then L_π = −λ·mean Q1(s, π(s)) + mean_(b,j) c⊙(π(s) − â*)²,
	// λ = α / sg(mean|Q1(s, π(s))|), â* = ã⊙1[â*=ã] + a⊙1[â*=a].
	g = nn.NewGraph()
	q := &a.policy
	q.s, q.a, q.eps = g.Input("s", b, od), g.Input("a", b, ad), g.Input("eps", b, l)
	q.qData, q.vs = g.Input("q_data", b, 1), g.Input("v_s", b, 1)
	q.pi = nn.Scale(a.actor.Apply(g, q.s.Node), maxA)
	q.qπ = a.q1.Apply(g, nn.Concat(q.s.Node, q.pi))
	q.lambda = nn.Div(g.Const(float32(a.cfg.Alpha)), nn.StopGradient(nn.Mean(nn.Abs(q.qπ))))
	// ã carries gradient to π through the VAE unless DetachTarget.
	q.recon, _, _ = a.vae.Apply(g, q.s.Node, q.pi, q.eps.Node)
	if a.cfg.DetachTarget {
		q.recon = nn.StopGradient(q.recon)
	}
	q.qVAE = a.q1.Apply(g, nn.Concat(q.s.Node, nn.StopGradient(q.recon)))
	q.selVAE, q.c = selectTarget(q.qVAE, q.qData.Node, q.vs.Node, float32(a.cfg.Mask))
	// Per-row values to rows × act: a product with a row of ones is exact.
	ones := g.Input("ones", 1, ad)
	for i := range ones.Data {
		ones.Data[i] = 1
	}
	perElem := func(x *nn.Node) *nn.Node { return nn.MatMul(x, ones.Node) }
	selData := nn.Sub(g.Const(1), q.selVAE)
	target := nn.Add(nn.Mul(q.recon, perElem(q.selVAE)), nn.Mul(q.a.Node, perElem(selData)))
	q.bc = nn.Mean(nn.Mul(perElem(q.c), nn.Square(nn.Sub(q.pi, target))))
	q.loss = nn.Add(nn.Neg(nn.Mul(q.lambda, nn.Mean(q.qπ))), q.bc)
	if q.prog, err = g.Compile(q.loss, a.actor.Params()); err != nil {
		return fmt.Errorf("a2pr: actor graph: %w", err)
	}
	return nil
}

// Prepare normalises the states of buf in place with their mean and
// deviation (+10⁻³, spec §0.2) and keeps both for acting, when the
// configuration asks for it. Call it once, before the first update.
func (a *Agent) Prepare(buf *replay.Buffer) error {
	if buf.ObsDim() != a.spec.ObsDim || buf.ActDim() != a.spec.ActDim {
		return fmt.Errorf("a2pr: buffer widths %d/%d, agent %d/%d",
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
	return []string{"critic_loss", "value_loss", "vae_loss", "vae_recon", "vae_kl",
		"actor_loss", "bc_loss", "lambda", "q_mean", "adv_vae_share", "bc_weight_mean"}
}

// Update performs one A2PR iteration (spec §3.2, steps 1–5) on a batch of
// normalised states. Actor metrics keep their last value on iterations
// without an actor step. The returned map is the agent's own and changes
// with the next Update.
func (a *Agent) Update(batch *replay.Batch, rng *rand.Rand) (agents.Metrics, error) {
	if batch.Size != a.spec.BatchSize {
		return nil, fmt.Errorf("a2pr: batch of %d, graphs compiled for %d",
			batch.Size, a.spec.BatchSize)
	}
	a.totalIt++
	n, od, ad := batch.Size, a.spec.ObsDim, a.spec.ActDim
	gamma := float32(a.cfg.Gamma)
	s := &a.scratch

	// 1. Critic: y = r + m·γ·min(Q1'(s', a'), Q2'(s', a')) with the
	//    smoothed target action a' (criticTarget), then a step on
	//    L_Q = mse(Q1(s,a), y) + mse(Q2(s,a), y).
	a.criticTarget(batch, rng)
	copy(a.critic.y.Data, s.y)
	copy(a.critic.s.Data, batch.Obs)
	copy(a.critic.a.Data, batch.Actions)
	if err := a.critic.prog.Run(); err != nil {
		return nil, fmt.Errorf("a2pr: critic step %d: %w", a.totalIt, err)
	}
	a.criticOpt.Update()
	a.last["critic_loss"] = float64(a.critic.loss.Scalar())
	a.last["q_mean"] = float64(a.critic.qMean.Scalar())

	// 2. Value, with the just-updated online critic and the same a':
	//    y2 = r + m·γ·min(Q1(s', a'), Q2(s', a')),  t = min(y2, y);
	//    V_s = V(s) before the step (kept for steps 3 and 4); step on mse(V_s, t).
	q1n := a.fwd.q1.Run(s.sa, n)
	for i := range n {
		a.val.t.Data[i] = q1n[i]
	}
	q2n := a.fwd.q2.Run(s.sa, n)
	for i := range n {
		y2 := batch.Rewards[i] + gamma*batch.Mask[i]*min(a.val.t.Data[i], q2n[i])
		a.val.t.Data[i] = min(y2, s.y[i])
	}
	copy(a.val.s.Data, batch.Obs)
	if err := a.val.prog.Run(); err != nil {
		return nil, fmt.Errorf("a2pr: value step %d: %w", a.totalIt, err)
	}
	copy(s.vs, a.val.v.Value()) // computed by the forward pass, before the step
	a.valueOpt.Update()
	a.last["value_loss"] = float64(a.val.loss.Scalar())

	// Q1(s, a) of the online critic after its step (§3.5), for 3 and 4.
	nn.ConcatRows(s.sa, batch.Obs, batch.Actions, n, od, ad)
	copy(s.qData, a.fwd.q1.Run(s.sa, n))

	// 3. Advantage-weighted VAE: w = vae_weight·1[Q1(s,a) > V_s];
	//    L_VAE = mean_(b,j) w⊙(â − a)² + 0.5·KL (package vae).
	for i := range n {
		s.vaeW[i] = float32(a.cfg.VAEWeight) * indicator(s.qData[i] > s.vs[i])
	}
	vl, err := a.vae.Update(batch.Obs, batch.Actions, s.vaeW, rng)
	if err != nil {
		return nil, fmt.Errorf("a2pr: VAE step %d: %w", a.totalIt, err)
	}
	a.last["vae_loss"], a.last["vae_recon"], a.last["vae_kl"] = vl.Loss, vl.Recon, vl.KL

	// 4. Actor, every policy_freq iterations.
	if a.totalIt%int64(a.cfg.PolicyFreq) == 0 {
		if err := a.actorStep(batch, rng); err != nil {
			return nil, err
		}
		// Polyak targets θ' ← τθ + (1 − τ)θ' after the actor step.
		tau := float32(a.cfg.Tau)
		nn.SoftUpdate(a.q1Tgt.Params(), a.q1.Params(), tau)
		nn.SoftUpdate(a.q2Tgt.Params(), a.q2.Params(), tau)
		nn.SoftUpdate(a.actorTarget.Params(), a.actor.Params(), tau)
	}
	// 5. Gradients of L_π on critic and VAE parameters are never written:
	//    the actor program only fills the actor's gradients.

	for _, k := range []string{"critic_loss", "value_loss", "vae_loss", "actor_loss"} {
		if !isFinite(a.last[k]) {
			return nil, fmt.Errorf("a2pr: update %d diverged: %s = %v", a.totalIt, k, a.last[k])
		}
	}
	return a.last, nil
}

// criticTarget writes the smoothed next actions a' to scratch.nextAct,
// the rows (s', a') to scratch.sa and the TD target y to scratch.y (step 1;
// TD3 §5.1 and §5.3):
//
//	a' = clip(π'(s') + clip(ε, −0.5·max, 0.5·max), −max, max),  ε ~ N(0, (0.2·max)²),
//	y  = r + m·γ·min(Q1'(s', a'), Q2'(s', a')),  m = 1 − terminal.
func (a *Agent) criticTarget(batch *replay.Batch, rng *rand.Rand) {
	n, od, ad, s := batch.Size, a.spec.ObsDim, a.spec.ActDim, &a.scratch
	maxA, gamma := float32(a.spec.MaxAction), float32(a.cfg.Gamma)
	sigma, clip := a.cfg.PolicyNoise*a.spec.MaxAction, a.cfg.NoiseClip*a.spec.MaxAction
	next := a.fwd.actorTgt.Run(batch.NextObs, n)
	for i, v := range next {
		eps := clamp(rng.NormFloat64()*sigma, -clip, clip)
		s.nextAct[i] = clamp32(v*maxA+float32(eps), -maxA, maxA)
	}
	nn.ConcatRows(s.sa, batch.NextObs, s.nextAct, n, od, ad)
	q1t := a.fwd.q1Tgt.Run(s.sa, n)
	q2t := a.fwd.q2Tgt.Run(s.sa, n)
	for i := range n {
		s.y[i] = batch.Rewards[i] + gamma*batch.Mask[i]*min(q1t[i], q2t[i])
	}
}

// actorStep is step 4 of §3.2: one program computes π_s, ã = VAE(s, π_s)
// in encoder+decoder mode with one fresh z sample and Q1(s, ã) from the
// current actor, VAE (after step 3) and critic, selects â* and c per row,
// and takes the gradient of L_π = −λ·mean Q1(s, π_s) + mean_(b,j) c⊙(π_s − â*)²;
// then Adam on the actor.
func (a *Agent) actorStep(batch *replay.Batch, rng *rand.Rand) error {
	n, s, q := batch.Size, &a.scratch, &a.policy
	for i := range q.eps.Data {
		q.eps.Data[i] = float32(rng.NormFloat64())
	}
	copy(q.s.Data, batch.Obs)
	copy(q.a.Data, batch.Actions)
	copy(q.qData.Data, s.qData)
	copy(q.vs.Data, s.vs)
	if err := q.prog.Run(); err != nil {
		return fmt.Errorf("a2pr: actor step %d: %w", a.totalIt, err)
	}
	a.actorOpt.Update()
	var chosen, weight float64
	for i, c := range q.c.Value() {
		chosen += float64(q.selVAE.Value()[i])
		weight += float64(c)
	}
	a.last["adv_vae_share"] = chosen / float64(n)
	a.last["bc_weight_mean"] = weight / float64(n)
	a.last["actor_loss"] = float64(q.loss.Scalar())
	a.last["bc_loss"] = float64(q.bc.Scalar())
	a.last["lambda"] = float64(q.lambda.Scalar())
	return nil
}

// selectTarget adds the per-row rule of step 4 to a graph, for per-row
// Q1(s, ã), Q1(s, a) and V (rows × 1): A_vae = Q1(s,ã) − V and
// A_data = Q1(s,a) − V against the same V; selVAE = 1[A_vae ≥ A_data]
// (â* = ã, ties to ã as the reference's 1[A_vae ≥ A_data], else a) and
// the weight c = mask·(1[Q1(s,ã) ≥ V] + 1[Q1(s,a) > V]) ∈ {0, mask, 2·mask}.
// Neither carries gradient.
func selectTarget(qVAE, qData, v *nn.Node, mask float32) (selVAE, c *nn.Node) {
	selVAE = nn.GreaterEqual(nn.Sub(qVAE, v), nn.Sub(qData, v))
	c = nn.Scale(nn.Add(nn.GreaterEqual(qVAE, v), nn.Greater(qData, v)), mask)
	return selVAE, c
}

func indicator(b bool) float32 {
	if b {
		return 1
	}
	return 0
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
	return agents.AddExplorationNoise("a2pr", obs, action, a.spec.MaxAction, rng)
}

// fileName is the agent's checkpoint inside a directory.
const fileName = agents.CheckpointFile

// checkpoint lists what Save writes and Load restores: every network and
// target, the state normaliser, the actor's, critics' and value's
// optimisers, the VAE with its optimiser, the iteration count, the
// configuration and the last metrics.
func (a *Agent) checkpoint() agents.Checkpoint {
	var ps nn.Params
	for _, m := range a.nets() {
		ps = append(ps, m.Params()...)
	}
	ps = append(ps, a.norm.Params()...)
	return agents.Checkpoint{Algo: "a2pr", Params: ps,
		Optims: []agents.Optim{{Prefix: "actor_optim", State: a.actorOpt}, {Prefix: "critic_optim", State: a.criticOpt},
			{Prefix: "value_optim", State: a.valueOpt}, {Prefix: "vae_optim", State: a.vae}},
		Iter: &a.totalIt, Config: a.cfg, Last: &a.last}
}

// Save writes the agent's whole state to dir/agent.safetensors, atomically.
func (a *Agent) Save(dir string) error { return a.checkpoint().Save(dir) }

// Load restores a state written by Save; the error names what is missing
// or malformed.
func (a *Agent) Load(dir string) error { return a.checkpoint().Load(dir) }

func (a *Agent) nets() []*nn.MLP {
	return []*nn.MLP{a.actor, a.actorTarget, a.q1, a.q2, a.q1Tgt, a.q2Tgt, a.value}
}

func clamp(x, lo, hi float64) float64 { return math.Min(math.Max(x, lo), hi) }

func clamp32(x, lo, hi float32) float32 { return min(max(x, lo), hi) }

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
