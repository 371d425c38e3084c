package sac

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"

	"offrl/nn"
)

// policyAlgo marks a file written by SavePolicy.
const policyAlgo = "sac-policy"

// SavePolicy writes the actor alone (trunk, mean and log-σ heads), which
// is all that acting needs, to path as safetensors, atomically, with the
// sizes and settings that rebuild it. Behaviour policies ship in this form:
// a 256-256 actor for a 17-dimensional observation is about 290 kB.
func (a *Agent) SavePolicy(path string) error {
	cfg, err := json.Marshal(a.cfg)
	if err != nil {
		return err
	}
	meta := map[string]string{
		"algo":       policyAlgo,
		"obs_dim":    strconv.Itoa(a.spec.ObsDim),
		"act_dim":    strconv.Itoa(a.spec.ActDim),
		"max_action": strconv.FormatFloat(a.spec.MaxAction, 'g', -1, 64),
		"total_it":   strconv.FormatInt(a.totalIt, 10),
		"config":     string(cfg),
	}
	return nn.SaveSafetensors(path, nn.ParamTensors(a.actorParams()), meta)
}

// LoadPolicy reads a file written by SavePolicy and returns an agent that
// acts with it: Act (deterministic) and Sample (the behaviour policy).
// Its critics are not in the file; it is for acting, not for updates.
func LoadPolicy(path string) (*Agent, error) {
	ts, meta, err := nn.LoadSafetensors(path)
	if err != nil {
		return nil, err
	}
	if meta["algo"] != policyAlgo {
		return nil, fmt.Errorf("%s: algo %q, want %q (a file from SavePolicy)", path, meta["algo"], policyAlgo)
	}
	var spec Spec
	for _, f := range []struct {
		key string
		dst *int
	}{{"obs_dim", &spec.ObsDim}, {"act_dim", &spec.ActDim}} {
		n, err := strconv.Atoi(meta[f.key])
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: %s = %q, want a positive integer", path, f.key, meta[f.key])
		}
		*f.dst = n
	}
	spec.MaxAction, err = strconv.ParseFloat(meta["max_action"], 64)
	if err != nil {
		return nil, fmt.Errorf("%s: max_action = %q: %w", path, meta["max_action"], err)
	}
	spec.BatchSize = 1
	cfg := DefaultConfig()
	if err := json.Unmarshal([]byte(meta["config"]), &cfg); err != nil {
		return nil, fmt.Errorf("%s: config: %w", path, err)
	}
	a, err := New(cfg, spec, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ps := a.actorParams()
	if err := nn.AssignTensors(ps, ts); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if ok, name := ps.AllFinite(); !ok {
		return nil, fmt.Errorf("%s: tensor %s holds NaN or Inf values", path, name)
	}
	return a, nil
}
