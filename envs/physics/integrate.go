package physics

import (
	"errors"
	"fmt"
	"math"
)

// MaxVal is MuJoCo's mjMAXVAL: mj_checkPos, mj_checkVel and mj_checkAcc
// (engine_forward.c, 2.2.2) treat any |qpos|, |qvel| or |qacc| above it,
// or a NaN, as a diverged simulation.
const MaxVal = 1e10

// ErrUnstable is returned (wrapped) by [Step] when the simulation is
// unstable by MuJoCo's rule: a qpos, qvel or qacc value is non-finite or
// larger than [MaxVal] in magnitude. When the cause is a non-finite value
// the error wraps [ErrNonFinite] as well.
var ErrUnstable = errors.New("physics: unstable simulation")

// The RK4 Butcher tableau of MuJoCo 2.2.2 (engine_forward.c): stage
// coefficients A (lower triangular, rows for stages 2–4), weights B and
// stage times C.
var (
	rk4A = [3][3]float64{{0.5, 0, 0}, {0, 0.5, 0}, {0, 0, 1}}
	rk4B = [4]float64{1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6}
	rk4C = [3]float64{0.5, 0.5, 1}
)

// Step advances d by frameSkip model timesteps with the current Ctrl held
// constant, as a Gymnasium env step does (mj_step frameSkip times). Each
// timestep evaluates the dynamics at the current state and integrates with
// the model's integrator.
//
// Non-finite values are errors, never silent corruption: Step first checks
// Ctrl, Qpos and Qvel and returns an error wrapping ErrNonFinite without
// changing d if any is NaN or infinite. It then applies MuJoCo's stability
// rule (mj_checkPos, mj_checkVel, mj_checkAcc): a |qpos| or |qvel| above
// [MaxVal] on entry, a |qacc| above it (or NaN) after a substep's dynamics,
// or a |qpos| or |qvel| above it (or non-finite) after a substep's
// integration is an error wrapping [ErrUnstable]. Qpos, Qvel and Time are
// then restored to their values before the call. MuJoCo instead warns and
// resets the state; a caller that wants that can call Reset. The check
// after integration sees at the end of this step what MuJoCo's
// mj_checkPos/mj_checkVel would only see at the start of the next one, so
// no state beyond MaxVal is ever left in d.
//
// Step does not allocate.
func Step(d *Data, frameSkip int) error {
	if frameSkip < 1 {
		return fmt.Errorf("physics: Step: frameSkip %d < 1", frameSkip)
	}
	if err := d.checkInputs(); err != nil {
		return err
	}
	for _, s := range [...]struct {
		name string
		v    []float64
	}{{"qpos", d.Qpos}, {"qvel", d.Qvel}} {
		if i := firstBeyond(s.v); i >= 0 {
			return fmt.Errorf("%w: %s[%d] = %v exceeds %g (MuJoCo mj_check)",
				ErrUnstable, s.name, i, s.v[i], MaxVal)
		}
	}
	copy(d.savedQpos, d.Qpos)
	copy(d.savedQvel, d.Qvel)
	t0 := d.Time
	d.maxRows, d.maxContacts = 0, 0
	for sub := range frameSkip {
		d.forward()
		name, v := "qacc", d.Qacc
		i := firstBeyond(v)
		if i < 0 {
			if d.m.Option.Integrator == RK4 {
				d.rk4()
			} else {
				d.euler()
			}
			name, v = "qpos", d.Qpos
			if i = firstBeyond(v); i < 0 {
				name, v = "qvel", d.Qvel
				i = firstBeyond(v)
			}
		}
		if i >= 0 {
			bad := v[i]
			copy(d.Qpos, d.savedQpos)
			copy(d.Qvel, d.savedQvel)
			d.Time = t0
			if math.IsNaN(bad) || math.IsInf(bad, 0) {
				return fmt.Errorf("%w: %w: %s[%d] = %v in substep %d (state restored)",
					ErrUnstable, ErrNonFinite, name, i, bad, sub)
			}
			return fmt.Errorf("%w: |%s[%d]| = %v exceeds %g in substep %d (state restored)",
				ErrUnstable, name, i, bad, MaxVal, sub)
		}
	}
	return nil
}

