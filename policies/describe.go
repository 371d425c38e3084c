package policies

import "fmt"

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
	}
	return map[string]any{"name": fmt.Sprintf("%T", p)}
}
