package train

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"

	"offrl/agents/td3bc"
)

// Config is every setting that shapes a training run. It is saved as the
// run directory's config.json; keys are snake_case and stable.
type Config struct {
	Algo         string `json:"algo" yaml:"algo"`                   // algorithm; "td3bc"
	Dataset      string `json:"dataset" yaml:"dataset"`             // dataset path (directory or .parquet file)
	Steps        int    `json:"steps" yaml:"steps"`                 // gradient updates in total
	BatchSize    int    `json:"batch_size" yaml:"batch_size"`       // minibatch size; TD3+BC paper 256
	EvalEvery    int    `json:"eval_every" yaml:"eval_every"`       // updates between evaluations (and checkpoints)
	EvalEpisodes int    `json:"eval_episodes" yaml:"eval_episodes"` // episodes per evaluation; paper 10
	LogEvery     int    `json:"log_every" yaml:"log_every"`         // updates per metrics.csv row
	Seed         uint64 `json:"seed" yaml:"seed"`                   // run seed; evaluation uses seed+100

	TD3BC td3bc.Config `json:"td3bc" yaml:"td3bc"`
}

// DefaultConfig returns the defaults of the paper for everything but the
// number of updates, which is the scaled default documented in the README.
func DefaultConfig() Config {
	return Config{
		Algo: "td3bc", Steps: 1_000_000, BatchSize: 256,
		EvalEvery: 5000, EvalEpisodes: 10, LogEvery: 1000, Seed: 0,
		TD3BC: td3bc.DefaultConfig(),
	}
}

// Validate checks every field and names the key and value at fault.
func (c Config) Validate() error {
	switch {
	case c.Algo != "td3bc":
		return fmt.Errorf("config: algo = %q, want one of [td3bc]", c.Algo)
	case c.Dataset == "":
		return fmt.Errorf("config: dataset is empty, want a dataset path")
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
	}
	return c.TD3BC.Validate()
}

// LoadConfigFile overlays the YAML file at path onto c. Decoding is
// strict: an unknown key is an error naming the key and the file. Keys the
// file leaves out keep their value in c.
func LoadConfigFile(path string, c *Config) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}
