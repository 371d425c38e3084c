package agents

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"

	"offrl/nn"
)

// CheckpointFile is an agent's checkpoint inside a directory.
const CheckpointFile = "agent.safetensors"

// OptimState is state a checkpoint carries under a name prefix beside the
// parameters: an optimiser's moments and step (nn.Adam), or a model with
// its own optimiser (vae.VAE).
type OptimState interface {
	Tensors(prefix string) ([]nn.Tensor, map[string]string)
	Restore(prefix string, ts []nn.Tensor, meta map[string]string) error
}

// Optim is one OptimState with its prefix in the checkpoint.
type Optim struct {
	Prefix string
	State  OptimState
}

// Checkpoint lists what an agent saves: the algorithm's name, every
// parameter (networks, targets, normaliser statistics, learned scalars)
// by name, the optimisers in a fixed order, the update counter, the
// configuration (written for readers such as train.LoadAgent; the agent
// itself is rebuilt from its own) and the last metrics. Save and Load of
// every agent go through it, so a checkpoint is byte-identical for equal
// states and a damaged one is refused with the file and the part named.
type Checkpoint struct {
	Algo   string
	Params nn.Params
	Optims []Optim
	Iter   *int64
	Config any
	Last   *Metrics
}

// Save writes the checkpoint to dir/agent.safetensors, atomically.
func (c Checkpoint) Save(dir string) error {
	ts := nn.ParamTensors(c.Params)
	meta := map[string]string{"algo": c.Algo, "total_it": strconv.FormatInt(*c.Iter, 10)}
	for _, o := range c.Optims {
		ot, om := o.State.Tensors(o.Prefix)
		ts = append(ts, ot...)
		for k, v := range om {
			meta[k] = v
		}
	}
	cfg, err := json.Marshal(c.Config)
	if err != nil {
		return err
	}
	meta["config"] = string(cfg)
	last, err := json.Marshal(*c.Last)
	if err != nil {
		return err
	}
	meta["last_metrics"] = string(last)
	return nn.SaveSafetensors(filepath.Join(dir, CheckpointFile), ts, meta)
}

// Load restores a state written by Save into the checkpoint's parameters,
// optimisers, counter and metrics. Every tensor and counter must be
// present and every parameter finite; the error names the file and what
// is missing or malformed.
func (c Checkpoint) Load(dir string) error {
	path := filepath.Join(dir, CheckpointFile)
	ts, meta, err := nn.LoadSafetensors(path)
	if err != nil {
		return err
	}
	if meta["algo"] != c.Algo {
		return fmt.Errorf("%s: algo %q, want %q", path, meta["algo"], c.Algo)
	}
	if err := nn.AssignTensors(c.Params, ts); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if ok, name := c.Params.AllFinite(); !ok {
		return fmt.Errorf("%s: tensor %s holds NaN or Inf values", path, name)
	}
	for _, o := range c.Optims {
		if err := o.State.Restore(o.Prefix, ts, meta); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	it, err := strconv.ParseInt(meta["total_it"], 10, 64)
	if err != nil || it < 0 {
		return fmt.Errorf("%s: total_it = %q, want a non-negative integer", path, meta["total_it"])
	}
	last := Metrics{}
	if err := json.Unmarshal([]byte(meta["last_metrics"]), &last); err != nil {
		return fmt.Errorf("%s: last_metrics: %w", path, err)
	}
	*c.Iter, *c.Last = it, last
	return nil
}
