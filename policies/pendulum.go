package policies

import (
	"math"
	"math/rand/v2"
)

// Gains and thresholds of [PendulumExpert].
const (
	// pendulumKTheta and pendulumKOmega are the state-feedback gains
	// u = −(Kθ·θ + Kω·θ̇) of the discrete-time LQR for the dynamics
	// linearised at upright (θ̇' = θ̇ + (15θ + 3u)·dt, θ' = θ + θ̇'·dt,
	// dt = 0.05) with the task's own cost weights Q = diag(1, 0.1),
	// R = 0.001. TestPendulumLQRGains re-solves the Riccati equation.
	pendulumKTheta = 19.69
	pendulumKOmega = 5.26
	// pendulumCatchCos is the cos θ above which the LQR takes over from
	// the swing-up (|θ| < 31.8°).
	pendulumCatchCos = 0.85
	// pendulumTopEnergy is the energy E = θ̇²/2 + 15·cos θ of the pendulum
	// at rest upright, in the units of the dynamics θ̈ = 15·sin θ + 3u.
	pendulumTopEnergy = 15
	// pendulumMaxTorque is the bound of the action box.
	pendulumMaxTorque = 2.0
)

// PendulumExpert swings the Pendulum-v1 pendulum up and balances it, using
// only the observation [cos θ, sin θ, θ̇]. It is deterministic and ignores
// rng.
//
// Far from upright it pumps energy with full torque. The energy
//
//	E = θ̇²/2 + 15·cos θ,  dE/dt = 3·u·θ̇
//
// grows when u has the sign of θ̇, so it applies u = ±2 with the sign of
// (15 − E)·θ̇ (pushing along the motion while E is short of the upright
// value 15, braking once it exceeds it; +2 when at rest). Within 31.8° of
// upright (cos θ > 0.85) a linear-quadratic regulator, u = −(19.69·θ +
// 5.26·θ̇) clipped to ±2, catches and holds it.
//
// Over reset seeds 0..99 its mean return is about −158 per 200-step
// episode (see [ReferenceFor]).
type PendulumExpert struct{}

// Act writes the torque for obs into action[0].
func (PendulumExpert) Act(obs []float64, _ *rand.Rand, action []float64) {
	cosTheta, sinTheta, omega := obs[0], obs[1], obs[2]
	if cosTheta > pendulumCatchCos {
		theta := math.Atan2(sinTheta, cosTheta)
		// float64() keeps the compiler from fusing multiply-adds, so
		// actions are bit-identical across platforms.
		u := -(float64(pendulumKTheta*theta) + float64(pendulumKOmega*omega))
		action[0] = math.Min(math.Max(u, -pendulumMaxTorque), pendulumMaxTorque)
		return
	}
	energy := float64(omega*omega/2) + float64(pendulumTopEnergy*cosTheta)
	if (pendulumTopEnergy-energy)*omega < 0 {
		action[0] = -pendulumMaxTorque
		return
	}
	action[0] = pendulumMaxTorque
}
