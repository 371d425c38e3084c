package maze2d

import "offrl/envs"

// Registration describes one registered maze2d task, with the fields of
// envs/registry's Spec and Entry: the D4RL ID, the dataset-name stem (the
// ID without its version: D4RL names maze2d datasets by the task alone),
// the step at which the episode is truncated, the control period and a
// constructor of new, unwrapped instances.
type Registration struct {
	ID              string
	Task            string
	MaxEpisodeSteps int
	DT              float64
	New             func() (envs.Env, error)
}

// Tasks lists the maze2d tasks of D4RL (d4rl/pointmaze/__init__.py):
// maze2d-open-v0 (150 steps), maze2d-umaze-v1 (300), maze2d-medium-v1
// (600), maze2d-large-v1 (800) with sparse rewards, and the -dense-v1
// variants of the last three. The slice is new on every call.
func Tasks() []Registration {
	var out []Registration
	for _, t := range []struct {
		name   string
		layout string
		steps  int
		dense  bool
		vers   string
	}{
		{"open", Open, 150, false, "v0"},
		{"umaze", UMaze, 300, false, "v1"},
		{"medium", MediumMaze, 600, false, "v1"},
		{"large", LargeMaze, 800, false, "v1"},
		{"umaze", UMaze, 300, true, "v1"},
		{"medium", MediumMaze, 600, true, "v1"},
		{"large", LargeMaze, 800, true, "v1"},
	} {
		task, reward := "maze2d-"+t.name, Sparse
		if t.dense {
			task, reward = task+"-dense", Dense
		}
		layout := t.layout
		out = append(out, Registration{
			ID:              task + "-" + t.vers,
			Task:            task,
			MaxEpisodeSteps: t.steps,
			DT:              DTSeconds,
			New: func() (envs.Env, error) {
				e, err := New(layout, reward)
				if err != nil {
					return nil, err
				}
				return e, nil
			},
		})
	}
	return out
}
