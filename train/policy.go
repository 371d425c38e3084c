package train

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"offrl/agents"
	"offrl/envs/registry"
)

// RunInfo identifies the agent of a run directory.
type RunInfo struct {
	Algo      string // algorithm, e.g. "td3bc"
	EnvID     string // environment the agent acts in
	DatasetID string // dataset it was trained on
	Step      int    // updates done when its checkpoint was written
	Seed      uint64
}

// RunConfig is a run directory's config.json: the settings, the
// environment and dataset it ran on, and the file's bytes.
type RunConfig struct {
	Config
	EnvID         string
	DatasetID     string
	DatasetSHA256 string // datasets.Fingerprint of the dataset; offline runs only
	Raw           []byte // config.json as written
}

// ReadRunConfig reads runDir/config.json; the error says when runDir is
// not a run directory and names the file when it does not parse. The
// settings are not validated here.
func ReadRunConfig(runDir string) (RunConfig, error) {
	path := filepath.Join(runDir, "config.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return RunConfig{}, fmt.Errorf("%s is not a run directory: %w", runDir, err)
	}
	rc := resolvedConfig{Config: DefaultConfig()}
	if err := json.Unmarshal(raw, &rc); err != nil {
		return RunConfig{}, fmt.Errorf("%s: %w", path, err)
	}
	return RunConfig{Config: rc.Config, EnvID: rc.EnvID, DatasetID: rc.DatasetID, DatasetSHA256: rc.DatasetSHA256,
		Raw: raw}, nil
}

// LoadAgent rebuilds the agent of a run directory from its config.json and
// its latest checkpoint, for acting: viewers, rollouts, evaluation. The
// dataset need not be present; the spaces come from the environment.
func LoadAgent(runDir string) (agents.Agent, RunInfo, error) {
	rc, err := ReadRunConfig(runDir)
	if err != nil {
		return nil, RunInfo{}, err
	}
	cfgPath := filepath.Join(runDir, "config.json")
	if err := rc.Config.Validate(); err != nil {
		return nil, RunInfo{}, fmt.Errorf("%s: %w", cfgPath, err)
	}
	if rc.EnvID == "" {
		return nil, RunInfo{}, fmt.Errorf("%s: env_id is missing", cfgPath)
	}
	env, err := registry.Make(rc.EnvID)
	if err != nil {
		return nil, RunInfo{}, fmt.Errorf("%s: env_id: %w", cfgPath, err)
	}
	obs, act := env.ObservationSpace(), env.ActionSpace()
	env.Close()
	// The initial weights are overwritten by the checkpoint; the generator
	// only has to exist.
	agent, err := buildAgent(rc.Config, len(obs.Low), len(act.Low), act.Low, act.High,
		"environment "+rc.EnvID, rand.New(rand.NewPCG(rc.Seed, 0)))
	if err != nil {
		return nil, RunInfo{}, err
	}
	st, err := loadCheckpoint(runDir, agent, nil)
	if err != nil {
		return nil, RunInfo{}, err
	}
	if st.Algo != rc.Algo {
		return nil, RunInfo{}, fmt.Errorf("%s: checkpoint holds algo %q, config.json says %q",
			runDir, st.Algo, rc.Algo)
	}
	return agent, RunInfo{Algo: rc.Algo, EnvID: rc.EnvID, DatasetID: rc.DatasetID,
		Step: st.Step, Seed: rc.Seed}, nil
}
