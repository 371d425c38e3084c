package policies

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"

	"offrl/nn"
)

// actorFormat marks a policy file: the actor of SAC (agents/sac writes it
// with [SaveTanhGaussian]) without its critics.
const actorFormat = "sac-policy"

// TanhGaussian is a trained behaviour policy: an MLP trunk with a mean
// head and a log-σ head, acting with a = max_action·tanh(μ(s) + σ(s)·ε),
// ε ~ N(0, I) — SAC's actor, as D4RL's behaviour policies were (rlkit's
// tanh-Gaussian, actions sampled, not the mean). With Deterministic it
// acts with max_action·tanh(μ(s)) instead. Act is safe for concurrent use
// when each caller passes its own rng.
type TanhGaussian struct {
	Deterministic bool

	trunk, mu, logStd    *nn.MLP
	obsDim, actDim       int
	maxAction            float64
	logStdMin, logStdMax float64
	meta                 map[string]string
	source               string // the shipped file it came from, for metadata
	forwards             sync.Pool
}

type actorForward struct {
	trunk, mu, logStd *nn.Forward
	x                 []float32
}

// ActorSpec is what a policy file records beside the weights.
type ActorSpec struct {
	ObsDim, ActDim       int
	Hidden               []int
	MaxAction            float64
	LogStdMin, LogStdMax float64
}

// SaveTanhGaussian writes an actor (trunk with ReLU hidden layers, then
// linear mean and log-σ heads, named actor.trunk, actor.mu and
// actor.log_std) and its spec to path as safetensors, atomically; extra
// becomes metadata too (for example the training step and command).
func SaveTanhGaussian(path string, spec ActorSpec, trunk, mu, logStd *nn.MLP, extra map[string]string) error {
	hidden, err := json.Marshal(spec.Hidden)
	if err != nil {
		return err
	}
	meta := map[string]string{}
	for k, v := range extra {
		meta[k] = v
	}
	for k, v := range map[string]string{
		"algo":        actorFormat,
		"obs_dim":     strconv.Itoa(spec.ObsDim),
		"act_dim":     strconv.Itoa(spec.ActDim),
		"hidden":      string(hidden),
		"max_action":  strconv.FormatFloat(spec.MaxAction, 'g', -1, 64),
		"log_std_min": strconv.FormatFloat(spec.LogStdMin, 'g', -1, 64),
		"log_std_max": strconv.FormatFloat(spec.LogStdMax, 'g', -1, 64),
	} {
		meta[k] = v
	}
	ps := append(append(append(nn.Params{}, trunk.Params()...), mu.Params()...), logStd.Params()...)
	return nn.SaveSafetensors(path, nn.ParamTensors(ps), meta)
}

// LoadTanhGaussian reads a policy file written by [SaveTanhGaussian]; the
// error names the file and what is missing or malformed.
func LoadTanhGaussian(path string) (*TanhGaussian, error) {
	ts, meta, err := nn.LoadSafetensors(path)
	if err != nil {
		return nil, err
	}
	p, err := newTanhGaussian(ts, meta)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

func newTanhGaussian(ts []nn.Tensor, meta map[string]string) (*TanhGaussian, error) {
	if meta["algo"] != actorFormat {
		return nil, fmt.Errorf("algo %q, want %q (a policy file)", meta["algo"], actorFormat)
	}
	spec, err := parseActorSpec(meta)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(0, 0)) // initial weights, overwritten below
	last := spec.Hidden[len(spec.Hidden)-1]
	p := &TanhGaussian{
		trunk:  nn.NewMLP("actor.trunk", append([]int{spec.ObsDim}, spec.Hidden...), nn.ReLU, nn.ReLU, rng),
		mu:     nn.NewMLP("actor.mu", []int{last, spec.ActDim}, nn.Identity, nn.Identity, rng),
		logStd: nn.NewMLP("actor.log_std", []int{last, spec.ActDim}, nn.Identity, nn.Identity, rng),
		obsDim: spec.ObsDim, actDim: spec.ActDim, maxAction: spec.MaxAction,
		logStdMin: spec.LogStdMin, logStdMax: spec.LogStdMax, meta: meta,
	}
	ps := append(append(append(nn.Params{}, p.trunk.Params()...), p.mu.Params()...), p.logStd.Params()...)
	if err := nn.AssignTensors(ps, ts); err != nil {
		return nil, err
	}
	if ok, name := ps.AllFinite(); !ok {
		return nil, fmt.Errorf("tensor %s holds NaN or Inf values", name)
	}
	p.forwards.New = func() any {
		return &actorForward{trunk: p.trunk.NewForward(1), mu: p.mu.NewForward(1),
			logStd: p.logStd.NewForward(1), x: make([]float32, p.obsDim)}
	}
	return p, nil
}

