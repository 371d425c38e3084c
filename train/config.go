package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"offrl/agents/a2pr"
	"offrl/agents/iql"
	"offrl/agents/sac"
	"offrl/agents/td3bc"
)

// Config is every setting that shapes a training run. It is saved as the
// run directory's config.json; keys are snake_case and stable.
type Config struct {
	Algo         string `json:"algo" yaml:"algo"`                   // algorithm; one of Algos
	Dataset      string `json:"dataset,omitempty" yaml:"dataset"`   // dataset path (directory or .parquet file); offline only
	Env          string `json:"env,omitempty" yaml:"env"`           // environment ID; online only (the dataset names it offline)
	Steps        int    `json:"steps" yaml:"steps"`                 // gradient updates (offline) or environment steps (online) in total
	BatchSize    int    `json:"batch_size" yaml:"batch_size"`       // minibatch size; TD3+BC and SAC papers 256
	EvalEvery    int    `json:"eval_every" yaml:"eval_every"`       // steps between evaluations (and checkpoints)
	EvalEpisodes int    `json:"eval_episodes" yaml:"eval_episodes"` // episodes per evaluation; paper 10
	LogEvery     int    `json:"log_every" yaml:"log_every"`         // steps per metrics.csv row
	Seed         uint64 `json:"seed" yaml:"seed"`                   // run seed; evaluation uses seed+100

	// Online settings, used by the online algorithms only (OnlineAlgos).
	// start_steps: uniform-random actions, and no updates, for this many
	// environment steps first (SAC papers: 5,000–10,000).
	StartSteps int `json:"start_steps" yaml:"start_steps"`
	// buffer_size: replay capacity in transitions; SAC papers 1,000,000.
	BufferSize int `json:"buffer_size" yaml:"buffer_size"`
	// updates_per_step: gradient updates per environment step after the
	// warm-up; SAC papers 1.
	UpdatesPerStep int `json:"updates_per_step" yaml:"updates_per_step"`

	TD3BC td3bc.Config `json:"td3bc" yaml:"td3bc"`
	IQL   iql.Config   `json:"iql" yaml:"iql"`
	SAC   sac.Config   `json:"sac" yaml:"sac"`
	A2PR  a2pr.Config  `json:"a2pr" yaml:"a2pr"`
}

// Algos lists the algorithms a run can train.
var Algos = []string{"td3bc", "iql", "sac", "a2pr"}

// OnlineAlgos lists the algorithms that learn from their own interaction
// with an environment (Config.Env) instead of from a dataset.
var OnlineAlgos = []string{"sac"}

// Online reports whether the configured algorithm trains online.
func (c Config) Online() bool { return slices.Contains(OnlineAlgos, c.Algo) }

// DefaultConfig returns the defaults of the paper for everything but the
// number of updates, which is the scaled default documented in the README.
func DefaultConfig() Config {
	return Config{
		Algo: "td3bc", Steps: 1_000_000, BatchSize: 256,
		EvalEvery: 5000, EvalEpisodes: 10, LogEvery: 1000, Seed: 0,
		// 10,000 warm-up steps: the upper end of the SAC papers' 5k–10k
		// range (Haarnoja et al. 2018b); 1e6 replay and one update per
		// step are the same papers' settings.
		StartSteps: 10_000, BufferSize: 1_000_000, UpdatesPerStep: 1,
		TD3BC: td3bc.DefaultConfig(), IQL: iql.DefaultConfig(), SAC: sac.DefaultConfig(),
		A2PR: a2pr.DefaultConfig(),
	}
}

