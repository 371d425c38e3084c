// Package vae is the conditional variational auto-encoder that models a
// dataset's behaviour policy, as in BCQ (Fujimoto, Meger and Precup 2019,
// arXiv:1812.02900, §4.1 and appendix D) and A2PR (Liu et al. 2024,
// arXiv:2405.19909, §4.1), whose "advantage-weighted" variant only
// reconstructs actions with positive advantage.
//
// The encoder q(z | s, a) = N(μ, σ²) and the decoder â = D(s, z) are
// trained on the evidence lower bound
//
//	L = mean_(b,j)( w_b·(â_bj − a_bj)² ) + ½·KL,
//	KL = −½·mean_(b,k)( 1 + log σ_bk² − μ_bk² − σ_bk² ),  z = μ + σ⊙ε, ε ~ N(0, I),
//
// with per-row weights w (all ones for BCQ). Geometry and constants follow
// the reference code (sfujim/BCQ: BCQ.py; ltlhuuu/A2PR: A2PR.py):
// 750-750 ReLU encoder and decoder, latent width 2·action width, log σ
// clamped to [−4, 15], a tanh decoder head scaled by the action bound,
// KL weight ½, Adam with step size 10⁻³; sampling without an encoder
// draws z ~ N(0, I) clipped to [−½, ½].
package vae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"offrl/nn"
)

// Config holds the VAE's hyper-parameters.
type Config struct {
	// Hidden are the widths of the encoder's and the decoder's hidden
	// layers; BCQ and A2PR use [750, 750].
	Hidden []int `json:"hidden" yaml:"hidden"`
	// LatentDim is the width of z; 0 means 2·action width (BCQ, A2PR).
	LatentDim int `json:"latent_dim" yaml:"latent_dim"`
	// LR is Adam's step size; 1e-3 (PyTorch's default, used by A2PR).
	LR float64 `json:"lr" yaml:"lr"`
	// KLWeight multiplies the KL term; 0.5 in BCQ and A2PR.
	KLWeight float64 `json:"kl_weight" yaml:"kl_weight"`
	// LogStdMin and LogStdMax clamp the encoder's log σ; −4 and 15.
	LogStdMin float64 `json:"log_std_min" yaml:"log_std_min"`
	LogStdMax float64 `json:"log_std_max" yaml:"log_std_max"`
}

// DefaultConfig returns the reference settings.
func DefaultConfig() Config {
	return Config{Hidden: []int{750, 750}, LR: 1e-3, KLWeight: 0.5, LogStdMin: -4, LogStdMax: 15}
}

// Validate checks every field and names the first bad key and value.
func (c Config) Validate() error {
	switch {
	case len(c.Hidden) == 0:
		return fmt.Errorf("config: vae.hidden is empty, want at least one layer width")
	case c.LatentDim < 0:
		return fmt.Errorf("config: vae.latent_dim = %d, must be ≥ 0 (0: twice the action width)",
			c.LatentDim)
	case !(c.LR > 0):
		return fmt.Errorf("config: vae.lr = %v, must be > 0", c.LR)
	case !(c.KLWeight >= 0) || math.IsInf(c.KLWeight, 0):
		return fmt.Errorf("config: vae.kl_weight = %v, must be finite and ≥ 0", c.KLWeight)
	case !(c.LogStdMin < c.LogStdMax):
		return fmt.Errorf("config: vae.log_std_min = %v, vae.log_std_max = %v, want min < max",
			c.LogStdMin, c.LogStdMax)
	}
	for i, h := range c.Hidden {
		if h < 1 {
			return fmt.Errorf("config: vae.hidden[%d] = %d, must be ≥ 1", i, h)
		}
	}
	return nil
}

// Spec describes the data: widths, the action bound and the batch size
// the training graph is compiled for.
type Spec struct {
	ObsDim, ActDim int
	MaxAction      float64
	BatchSize      int
}

// VAE is the encoder, the decoder, their optimiser and a compiled
// training step.
type VAE struct {
	cfg    Config
	spec   Spec
	latent int

	encoder        *nn.MLP // (s, a) → hidden, ReLU throughout
	mean, logStd   *nn.MLP // hidden → μ, hidden → log σ (one linear layer each)
	decoder        *nn.MLP // (s, z) → â/max_action, tanh head
	opt            *nn.Adam
	train          trainStep
	sampleDecoder  *nn.Forward
	sampleZ, input []float32
}

