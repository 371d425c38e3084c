package policies

import (
	"fmt"

	"offrl/envs/maze2d"
)

// Describe returns a JSON-friendly description of a behaviour policy for
// dataset metadata: its name and the parameters that shape its actions.
func Describe(p Policy) map[string]any {
	switch q := p.(type) {
	case Random:
		return map[string]any{"name": "uniform-random"}
	case Noisy:
		return map[string]any{"name": "epsilon-random", "eps": q.Eps, "base": Describe(q.Base)}
	case PendulumExpert:
		return map[string]any{"name": "pendulum-energy-swing-up-lqr"}
	case MountainCarExpert:
		return map[string]any{"name": "mountaincar-energy-pumping"}
	case InvertedPendulumExpert:
		return map[string]any{"name": "invertedpendulum-lqr"}
	case InvertedDoublePendulumExpert:
		return map[string]any{"name": "inverteddoublependulum-lqr"}
	case ReacherExpert:
		return map[string]any{"name": "reacher-inverse-kinematics-pd"}
	case *SwimmerExpert:
		return map[string]any{"name": "swimmer-travelling-wave-gait"}
	case *maze2d.WaypointController:
		return map[string]any{"name": "maze2d-waypoint-controller"}
	case *TanhGaussian:
		d := map[string]any{"name": "sac-tanh-gaussian", "sampled": !q.Deterministic}
		if q.source != "" {
			d["file"] = q.source
		}
		if it, ok := q.meta["total_it"]; ok {
			d["updates"] = it
		}
		return d
	}
	return map[string]any{"name": fmt.Sprintf("%T", p)}
}