// Validate checks every field and names the key and value at fault.
func (c Config) Validate() error {
	switch {
	case !slices.Contains(Algos, c.Algo):
		return fmt.Errorf("config: algo = %q, want one of %v", c.Algo, Algos)
	case c.Online() && c.Dataset != "":
		return fmt.Errorf("config: dataset = %q, but %s trains online from env, not from a dataset",
			c.Dataset, c.Algo)
	case c.Online() && c.Env == "":
		return fmt.Errorf("config: env is empty, want the environment ID %s trains in", c.Algo)
	case !c.Online() && c.Dataset == "":
		return fmt.Errorf("config: dataset is empty, want a dataset path")
	case !c.Online() && c.Env != "":
		return fmt.Errorf("config: env = %q, but %s is offline: its dataset names the environment",
			c.Env, c.Algo)
	case c.Steps < 1:
		return fmt.Errorf("config: steps = %d, must be ≥ 1", c.Steps)
	case c.BatchSize < 1:
		return fmt.Errorf("config: batch_size = %d, must be ≥ 1", c.BatchSize)
	case c.EvalEvery < 1:
		return fmt.Errorf("config: eval_every = %d, must be ≥ 1", c.EvalEvery)
	case c.EvalEpisodes < 1:
		return fmt.Errorf("config: eval_episodes = %d, must be ≥ 1", c.EvalEpisodes)
	case c.LogEvery < 1:
		return fmt.Errorf("config: log_every = %d, must be ≥ 1", c.LogEvery)
	case c.StartSteps < 0:
		return fmt.Errorf("config: start_steps = %d, must be ≥ 0", c.StartSteps)
	case c.BufferSize < 1 || c.BufferSize > maxBufferSize:
		return fmt.Errorf("config: buffer_size = %d, must be in [1, %d]", c.BufferSize,
			maxBufferSize)
	case c.UpdatesPerStep < 1:
		return fmt.Errorf("config: updates_per_step = %d, must be ≥ 1", c.UpdatesPerStep)
	}
	// Only the chosen algorithm's section is checked (and used).
	// Refuse sizes that cannot fit, before any work, rather than dying of
	// an out-of-memory crash later. 64 bounds the widths of every built-in
	// task's observations and actions.
	var mem int64
	var hidden []int
	hiddenKey := "hidden"
	switch c.Algo {
	case "td3bc":
		if err := c.TD3BC.Validate(); err != nil {
			return err
		}
		hidden = c.TD3BC.Hidden
		mem = td3bc.MemoryBytes(c.TD3BC, td3bc.Spec{ObsDim: 64, ActDim: 64, BatchSize: c.BatchSize})
	case "iql":
		if err := c.IQL.Validate(); err != nil {
			return fmt.Errorf("%w (in section iql)", err)
		}
		hidden = c.IQL.Hidden
		mem = iql.MemoryBytes(c.IQL, iql.Spec{ObsDim: 64, ActDim: 64, BatchSize: c.BatchSize})
	case "a2pr":
		if err := c.A2PR.Validate(); err != nil {
			return fmt.Errorf("%w (in section a2pr)", err)
		}
		hidden, hiddenKey = c.A2PR.CriticHidden, "critic_hidden"
		mem = a2pr.MemoryBytes(c.A2PR, a2pr.Spec{ObsDim: 64, ActDim: 64, BatchSize: c.BatchSize})
	case "sac":
		if err := c.SAC.Validate(); err != nil {
			return fmt.Errorf("%w (in section sac)", err)
		}
		hidden = c.SAC.Hidden
		mem = sac.MemoryBytes(c.SAC, sac.Spec{ObsDim: 64, ActDim: 64, BatchSize: c.BatchSize})
	}
	if mem < 0 || mem > maxAgentBytes {
		return fmt.Errorf("config: %s.%s = %v with batch_size = %d needs about %.0f GiB, "+
			"more than the %d GiB this toolkit allows", c.Algo, hiddenKey, hidden, c.BatchSize,
			float64(mem)/(1<<30), maxAgentBytes>>30)
	}
	return nil
}

// maxAgentBytes bounds the memory a configuration may ask for.
const maxAgentBytes = 16 << 30

// maxBufferSize bounds an online replay buffer: 10⁷ rows of the widest
// built-in task (obs 17, act 6) are about 1.6 GiB.
const maxBufferSize = 10_000_000

// LoadConfigFile overlays the YAML file at path onto c. Decoding is
// strict: an unknown key, a value of the wrong type (a fraction for a
// count, say) or a second YAML document is an error naming the key and the
// file. Keys the file leaves out keep their value in c.
//
// The YAML is read into generic values and then decoded as JSON into c,
// because the YAML decoder silently truncates 1.5 to an integer field; the
// JSON decoder refuses it.
func LoadConfigFile(path string, c *Config) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var doc any
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config %s: %w", path, err)
	}
	var more any
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return fmt.Errorf("config %s: more than one YAML document; put every key in one", path)
	}
	if doc == nil {
		return nil
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return fmt.Errorf("config %s: want a mapping of keys to values, got %T", path, doc)
	}
	// JSON field matching ignores case; a config key must match exactly.
	if err := checkKeys(top, reflect.TypeFor[Config](), ""); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	if key := nonFinite(top, ""); key != "" {
		return fmt.Errorf("config %s: %s is NaN or infinite, want a finite number", path, key)
	}
	js, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	jd := json.NewDecoder(bytes.NewReader(js))
	jd.DisallowUnknownFields()
	if err := jd.Decode(c); err != nil {
		return fmt.Errorf("config %s: %s", path, strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// nonFinite returns the dotted key of the first NaN or infinite number in
// doc (YAML's .nan and .inf), or "".
func nonFinite(doc map[string]any, prefix string) string {
	for _, key := range slices.Sorted(maps.Keys(doc)) {
		switch v := doc[key].(type) {
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return prefix + key
			}
		case map[string]any:
			if k := nonFinite(v, prefix+key+"."); k != "" {
				return k
			}
		case []any:
			for i, e := range v {
				if f, ok := e.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
					return fmt.Sprintf("%s%s[%d]", prefix, key, i)
				}
			}
		}
	}
	return ""
}

// checkKeys reports the first key of doc that is not exactly the JSON name
// of a field of struct type t, descending into nested structs.
func checkKeys(doc map[string]any, t reflect.Type, prefix string) error {
	fields := map[string]reflect.Type{}
	var collect func(reflect.Type)
	collect = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous {
				collect(f.Type)
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "" && name != "-" {
				fields[name] = f.Type
			}
		}
	}
	collect(t)
	for _, key := range slices.Sorted(maps.Keys(doc)) {
		v := doc[key]
		ft, ok := fields[key]
		if !ok {
			return fmt.Errorf("unknown key %q", prefix+key)
		}
		if sub, ok := v.(map[string]any); ok && ft.Kind() == reflect.Struct {
			if err := checkKeys(sub, ft, prefix+key+"."); err != nil {
				return err
			}
		}
	}
	return nil
}
