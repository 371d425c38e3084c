package policies

import "math/rand/v2"

// MountainCarExpert drives MountainCarContinuous-v0 to the flag by pumping
// energy: it pushes with full force in the direction the car is moving,
// so every push adds kinetic energy, and pushes left when the car is at
// rest (after a reset), which gives the run-up on the left slope that
// usually lets one swing reach the goal. It uses only the observation
// [position, velocity], is deterministic and ignores rng.
//
// Over reset seeds 0..99 it reaches the goal in every episode, with a
// mean return of about 92 (see [ReferenceFor]).
type MountainCarExpert struct{}

// Act writes the force for obs into action[0]: +1 when the velocity
// obs[1] is positive, −1 otherwise.
func (MountainCarExpert) Act(obs []float64, _ *rand.Rand, action []float64) {
	if obs[1] > 0 {
		action[0] = 1
		return
	}
	action[0] = -1
}