// trainStep is the compiled ELBO step: inputs s, a, per-row weights w
// (repeated per action column) and the noise ε.
type trainStep struct {
	prog              *nn.Program
	s, a, w, eps      *nn.Input
	loss, recon, kl   *nn.Node
	out, mean, logStd *nn.Node // â, μ and log σ of the last step
}

// New builds the networks (PyTorch's default initialisation, as the
// reference code) and compiles the training step.
func New(cfg Config, spec Spec, rng *rand.Rand) (*VAE, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if spec.ObsDim < 1 || spec.ActDim < 1 || spec.BatchSize < 1 || !(spec.MaxAction > 0) {
		return nil, fmt.Errorf("vae: spec %+v needs positive widths, batch size and max action",
			spec)
	}
	v := &VAE{cfg: cfg, spec: spec, latent: cfg.LatentDim}
	if v.latent == 0 {
		v.latent = 2 * spec.ActDim
	}
	od, ad, h := spec.ObsDim, spec.ActDim, cfg.Hidden
	last := h[len(h)-1]
	v.encoder = nn.NewMLP("vae.encoder", append([]int{od + ad}, h...), nn.ReLU, nn.ReLU, rng)
	v.mean = nn.NewMLP("vae.mean", []int{last, v.latent}, nn.Identity, nn.Identity, rng)
	v.logStd = nn.NewMLP("vae.log_std", []int{last, v.latent}, nn.Identity, nn.Identity, rng)
	v.decoder = nn.NewMLP("vae.decoder", append(append([]int{od + v.latent}, h...), ad),
		nn.ReLU, nn.Tanh, rng)
	v.opt = nn.NewAdam(v.Params(), cfg.LR)
	if err := v.compile(); err != nil {
		return nil, err
	}
	v.sampleDecoder = v.decoder.NewForward(spec.BatchSize)
	v.sampleZ = make([]float32, spec.BatchSize*v.latent)
	v.input = make([]float32, spec.BatchSize*(od+v.latent))
	return v, nil
}

// Params lists the trained tensors in a fixed order: encoder, heads,
// decoder.
func (v *VAE) Params() nn.Params {
	var ps nn.Params
	for _, m := range []*nn.MLP{v.encoder, v.mean, v.logStd, v.decoder} {
		ps = append(ps, m.Params()...)
	}
	return ps
}

// LatentDim is the width of z.
func (v *VAE) LatentDim() int { return v.latent }

// Apply adds the encoder and the decoder to g: for states s, actions a
// (raw units) and noise eps (rows × LatentDim) it returns the
// reconstruction â (raw units), μ and the clamped log σ. Gradients flow
// through all three into the VAE and into whatever made s and a, as in
// A2PR's actor step.
func (v *VAE) Apply(g *nn.Graph, s, a, eps *nn.Node) (recon, mean, logStd *nn.Node) {
	h := v.encoder.Apply(g, nn.Concat(s, a))
	mean = v.mean.Apply(g, h)
	logStd = nn.Clamp(v.logStd.Apply(g, h), float32(v.cfg.LogStdMin), float32(v.cfg.LogStdMax))
	z := nn.Add(mean, nn.Mul(nn.Exp(logStd), eps))
	recon = nn.Scale(v.decoder.Apply(g, nn.Concat(s, z)), float32(v.spec.MaxAction))
	return recon, mean, logStd
}

// compile builds the training graph once.
func (v *VAE) compile() error {
	b, od, ad := v.spec.BatchSize, v.spec.ObsDim, v.spec.ActDim
	g := nn.NewGraph()
	t := &v.train
	t.s, t.a = g.Input("s", b, od), g.Input("a", b, ad)
	t.w, t.eps = g.Input("w", b, ad), g.Input("eps", b, v.latent)
	t.out, t.mean, t.logStd = v.Apply(g, t.s.Node, t.a.Node, t.eps.Node)
	// mean_(b,j) w_b·(â − a)²
	t.recon = nn.Mean(nn.Mul(t.w.Node, nn.Square(nn.Sub(t.out, t.a.Node))))
	// −½·mean(1 + log σ² − μ² − σ²), log σ² = 2·log σ, σ² = exp(2·log σ)
	logVar := nn.Scale(t.logStd, 2)
	t.kl = nn.Scale(nn.Mean(nn.Sub(nn.Sub(nn.Add(logVar, g.Const(1)), nn.Square(t.mean)),
		nn.Exp(logVar))), -0.5)
	t.loss = nn.Add(t.recon, nn.Scale(t.kl, float32(v.cfg.KLWeight)))
	var err error
	if t.prog, err = g.Compile(t.loss, v.Params()); err != nil {
		return fmt.Errorf("vae: training graph: %w", err)
	}
	return nil
}