// firstBeyond returns the index of the first element of v that is NaN or
// larger than MaxVal in magnitude (infinities included), or −1.
func firstBeyond(v []float64) int {
	for i, x := range v {
		// Negated so that NaN, which fails every comparison, counts.
		if !(math.Abs(x) <= MaxVal) {
			return i
		}
	}
	return -1
}

// euler is MuJoCo 2.2.2's semi-implicit Euler step (engine_forward.c
// mj_Euler and mj_advance): qvel += h·qacc, then qpos += h·qvel with the
// new velocity. When any DOF has damping the acceleration is recomputed as
// (M + h·diag(damping))⁻¹·(qfrc_smooth + qfrc_constraint), which treats the
// damping implicitly (the explicit −damping·qvel is already in
// qfrc_smooth) and keeps stiff dampers stable.
func (d *Data) euler() {
	m := d.m
	nv := m.Nv
	h := m.Option.Timestep
	acc := d.Qacc
	if d.anyDamping {
		for i := range nv {
			d.qfrcTmp[i] = d.qfrcSmooth[i] + d.QfrcConstraint[i]
		}
		copy(d.cholDamp, d.M)
		for i := range nv {
			d.cholDamp[i*nv+i] += h * m.Joints[m.DofJoint[i]].Damping
		}
		d.factorM(d.cholDamp, d.cholDamp)
		d.solveM(d.cholDamp, d.qfrcTmp)
		acc = d.qfrcTmp
	}
	for i := range nv {
		d.Qvel[i] += acc[i] * h
	}
	for i := range nv {
		q := m.Joints[m.DofJoint[i]].QposAdr
		d.Qpos[q] += d.Qvel[i] * h
	}
	d.Time += h
}

// rk4 is MuJoCo 2.2.2's classic Runge–Kutta step (engine_forward.c
// mj_RungeKutta with N = 4): stage i evaluates the full dynamics (limits
// included) at qpos₀ + h·Σ A_ij·X_j, qvel₀ + h·Σ A_ij·F_j, where X_j and F_j
// are the velocities and accelerations of the earlier stages (stage 1 is
// the state itself, evaluated by the caller), and the step is
// qvel₀ + h·Σ B_j·F_j, qpos₀ + h·Σ B_j·X_j.
func (d *Data) rk4() {
	m := d.m
	nv := m.Nv
	h := m.Option.Timestep
	copy(d.qpos0, d.Qpos)
	copy(d.qvel0, d.Qvel)
	t0 := d.Time
	copy(d.rkX[0], d.Qvel)
	copy(d.rkF[0], d.Qacc)
	for s := 1; s < 4; s++ {
		for i := range nv {
			var dv, da float64
			for j := range s {
				dv += rk4A[s-1][j] * d.rkX[j][i]
				da += rk4A[s-1][j] * d.rkF[j][i]
			}
			q := m.Joints[m.DofJoint[i]].QposAdr
			d.Qpos[q] = d.qpos0[q] + dv*h
			d.Qvel[i] = d.qvel0[i] + da*h
		}
		d.Time = t0 + rk4C[s-1]*h
		d.forward()
		copy(d.rkX[s], d.Qvel)
		copy(d.rkF[s], d.Qacc)
	}
	for i := range nv {
		var dv, da float64
		for j := range 4 {
			dv += rk4B[j] * d.rkX[j][i]
			da += rk4B[j] * d.rkF[j][i]
		}
		q := m.Joints[m.DofJoint[i]].QposAdr
		d.Qvel[i] = d.qvel0[i] + da*h
		d.Qpos[q] = d.qpos0[q] + dv*h
	}
	d.Time = t0 + h
}
