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

// LoadAgent rebuilds the agent of a run directory from its config.json and
// its latest checkpoint, for acting: viewers, rollouts, evaluation. The
// dataset need not be present; the spaces come from the environment.
func LoadAgent(runDir string) (agents.Agent, RunInfo, error) {
	cfgPath := filepath.Join(runDir, "config.json")
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, RunInfo{}, fmt.Errorf("%s is not a run directory: %w", runDir, err)
	}
	rc := resolvedConfig{Config: DefaultConfig()}
	if err := json.Unmarshal(raw, &rc); err != nil {
		return nil, RunInfo{}, fmt.Errorf("%s: %w", cfgPath, err)
	}
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
