package physics

import "math"

// vec is the internal 3-vector. Unlike Vec3 ([3]float64), a small struct
// stays in registers in Go's compiler, which roughly halves the cost of
// the kinematics; the exported API keeps Vec3.
type vec struct{ x, y, z float64 }

func v3(a Vec3) vec               { return vec{a[0], a[1], a[2]} }
func (a vec) arr() Vec3           { return Vec3{a.x, a.y, a.z} }
func (a vec) add(b vec) vec       { return vec{a.x + b.x, a.y + b.y, a.z + b.z} }
func (a vec) sub(b vec) vec       { return vec{a.x - b.x, a.y - b.y, a.z - b.z} }
func (a vec) scale(s float64) vec { return vec{a.x * s, a.y * s, a.z * s} }
func (a vec) dot(b vec) float64   { return a.x*b.x + a.y*b.y + a.z*b.z }
func (a vec) cross(b vec) vec {
	return vec{a.y*b.z - a.z*b.y, a.z*b.x - a.x*b.z, a.x*b.y - a.y*b.x}
}

// mat3 is a row-major 3×3 matrix of rows.
type mat3 struct{ r0, r1, r2 vec }

func (m *mat3) arr() [3][3]float64 {
	return [3][3]float64{m.r0.arr(), m.r1.arr(), m.r2.arr()}
}

// mul returns m·v.
func (m *mat3) mul(v vec) vec { return vec{m.r0.dot(v), m.r1.dot(v), m.r2.dot(v)} }

// mulT returns mᵀ·v.
func (m *mat3) mulT(v vec) vec {
	return m.r0.scale(v.x).add(m.r1.scale(v.y)).add(m.r2.scale(v.z))
}

// mulM returns m·b.
func (m *mat3) mulM(b *mat3) mat3 {
	return mat3{b.mulT(m.r0), b.mulT(m.r1), b.mulT(m.r2)}
}

// quatMat returns the rotation matrix of a unit quaternion (w, x, y, z).
func quatMat(q Quat) mat3 {
	w, x, y, z := q[0], q[1], q[2], q[3]
	return mat3{
		vec{1 - 2*(y*y+z*z), 2 * (x*y - w*z), 2 * (x*z + w*y)},
		vec{2 * (x*y + w*z), 1 - 2*(x*x+z*z), 2 * (y*z - w*x)},
		vec{2 * (x*z - w*y), 2 * (y*z + w*x), 1 - 2*(x*x+y*y)},
	}
}

// spatial is a 6-vector (angular, linear) in world coordinates at the world
// origin: a motion vector (ω, v) gives the angular velocity and the
// velocity of the (possibly imaginary) body point at the origin; a force
// vector (n, f) gives the torque about the origin and the force. MuJoCo
// (engine_core_smooth.c) uses the same layout but puts the origin at each
// kinematic tree's centre of mass; the choice only changes rounding.
type spatial struct{ w, v vec }

func (a spatial) add(b spatial) spatial { return spatial{a.w.add(b.w), a.v.add(b.v)} }
func (a spatial) scale(s float64) spatial {
	return spatial{a.w.scale(s), a.v.scale(s)}
}

// inertia is a rigid-body (or composite) spatial inertia about the world
// origin: mass m, first moment h = m·c for centre of mass c, and the
// rotational inertia j about the origin. The three add across bodies, which
// is what the composite rigid body algorithm needs (MuJoCo keeps the same
// 10 numbers as cinert/crb, engine_core_smooth.c mj_comPos and mj_crb).
type inertia struct {
	m float64
	h vec
	j mat3
}

// mul returns the momentum (angular about the origin, linear) of a body
// with inertia in moving with motion vector s:
// p = m·v_o + ω×h, L = J·ω + h×v_o.
func (in *inertia) mul(s *spatial) spatial {
	return spatial{in.j.mul(s.w).add(in.h.cross(s.v)), s.v.scale(in.m).add(s.w.cross(in.h))}
}

// addTo adds o to in.
func (in *inertia) addTo(o *inertia) {
	in.m += o.m
	in.h = in.h.add(o.h)
	in.j = mat3{in.j.r0.add(o.j.r0), in.j.r1.add(o.j.r1), in.j.r2.add(o.j.r2)}
}

// crossMotion returns a ×ₘ u, the rate of change of motion vector u fixed
// in a frame moving with a (MuJoCo engine_util_spatial.c mju_crossMotion).
func crossMotion(a, u *spatial) spatial {
	return spatial{a.w.cross(u.w), a.w.cross(u.v).add(a.v.cross(u.w))}
}

// crossForce returns a ×f f, the rate of change of force vector f carried by
// motion a (MuJoCo engine_util_spatial.c mju_crossForce).
func crossForce(a, f *spatial) spatial {
	return spatial{a.w.cross(f.w).add(a.v.cross(f.v)), a.w.cross(f.v)}
}

