package physics

import "math"

// Spatial vectors in this package are 6-vectors (angular, linear) expressed
// in world coordinates at the world origin: a motion vector (ω, v) gives
// the angular velocity and the velocity of the (possibly imaginary) body
// point at the origin; a force vector (n, f) gives the torque about the
// origin and the force. MuJoCo (engine_core_smooth.c) uses the same layout
// but puts the origin at each kinematic tree's centre of mass; the choice
// only changes rounding, not the results.
type spatial = [6]float64

// inertia is a rigid-body (or composite) spatial inertia about the world
// origin: mass m, first moment h = m·c for centre of mass c, and the
// rotational inertia j about the origin. The three add across bodies, which
// is what the composite rigid body algorithm needs (MuJoCo keeps the same
// 10 numbers as cinert/crb, engine_core_smooth.c mj_comPos and mj_crb).
type inertia struct {
	m float64
	h Vec3
	j [3][3]float64
}

// mul returns the momentum (angular about the origin, linear) of a body
// with inertia in moving with motion vector v:
// p = m·v_o + ω×h, L = J·ω + h×v_o.
func (in *inertia) mul(v *spatial) spatial {
	w := Vec3{v[0], v[1], v[2]}
	u := Vec3{v[3], v[4], v[5]}
	wh := cross(w, in.h)
	hu := cross(in.h, u)
	jw := mulMV(in.j, w)
	return spatial{jw[0] + hu[0], jw[1] + hu[1], jw[2] + hu[2],
		in.m*u[0] + wh[0], in.m*u[1] + wh[1], in.m*u[2] + wh[2]}
}

// addTo adds o to in.
func (in *inertia) addTo(o *inertia) {
	in.m += o.m
	for i := range 3 {
		in.h[i] += o.h[i]
		for k := range 3 {
			in.j[i][k] += o.j[i][k]
		}
	}
}

// crossMotion returns v ×ₘ u, the rate of change of motion vector u fixed
// in a frame moving with v (MuJoCo engine_util_spatial.c mju_crossMotion).
func crossMotion(v, u *spatial) spatial {
	w := Vec3{v[0], v[1], v[2]}
	a := cross(w, Vec3{u[0], u[1], u[2]})
	b := cross(w, Vec3{u[3], u[4], u[5]})
	c := cross(Vec3{v[3], v[4], v[5]}, Vec3{u[0], u[1], u[2]})
	return spatial{a[0], a[1], a[2], b[0] + c[0], b[1] + c[1], b[2] + c[2]}
}

// crossForce returns v ×f f, the rate of change of force vector f carried by
// motion v (MuJoCo engine_util_spatial.c mju_crossForce).
func crossForce(v, f *spatial) spatial {
	w := Vec3{v[0], v[1], v[2]}
	a := cross(w, Vec3{f[0], f[1], f[2]})
	b := cross(Vec3{v[3], v[4], v[5]}, Vec3{f[3], f[4], f[5]})
	c := cross(w, Vec3{f[3], f[4], f[5]})
	return spatial{a[0] + b[0], a[1] + b[1], a[2] + b[2], c[0], c[1], c[2]}
}

// dot6 is the power pairing of a motion and a force vector.
func dot6(a, b *spatial) float64 {
	return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] + a[3]*b[3] + a[4]*b[4] + a[5]*b[5]
}

func quatMul(a, b Quat) Quat {
	return Quat{
		a[0]*b[0] - a[1]*b[1] - a[2]*b[2] - a[3]*b[3],
		a[0]*b[1] + a[1]*b[0] + a[2]*b[3] - a[3]*b[2],
		a[0]*b[2] - a[1]*b[3] + a[2]*b[0] + a[3]*b[1],
		a[0]*b[3] + a[1]*b[2] - a[2]*b[1] + a[3]*b[0],
	}
}

// axisAngleQuat is the rotation by angle about the unit axis.
func axisAngleQuat(axis Vec3, angle float64) Quat {
	s, c := math.Sincos(angle / 2)
	return Quat{c, axis[0] * s, axis[1] * s, axis[2] * s}
}

func quatNormalize(q Quat) Quat {
	n := math.Sqrt(q[0]*q[0] + q[1]*q[1] + q[2]*q[2] + q[3]*q[3])
	return Quat{q[0] / n, q[1] / n, q[2] / n, q[3] / n}
}