func parseActorSpec(meta map[string]string) (ActorSpec, error) {
	var s ActorSpec
	if _, ok := meta["hidden"]; !ok {
		// The first policy files (written by SAC runs before this format
		// had its own keys) keep the sizes in SAC's config JSON.
		var cfg struct {
			Hidden []int   `json:"hidden"`
			Min    float64 `json:"log_std_min"`
			Max    float64 `json:"log_std_max"`
		}
		if err := json.Unmarshal([]byte(meta["config"]), &cfg); err != nil {
			return s, fmt.Errorf("no hidden key and config = %q: %v", meta["config"], err)
		}
		hidden, _ := json.Marshal(cfg.Hidden)
		meta["hidden"] = string(hidden)
		meta["log_std_min"] = strconv.FormatFloat(cfg.Min, 'g', -1, 64)
		meta["log_std_max"] = strconv.FormatFloat(cfg.Max, 'g', -1, 64)
	}
	for _, f := range []struct {
		key string
		dst *int
	}{{"obs_dim", &s.ObsDim}, {"act_dim", &s.ActDim}} {
		n, err := strconv.Atoi(meta[f.key])
		if err != nil || n < 1 {
			return s, fmt.Errorf("%s = %q, want a positive integer", f.key, meta[f.key])
		}
		*f.dst = n
	}
	if err := json.Unmarshal([]byte(meta["hidden"]), &s.Hidden); err != nil || len(s.Hidden) == 0 {
		return s, fmt.Errorf("hidden = %q, want a JSON list of layer widths", meta["hidden"])
	}
	for _, h := range s.Hidden {
		if h < 1 {
			return s, fmt.Errorf("hidden = %q, want positive widths", meta["hidden"])
		}
	}
	for _, f := range []struct {
		key string
		dst *float64
	}{{"max_action", &s.MaxAction}, {"log_std_min", &s.LogStdMin}, {"log_std_max", &s.LogStdMax}} {
		v, err := strconv.ParseFloat(meta[f.key], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return s, fmt.Errorf("%s = %q, want a finite number", f.key, meta[f.key])
		}
		*f.dst = v
	}
	if !(s.MaxAction > 0) || s.LogStdMin > s.LogStdMax {
		return s, fmt.Errorf("max_action %v, log_std [%v, %v]: want a positive max action and min ≤ max",
			s.MaxAction, s.LogStdMin, s.LogStdMax)
	}
	return s, nil
}

// Spec returns the sizes and bounds recorded in the file.
func (p *TanhGaussian) Spec() ActorSpec {
	return ActorSpec{ObsDim: p.obsDim, ActDim: p.actDim, MaxAction: p.maxAction,
		LogStdMin: p.logStdMin, LogStdMax: p.logStdMax}
}

// Meta returns the file's metadata (training step, command, ...).
func (p *TanhGaussian) Meta() map[string]string { return p.meta }

// Act writes an action for obs: sampled from the policy with noise from
// rng, or its mean squashed when Deterministic. A non-finite observation
// gives a non-finite action, which the environment refuses with an error
// naming it.
func (p *TanhGaussian) Act(obs []float64, rng *rand.Rand, action []float64) {
	f := p.forwards.Get().(*actorForward)
	defer p.forwards.Put(f)
	for i, v := range obs {
		f.x[i] = float32(v)
	}
	h := f.trunk.Run(f.x, 1)
	mu, ls := f.mu.Run(h, 1), f.logStd.Run(h, 1)
	for j := range p.actDim {
		if p.Deterministic {
			action[j] = math.Tanh(float64(mu[j])) * p.maxAction
			continue
		}
		// As SAC samples in training: the action is float32, like
		// everything the replay buffer and datasets store.
		logStd := math.Min(math.Max(float64(ls[j]), p.logStdMin), p.logStdMax)
		u := float64(mu[j]) + math.Exp(logStd)*rng.NormFloat64()
		action[j] = float64(float32(math.Tanh(u) * p.maxAction))
	}
}
