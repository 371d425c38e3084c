package train

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"offrl/envs"
	"offrl/envs/registry"
	"offrl/replay"
)

// Experience is one transition an online run lived through, as its replay
// buffer holds it, with the simulator state before the step (qpos ++ qvel;
// nil for environments without a state layout) and the episode's number
// and step.
type Experience struct {
	Episode, Step int
	replay.Transition
	State []float64
}

// History replays, in order, the first rows transitions of the online run
// in runDir (from its latest checkpoint's replay buffer): each training
// episode is reset with the seed the run drew for it and stepped with the
// stored actions, and every observation, reward and flag is checked
// against the stored one, so the states yield receives are the run's own,
// exactly. This is what D4RL's replay datasets (medium-replay,
// full-replay) are made of. It fails, naming the step, if the buffer no
// longer holds the run's first rows (it wrapped) or if the simulation does
// not reproduce them.
func History(ctx context.Context, runDir string, rows int, yield func(Experience) error) error {
	rc, err := ReadRunConfig(runDir)
	if err != nil {
		return err
	}
	cfg, cfgPath := rc.Config, filepath.Join(runDir, "config.json")
	if !cfg.Online() {
		return fmt.Errorf("%s: algo %q trained offline; a history comes from an online run", cfgPath, cfg.Algo)
	}
	env, err := registry.Make(cfg.Env)
	if err != nil {
		return fmt.Errorf("%s: %w", cfgPath, err)
	}
	defer env.Close()
	obsDim, actDim := env.ObservationSpace().Dim(), env.ActionSpace().Dim()
	buf := replay.New(cfg.BufferSize, obsDim, actDim)
	bufPath := filepath.Join(runDir, "checkpoint", replayFile)
	if err := buf.LoadFile(bufPath); err != nil {
		return err
	}
	if buf.Len() < rows {
		return fmt.Errorf("%s holds %d transitions, fewer than the %d asked for; train the run further",
			bufPath, buf.Len(), rows)
	}
	if done, err := CheckpointStep(runDir); err != nil {
		return err
	} else if done > buf.Cap() {
		return fmt.Errorf("%s: the run took %d steps into a buffer of %d, so its first transitions "+
			"are overwritten; a history needs buffer_size at least the run's steps", bufPath, done, buf.Cap())
	}
	_, _, stateful := envs.StateDimsOf(env)
	resets := newStreams(cfg.Seed).EnvReset // the run drew each episode's seed from it, in turn
	action := make([]float64, actDim)
	var obs []float64
	episode, step := -1, 0
	for k := range rows {
		if k%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		t := buf.Oldest(k)
		if episode < 0 || step == 0 {
			episode++
			if obs, _, err = env.Reset(resets.Uint64()); err != nil {
				return fmt.Errorf("history of %s, episode %d: %w", runDir, episode, err)
			}
		}
		if !sameAsStored(obs, t.Obs) {
			return historyMismatch(runDir, k, "observation")
		}
		var state []float64
		if stateful {
			state = env.(envs.StateSetter).State()
		}
		for i, a := range t.Action {
			action[i] = float64(a)
		}
		res, err := env.Step(action)
		if err != nil {
			return fmt.Errorf("history of %s, row %d: %w", runDir, k, err)
		}
		if !sameAsStored(res.Obs, t.NextObs) || float32(res.Reward) != t.Reward ||
			res.Terminated != t.Terminal || res.Truncated != t.Timeout {
			return historyMismatch(runDir, k, "step")
		}
		if err := yield(Experience{Episode: episode, Step: step, Transition: t, State: state}); err != nil {
			return err
		}
		obs = res.Obs
		step++
		if res.Terminated || res.Truncated {
			step = 0
		}
	}
	return nil
}

func historyMismatch(runDir string, row int, what string) error {
	return fmt.Errorf("history of %s: row %d: the %s the simulation reproduces differs from the "+
		"stored one; the buffer belongs to another run, or this binary computes differently "+
		"from the one that trained it", runDir, row, what)
}

// CheckpointStep returns the step of the latest checkpoint in runDir.
func CheckpointStep(runDir string) (int, error) {
	path := filepath.Join(runDir, "checkpoint", "state.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("%w in %s: %v", ErrNoCheckpoint, runDir, err)
	}
	var st state
	if err := json.Unmarshal(raw, &st); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return st.Step, nil
}