// Losses are the terms of one training step, before the step.
type Losses struct{ Loss, Recon, KL float64 }

// Update takes one Adam step on a batch of BatchSize rows: states
// (rows × ObsDim), actions (rows × ActDim, raw units) and per-row weights
// (nil means all ones). It draws ε from rng and allocates nothing.
func (v *VAE) Update(states, actions, weights []float32, rng *rand.Rand) (Losses, error) {
	b, od, ad := v.spec.BatchSize, v.spec.ObsDim, v.spec.ActDim
	if len(states) != b*od || len(actions) != b*ad || weights != nil && len(weights) != b {
		return Losses{}, fmt.Errorf("vae: batch of %d states, %d actions, %d weights; "+
			"compiled for %d rows of obs %d, act %d", len(states), len(actions), len(weights),
			b, od, ad)
	}
	t := &v.train
	copy(t.s.Data, states)
	copy(t.a.Data, actions)
	for i := range b {
		w := float32(1)
		if weights != nil {
			w = weights[i]
		}
		row := t.w.Data[i*ad : (i+1)*ad]
		for j := range row {
			row[j] = w
		}
	}
	for i := range t.eps.Data {
		t.eps.Data[i] = float32(rng.NormFloat64())
	}
	if err := t.prog.Run(); err != nil {
		return Losses{}, fmt.Errorf("vae: training step: %w", err)
	}
	v.opt.Update()
	l := Losses{Loss: float64(t.loss.Scalar()), Recon: float64(t.recon.Scalar()),
		KL: float64(t.kl.Scalar())}
	if math.IsNaN(l.Loss) || math.IsInf(l.Loss, 0) {
		return l, fmt.Errorf("vae: training step %d diverged: loss %v", v.opt.Step, l.Loss)
	}
	return l, nil
}

// Sample decodes actions for up to BatchSize states (rows × ObsDim)
// without the encoder, with z ~ N(0, I) clipped to [−½, ½] as BCQ does.
// The returned slice (rows × ActDim, raw units) is reused by the next
// call.
func (v *VAE) Sample(states []float32, rows int, rng *rand.Rand) []float32 {
	od, l := v.spec.ObsDim, v.latent
	for i := range rows * l {
		v.sampleZ[i] = float32(min(max(rng.NormFloat64(), -0.5), 0.5))
	}
	for r := range rows {
		copy(v.input[r*(od+l):r*(od+l)+od], states[r*od:(r+1)*od])
		copy(v.input[r*(od+l)+od:(r+1)*(od+l)], v.sampleZ[r*l:(r+1)*l])
	}
	out := v.sampleDecoder.Run(v.input[:rows*(od+l)], rows)
	for i := range out {
		out[i] *= float32(v.spec.MaxAction)
	}
	return out
}

// Tensors returns the networks and Adam's state for a checkpoint, with the
// optimiser's step count under "<prefix>.step" in the metadata.
func (v *VAE) Tensors(prefix string) ([]nn.Tensor, map[string]string) {
	ts := nn.ParamTensors(v.Params())
	ot, meta := v.opt.Tensors(prefix)
	meta[prefix+".latent_dim"] = strconv.Itoa(v.latent)
	return append(ts, ot...), meta
}

// Restore loads what Tensors saved; the error names what is missing.
func (v *VAE) Restore(prefix string, ts []nn.Tensor, meta map[string]string) error {
	if got := meta[prefix+".latent_dim"]; got != strconv.Itoa(v.latent) {
		return fmt.Errorf("vae: %s.latent_dim = %q, this VAE has %d", prefix, got, v.latent)
	}
	if err := nn.AssignTensors(v.Params(), ts); err != nil {
		return fmt.Errorf("vae: %w", err)
	}
	if ok, name := v.Params().AllFinite(); !ok {
		return fmt.Errorf("vae: tensor %s holds NaN or Inf values", name)
	}
	return v.opt.Restore(prefix, ts, meta)
}

// Optimizer is the VAE's Adam, for checks of its state.
func (v *VAE) Optimizer() *nn.Adam { return v.opt }