// dot6 is the power pairing of a motion and a force vector.
func dot6(a, b *spatial) float64 { return a.w.dot(b.w) + a.v.dot(b.v) }

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
	d.xmat[0] = quatMat(d.xquat[0])
	for bi := 1; bi < len(m.Bodies); bi++ {
		b := &m.Bodies[bi]
		p := b.Parent
		pos := d.xpos[p].add(d.xmat[p].mul(v3(b.Pos)))
		q, r := d.xquat[p], d.xmat[p]
		if b.Quat != (Quat{1, 0, 0, 0}) {
			q = quatMul(q, b.Quat)
			r = quatMat(q)
		}
		for ji := b.JntAdr; ji >= 0 && ji < b.JntAdr+b.JntNum; ji++ {
			j := &m.Joints[ji]
			jpos := v3(j.Pos)
			anchor := r.mul(jpos).add(pos)
			axis := r.mul(v3(j.Axis))
			d.xanchor[ji], d.xaxis[ji] = anchor, axis
			dq := d.Qpos[j.QposAdr] - m.Qpos0[j.QposAdr]
			switch j.Type {
			case JointSlide:
				pos = pos.add(axis.scale(dq))
			case JointHinge:
				// MuJoCo normalises once after all joints; normalising
				// here instead saves a matrix per hinge and changes only
				// the last bit.
				q = quatNormalize(quatMul(q, axisAngleQuat(j.Axis, dq)))
				r = quatMat(q)
				pos = anchor.sub(r.mul(jpos))
			}
		}
		d.xquat[bi], d.xpos[bi], d.xmat[bi] = q, pos, r
		c := pos.add(r.mul(v3(b.IPos)))
		d.xipos[bi] = c
		ri := r.mulM(&d.bodyIMat[bi])
		d.ximat[bi] = ri
		// Spatial inertia about the origin: J = R·diag(I)·Rᵀ + m(|c|²·1 − c·cᵀ).
		mass := b.Mass
		di := v3(b.Inertia)
		cc := c.dot(c)
		// Rows of R·diag(I), paired with rows of R below.
		a0 := vec{ri.r0.x * di.x, ri.r0.y * di.y, ri.r0.z * di.z}
		a1 := vec{ri.r1.x * di.x, ri.r1.y * di.y, ri.r1.z * di.z}
		a2 := vec{ri.r2.x * di.x, ri.r2.y * di.y, ri.r2.z * di.z}
		j01 := a0.dot(ri.r1) - mass*c.x*c.y
		j02 := a0.dot(ri.r2) - mass*c.x*c.z
		j12 := a1.dot(ri.r2) - mass*c.y*c.z
		in := &d.cinert[bi]
		in.m, in.h = mass, c.scale(mass)
		in.j.r0 = vec{a0.dot(ri.r0) + mass*(cc-c.x*c.x), j01, j02}
		in.j.r1 = vec{j01, a1.dot(ri.r1) + mass*(cc-c.y*c.y), j12}
		in.j.r2 = vec{j02, j12, a2.dot(ri.r2) + mass*(cc-c.z*c.z)}
	}
	// cdof: a hinge moves the origin point with ω×(o − anchor) = anchor×ω.
	for i := range m.Nv {
		ji := m.DofJoint[i]
		ax := d.xaxis[ji]
		if m.Joints[ji].Type == JointSlide {
			d.cdof[i] = spatial{v: ax}
		} else {
			d.cdof[i] = spatial{ax, d.xanchor[ji].cross(ax)}
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
			v = v.add(d.cdof[i].scale(d.Qvel[i]))
		}
		d.cvel[bi] = v
	}
}

// applyForce adds to qfrc the generalised force of a force f and torque t
// (world frame) applied at world point p of body bi: qfrc_i += cdof_iᵀ·F
// for every DOF i that moves the body, F the spatial force at the origin
// (MuJoCo 2.2.2 engine_support.c mj_applyFT, which uses the body Jacobian).
func (d *Data) applyForce(f, t, p vec, bi int, qfrc []float64) {
	F := spatial{t.add(p.cross(f)), f}
	for i := d.bodyLastDof[bi]; i >= 0; i = d.dofParent[i] {
		qfrc[i] += dot6(&d.cdof[i], &F)
	}
}

// PointJacobian writes into jacp (3×nv, row-major) the Jacobian of the
// world position of point p (world coordinates) attached to body bi:
// ṗ = jacp·qvel (MuJoCo mj_jac). Like BodyFrame it uses the configuration
// of the last dynamics evaluation.
func (d *Data) PointJacobian(jacp []float64, p Vec3, bi int) {
	nv := d.m.Nv
	clear(jacp[:3*nv])
	pp := v3(p)
	for i := d.bodyLastDof[bi]; i >= 0; i = d.dofParent[i] {
		c := &d.cdof[i]
		v := c.v.add(c.w.cross(pp))
		jacp[i], jacp[nv+i], jacp[2*nv+i] = v.x, v.y, v.z
	}
}

// BodyFrame returns body bi's world position and rotation (columns are the
// body axes) in the configuration of the last dynamics evaluation: the
// current state after Forward or SetState, but after Step the last
// evaluation inside it (for RK4 the fourth stage), as MuJoCo's mj_step
// leaves xpos; call Forward first to get the frames of the new state.
func (d *Data) BodyFrame(bi int) (Vec3, [3][3]float64) {
	return d.xpos[bi].arr(), d.xmat[bi].arr()
}

// BodyCOM returns body bi's world centre of mass in the configuration of
// the last dynamics evaluation (see BodyFrame).
func (d *Data) BodyCOM(bi int) Vec3 { return d.xipos[bi].arr() }