// kinematics computes every body's world frame and inertial frame, every
// joint's world anchor and axis, and every DOF's motion vector cdof, from
// d.Qpos. It mirrors MuJoCo 2.2.2 mj_kinematics and mj_comPos
// (engine_core_smooth.c): a body starts at parent ∘ (Pos, Quat); its joints
// then apply in order, a slide translating by axis·(q − ref) and a hinge
// rotating by (q − ref) about the axis through the anchor, which stays put
// (the body origin is moved so that the anchor is fixed). The anchor and
// axis of a joint are taken before that joint moves the body, so a joint's
// axis is expressed in the frame left by the joints before it.
func (d *Data) kinematics() {
	m := d.m
	d.xquat[0] = Quat{1, 0, 0, 0}
	d.xmat[0] = quatToMat(d.xquat[0])
	for bi := 1; bi < len(m.Bodies); bi++ {
		b := &m.Bodies[bi]
		p := b.Parent
		pos := add(d.xpos[p], mulMV(d.xmat[p], b.Pos))
		q := quatMul(d.xquat[p], b.Quat)
		for ji := b.JntAdr; ji >= 0 && ji < b.JntAdr+b.JntNum; ji++ {
			j := &m.Joints[ji]
			r := quatToMat(q)
			anchor := add(mulMV(r, j.Pos), pos)
			axis := mulMV(r, j.Axis)
			d.xanchor[ji], d.xaxis[ji] = anchor, axis
			dq := d.Qpos[j.QposAdr] - m.Qpos0[j.QposAdr]
			switch j.Type {
			case JointSlide:
				pos = add(pos, Vec3{axis[0] * dq, axis[1] * dq, axis[2] * dq})
			case JointHinge:
				q = quatMul(q, axisAngleQuat(j.Axis, dq))
				pos = sub(anchor, mulMV(quatToMat(q), j.Pos))
			}
		}
		q = quatNormalize(q)
		d.xquat[bi], d.xpos[bi], d.xmat[bi] = q, pos, quatToMat(q)
		d.xipos[bi] = add(pos, mulMV(d.xmat[bi], b.IPos))
		d.ximat[bi] = quatToMat(quatMul(q, b.IQuat))
		// Spatial inertia about the origin: J = Ic + m(|c|²·1 − c·cᵀ).
		c := d.xipos[bi]
		in := &d.cinert[bi]
		in.m = b.Mass
		in.h = Vec3{b.Mass * c[0], b.Mass * c[1], b.Mass * c[2]}
		in.j = rotateDiag(d.ximat[bi], b.Inertia)
		cc := dot(c, c)
		for i := range 3 {
			for k := range 3 {
				in.j[i][k] -= b.Mass * c[i] * c[k]
			}
			in.j[i][i] += b.Mass * cc
		}
	}
	// cdof: a hinge moves the origin point with ω×(o − anchor) = anchor×ω.
	for i := range m.Nv {
		ji := m.DofJoint[i]
		ax, an := d.xaxis[ji], d.xanchor[ji]
		if m.Joints[ji].Type == JointSlide {
			d.cdof[i] = spatial{0, 0, 0, ax[0], ax[1], ax[2]}
		} else {
			v := cross(an, ax)
			d.cdof[i] = spatial{ax[0], ax[1], ax[2], v[0], v[1], v[2]}
		}
	}
}

// velocities computes every body's spatial velocity cvel and every DOF's
// cdof_dot = cvel ×ₘ cdof, where cvel is the body velocity accumulated from
// the DOFs before this one (MuJoCo 2.2.2 mj_comVel; the DOF's own
// contribution would add cdof ×ₘ cdof = 0).
func (d *Data) velocities() {
	m := d.m
	d.cvel[0] = spatial{}
	for bi := 1; bi < len(m.Bodies); bi++ {
		b := &m.Bodies[bi]
		v := d.cvel[b.Parent]
		for i := b.DofAdr; i >= 0 && i < b.DofAdr+b.DofNum; i++ {
			d.cdofDot[i] = crossMotion(&v, &d.cdof[i])
			for k := range 6 {
				v[k] += d.cdof[i][k] * d.Qvel[i]
			}
		}
		d.cvel[bi] = v
	}
}

// applyForce adds to qfrc the generalised force of a force f and torque t
// (world frame) applied at world point p of body bi: qfrc_i += cdof_iᵀ·F
// for every DOF i that moves the body, F the spatial force at the origin
// (MuJoCo 2.2.2 engine_support.c mj_applyFT, which uses the body Jacobian).
func (d *Data) applyForce(f, t, p Vec3, bi int, qfrc []float64) {
	pf := cross(p, f)
	F := spatial{t[0] + pf[0], t[1] + pf[1], t[2] + pf[2], f[0], f[1], f[2]}
	for i := d.bodyLastDof[bi]; i >= 0; i = d.dofParent[i] {
		qfrc[i] += dot6(&d.cdof[i], &F)
	}
}

// PointJacobian writes into jacp (3×nv, row-major) the Jacobian of the
// world position of point p (world coordinates) attached to body bi, at the
// state of the last Forward or Step: ṗ = jacp·qvel (MuJoCo mj_jac).
func (d *Data) PointJacobian(jacp []float64, p Vec3, bi int) {
	nv := d.m.Nv
	clear(jacp[:3*nv])
	for i := d.bodyLastDof[bi]; i >= 0; i = d.dofParent[i] {
		c := &d.cdof[i]
		v := add(Vec3{c[3], c[4], c[5]}, cross(Vec3{c[0], c[1], c[2]}, p))
		for k := range 3 {
			jacp[k*nv+i] = v[k]
		}
	}
}

// BodyFrame returns body bi's world position and rotation (columns are the
// body axes) at the state of the last Forward or Step.
func (d *Data) BodyFrame(bi int) (Vec3, [3][3]float64) { return d.xpos[bi], d.xmat[bi] }

// BodyCOM returns body bi's world centre of mass at the state of the last
// Forward or Step.
func (d *Data) BodyCOM(bi int) Vec3 { return d.xipos[bi] }
