package policies

import (
	"math"
	"math/rand/v2"
)

// Geometry and gains of [ReacherExpert].
const (
	// reacherLink0 and reacherLink1 are the distances from joint0 to
	// joint1 and from joint1 to the fingertip (reacher.xml: body1 at
	// 0.1 along link0, fingertip at 0.11 along link1).
	reacherLink0 = 0.1
	reacherLink1 = 0.11
	// reacherKP and reacherKD are the joint-space PD gains, in action
	// per radian and per rad/s, the best of the grid search
	// TestTuneReacherGains (kp from 0.1 to 2, kd from 0.01 to 0.2, 100
	// episodes each; see ReacherExpert).
	reacherKP = 0.25
	reacherKD = 0.05
)

// ReacherExpert moves the Reacher-v4 fingertip to the target by inverse
// kinematics and a joint-space PD controller.
//
// It recovers the joint angles from their cosines and sines, the target
// position as the forward-kinematic fingertip minus the observed
// fingertip − target vector, and solves the two-link inverse kinematics
// for the joint angles that put the fingertip on the target, choosing the
// elbow branch on the side the elbow already bends to (the shorter move;
// joint1 is limited to ±3 rad, so it cannot flip through π). The action
// is then a = kp·(q* − q) − kd·q̇, clipped to ±1. Inverse kinematics
// rather than a Jacobian-transpose law keeps the gain the same in every
// configuration, including targets close to the base where the Jacobian
// is nearly singular. It is deterministic and ignores rng.
//
// The gains trade distance against the control cost Σa²: over reset
// seeds 0..99, kp = 0.25, kd = 0.05 returns −4.27 on average, while
// stiffer gains overshoot and pay for torque (kp = 1, kd = 0.1: −8.6;
// kp = 2, kd = 0.01: −85) and softer ones arrive late (kp = 0.1,
// kd = 0.2: −10.4). A trained SAC agent reaches about −4 to −5. Run the
// search with OFFRL_TUNE=1 go test ./policies -run TestTuneReacherGains -v.
type ReacherExpert struct{}

// Act writes the two joint torques for obs into action.
func (ReacherExpert) Act(obs []float64, _ *rand.Rand, action []float64) {
	reacherPD{kp: reacherKP, kd: reacherKD}.Act(obs, nil, action)
}

// reacherPD is ReacherExpert with its gains as parameters, for tuning.
type reacherPD struct{ kp, kd float64 }

// Act implements [Policy] as described at [ReacherExpert].
func (c reacherPD) Act(obs []float64, _ *rand.Rand, action []float64) {
	c0, c1, s0, s1 := obs[0], obs[1], obs[2], obs[3]
	q0, q1 := math.Atan2(s0, c0), math.Atan2(s1, c1)
	// Fingertip by forward kinematics; cos and sin of q0+q1 by the
	// angle-sum identities.
	c01, s01 := c0*c1-s0*s1, s0*c1+c0*s1
	tipX := reacherLink0*c0 + reacherLink1*c01
	tipY := reacherLink0*s0 + reacherLink1*s01
	tx, ty := tipX-obs[8], tipY-obs[9]

	// Two-link inverse kinematics by the law of cosines; targets beyond
	// reach (not drawn by Reset, but possible in a hand-made state) are
	// clamped to the nearest reachable configuration.
	r2 := tx*tx + ty*ty
	cosElbow := (r2 - reacherLink0*reacherLink0 - reacherLink1*reacherLink1) /
		(2 * reacherLink0 * reacherLink1)
	elbow := math.Acos(math.Max(-1, math.Min(1, cosElbow)))
	if q1 < 0 {
		elbow = -elbow
	}
	shoulder := math.Atan2(ty, tx) -
		math.Atan2(reacherLink1*math.Sin(elbow), reacherLink0+reacherLink1*math.Cos(elbow))

	e0, e1 := wrapAngle(shoulder-q0), elbow-q1
	action[0] = clip1(float64(c.kp*e0) - float64(c.kd*obs[6]))
	action[1] = clip1(float64(c.kp*e1) - float64(c.kd*obs[7]))
}

// wrapAngle maps a to (−π, π].
func wrapAngle(a float64) float64 {
	a = math.Mod(a+math.Pi, 2*math.Pi)
	if a <= 0 {
		a += 2 * math.Pi
	}
	return a - math.Pi
}

// clip1 clips v to [−1, 1].
func clip1(v float64) float64 { return math.Min(math.Max(v, -1), 1) }
