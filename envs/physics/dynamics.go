package physics

import (
	"errors"
	"fmt"
	"math"
)

// mjMINVAL is MuJoCo's smallest positive value used to guard divisions
// and square roots (mjmodel.h).
const mjMINVAL = 1e-15

// ErrNonFinite is returned (wrapped) when a control, the state or a
// computed acceleration is NaN or infinite.
var ErrNonFinite = errors.New("physics: non-finite value")

// Data is the simulation state of a Model plus all the scratch space the
// dynamics need, allocated once by NewData so that Forward and Step do not
// allocate. The exported slices are the state and inputs; the caller may
// write Qpos, Qvel and Ctrl between steps (Step checks them). The other
// exported slices hold the results of the last Forward (or of the last
// dynamics evaluation inside Step, for RK4 the last stage). A Data is not
// safe for concurrent use; give each goroutine its own.
type Data struct {
	Time float64   // simulated time, advanced by Step
	Qpos []float64 // joint positions, nq
	Qvel []float64 // joint velocities, nv
	Ctrl []float64 // actuator controls, nu (clamped to ctrlrange when used)
	Qacc []float64 // joint accelerations from the last Forward, nv

	QfrcBias       []float64 // Coriolis, centrifugal and gravity forces (c in M·qacc + c = τ)
	QfrcPassive    []float64 // spring, damper and fluid forces
	QfrcActuator   []float64 // actuator forces
	QfrcConstraint []float64 // constraint (joint limit and contact) forces Jᵀf
	M              []float64 // joint-space inertia matrix, nv×nv row-major

	m *Model

	// Tree structure, derived from the model once.
	dofParent   []int // previous DOF on the path to the root, -1 at the root
	bodyLastDof []int // last DOF that moves each body, -1 if none
	invWeight0  []float64
	bodyIMat    []mat3 // inertial-frame rotation in the body frame
	fluidBoxes  []Vec3 // fluid model box sides per body

	// Kinematics.
	xpos, xipos, xanchor, xaxis []vec
	xquat                       []Quat
	xmat, ximat                 []mat3
	cinert, crb                 []inertia
	cdof, cdofDot, cvel, cacc   []spatial
	cfrc                        []spatial

	// Dynamics scratch.
	qfrcSmooth, qaccSmooth []float64
	chol                   []float64 // factorM factor of M (row-major)
	tmp                    []float64

	cons constraints
	cscr contactScratch

	// Collision.
	pairs    []geomPair   // candidate geom pairs (collidePairs)
	contacts []Contact    // contacts of the last evaluation, ncon used
	conPair  []int        // pair index of each contact
	ncon     int          // number of contacts
	bodyW0   [][2]float64 // body_invweight0 (translation, rotation)
	// maxRows is the most constraint rows active in any dynamics
	// evaluation since the last Step or SetState began; tests use it to
	// tell steps that touched a joint limit.
	maxRows int
	// maxContacts is the most contacts (ncon) in any evaluation since the
	// last Step or SetState began.
	maxContacts int

	// Integrator scratch.
	qpos0, qvel0         []float64 // RK4 stage origin
	savedQpos, savedQvel []float64 // state before Step, restored on failure
	cholDamp             []float64 // factor of M + h·diag(damping) (Euler)
	qfrcTmp              []float64
	anyDamping           bool
	rkX, rkF             [4][]float64
}

// NewData allocates the state of m at rest in its reference configuration
// (qpos = Qpos0, qvel = 0, ctrl = 0), like mj_makeData followed by
// mj_resetData, and evaluates Forward once.
func NewData(m *Model) *Data {
	nb, nv, nq, nj := len(m.Bodies), m.Nv, m.Nq, len(m.Joints)
	f := func(n int) []float64 { return make([]float64, n) }
	d := &Data{m: m, Qpos: f(nq), Qvel: f(nv), Ctrl: f(m.Nu), Qacc: f(nv),
		QfrcBias: f(nv), QfrcPassive: f(nv), QfrcActuator: f(nv), QfrcConstraint: f(nv),
		M: f(nv * nv), qfrcSmooth: f(nv), qaccSmooth: f(nv), chol: f(nv * nv), tmp: f(nv),
		qpos0: f(nq), qvel0: f(nv), savedQpos: f(nq), savedQvel: f(nv),
		cholDamp: f(nv * nv), qfrcTmp: f(nv),
		dofParent: make([]int, nv), bodyLastDof: make([]int, nb),
		xpos: make([]vec, nb), xipos: make([]vec, nb), xquat: make([]Quat, nb),
		xmat: make([]mat3, nb), ximat: make([]mat3, nb),
		xanchor: make([]vec, nj), xaxis: make([]vec, nj),
		cinert: make([]inertia, nb), crb: make([]inertia, nb),
		cdof: make([]spatial, nv), cdofDot: make([]spatial, nv),
		cvel: make([]spatial, nb), cacc: make([]spatial, nb), cfrc: make([]spatial, nb),
	}
	for k := range d.rkX {
		d.rkX[k], d.rkF[k] = f(nv), f(nv)
	}
	// dof_parentid and the last DOF moving each body (MuJoCo user_model.cc).
	d.bodyLastDof[0] = -1
	for bi := 1; bi < nb; bi++ {
		b := &m.Bodies[bi]
		last := d.bodyLastDof[b.Parent]
		for i := b.DofAdr; i >= 0 && i < b.DofAdr+b.DofNum; i++ {
			d.dofParent[i] = last
			last = i
		}
		d.bodyLastDof[bi] = last
	}
	for _, j := range m.Joints {
		d.anyDamping = d.anyDamping || j.Damping > 0
	}
	d.bodyIMat = make([]mat3, nb)
	d.fluidBoxes = make([]Vec3, nb)
	for bi := range nb {
		b := &m.Bodies[bi]
		d.bodyIMat[bi] = quatMat(b.IQuat)
		if b.Mass >= mjMINVAL {
			// Box with the body's mass and principal moments (I0, I1, I2):
			// side_i² = 6·(I_j + I_k − I_i)/m.
			in := b.Inertia
			d.fluidBoxes[bi] = Vec3{
				math.Sqrt(math.Max(mjMINVAL, in[1]+in[2]-in[0]) / b.Mass * 6),
				math.Sqrt(math.Max(mjMINVAL, in[0]+in[2]-in[1]) / b.Mass * 6),
				math.Sqrt(math.Max(mjMINVAL, in[0]+in[1]-in[2]) / b.Mass * 6),
			}
		}
	}
	d.pairs = collidePairs(m)
	maxCon := 0
	for _, p := range d.pairs {
		maxCon += p.maxCon
	}
	d.contacts = make([]Contact, maxCon)
	d.conPair = make([]int, maxCon)
	d.cons.alloc(m, 4*maxCon)
	d.cscr.alloc(nv, d.cons.max)
	d.Reset()
	// dof_invweight0 (MuJoCo engine_setconst.c set0): the diagonal of M⁻¹
	// at qpos0; joint-limit rows use it to scale their regulariser.
	d.invWeight0 = f(nv)
	d.kinematics()
	d.massMatrix()
	for i := range nv {
		clear(d.tmp)
		d.tmp[i] = 1
		d.solveM(d.chol, d.tmp)
		d.invWeight0[i] = d.tmp[i]
	}
	d.bodyW0 = d.bodyInvWeight0()
	d.forward()
	return d
}

// Model returns the model the data belongs to.
func (d *Data) Model() *Model { return d.m }

// Reset puts the state back to qpos = Qpos0, qvel = 0, ctrl = 0, time 0
// (mj_resetData) without evaluating the dynamics.
func (d *Data) Reset() {
	copy(d.Qpos, d.m.Qpos0)
	clear(d.Qvel)
	clear(d.Ctrl)
	clear(d.Qacc)
	d.Time = 0
}

// SetState copies qpos and qvel into the state and evaluates Forward (the
// Gymnasium set_state: mj_resetData, copy, mj_forward). Time and Ctrl are
// reset to zero. Non-finite values are an error and leave d reset.
func (d *Data) SetState(qpos, qvel []float64) error {
	if len(qpos) != d.m.Nq || len(qvel) != d.m.Nv {
		return fmt.Errorf("physics: SetState: got %d qpos and %d qvel, want %d and %d",
			len(qpos), len(qvel), d.m.Nq, d.m.Nv)
	}
	d.Reset()
	if i := firstNonFinite(qpos); i >= 0 {
		return fmt.Errorf("%w: qpos[%d] = %v", ErrNonFinite, i, qpos[i])
	}
	if i := firstNonFinite(qvel); i >= 0 {
		return fmt.Errorf("%w: qvel[%d] = %v", ErrNonFinite, i, qvel[i])
	}
	copy(d.Qpos, qpos)
	copy(d.Qvel, qvel)
	d.maxRows, d.maxContacts = 0, 0
	return d.Forward()
}

// Forward evaluates the dynamics at the current state: kinematics, mass
// matrix, bias, passive and actuator forces, collision detection,
// joint-limit and contact constraints and Qacc (MuJoCo mj_forward). It
// returns an error if the inputs or the resulting acceleration are not
// finite.
func (d *Data) Forward() error {
	if err := d.checkInputs(); err != nil {
		return err
	}
	d.forward()
	if i := firstNonFinite(d.Qacc); i >= 0 {
		return fmt.Errorf("%w: qacc[%d] = %v", ErrNonFinite, i, d.Qacc[i])
	}
	return nil
}

// forward is Forward without the checks: mj_forward's position, velocity,
// actuation, acceleration and constraint stages for this model subset.
func (d *Data) forward() {
	d.kinematics()
	d.massMatrix()
	d.velocities()
	d.passive()
	d.rne()
	d.actuation()
	nv := d.m.Nv
	for i := range nv {
		d.qfrcSmooth[i] = d.QfrcPassive[i] - d.QfrcBias[i] + d.QfrcActuator[i]
	}
	copy(d.qaccSmooth, d.qfrcSmooth)
	d.solveM(d.chol, d.qaccSmooth)
	d.collision()
	d.cons.instantiateLimits(d)
	nlim := d.cons.n
	d.cons.instantiateContacts(d)
	d.maxRows = max(d.maxRows, d.cons.n)
	d.maxContacts = max(d.maxContacts, d.ncon)
	if d.cons.n == nlim {
		d.cons.solve(d)
	} else {
		d.cons.newton(d)
	}
}

// massMatrix fills M with the composite rigid body algorithm (MuJoCo 2.2.2
// mj_crb): each body's composite inertia is the sum over its subtree, and
// M_ij = cdof_iᵀ·crb(body(j))·cdof_j for DOF i on the path from j to the
// root. Armature is added on the diagonal, then M is factored.
func (d *Data) massMatrix() {
	m := d.m
	nb, nv := len(m.Bodies), m.Nv
	copy(d.crb, d.cinert)
	for bi := nb - 1; bi > 0; bi-- {
		if p := m.Bodies[bi].Parent; p > 0 {
			d.crb[p].addTo(&d.crb[bi])
		}
	}
	clear(d.M)
	for j := range nv {
		buf := d.crb[m.DofBody[j]].mul(&d.cdof[j])
		for i := j; i >= 0; i = d.dofParent[i] {
			v := dot6(&d.cdof[i], &buf)
			d.M[i*nv+j], d.M[j*nv+i] = v, v
		}
		d.M[j*nv+j] += m.Joints[m.DofJoint[j]].Armature
	}
	d.factorM(d.chol, d.M)
}

// rne computes the bias force c(q, q̇) = Coriolis + centrifugal + gravity by
// recursive Newton–Euler with zero joint acceleration (MuJoCo 2.2.2 mj_rne
// with flg_acc = 0): the world "accelerates" by −gravity, each body's
// acceleration is its parent's plus Σ cdof_dot·qvel, its net force is
// I·a + v ×f (I·v), forces accumulate from the leaves to the root, and
// c_i = cdof_iᵀ·cfrc(body(i)).
func (d *Data) rne() {
	m := d.m
	g := v3(m.Option.Gravity)
	d.cacc[0] = spatial{v: g.scale(-1)}
	for bi := 1; bi < len(m.Bodies); bi++ {
		b := &m.Bodies[bi]
		a := d.cacc[b.Parent]
		for i := b.DofAdr; i >= 0 && i < b.DofAdr+b.DofNum; i++ {
			a = a.add(d.cdofDot[i].scale(d.Qvel[i]))
		}
		d.cacc[bi] = a
		fa := d.cinert[bi].mul(&a)
		mv := d.cinert[bi].mul(&d.cvel[bi])
		fv := crossForce(&d.cvel[bi], &mv)
		d.cfrc[bi] = fa.add(fv)
	}
	for bi := len(m.Bodies) - 1; bi > 0; bi-- {
		if p := m.Bodies[bi].Parent; p > 0 {
			d.cfrc[p] = d.cfrc[p].add(d.cfrc[bi])
		}
	}
	for i := range m.Nv {
		d.QfrcBias[i] = dot6(&d.cdof[i], &d.cfrc[m.DofBody[i]])
	}
}

// passive computes joint springs −k·(q − springref), dampers −b·q̇ and, when
// the medium has density or viscosity, the inertia-box fluid forces of
// every massive body (MuJoCo 2.2.2 engine_passive.c mj_passive).
func (d *Data) passive() {
	m := d.m
	for i := range m.Nv {
		j := &m.Joints[m.DofJoint[i]]
		q := j.QposAdr
		d.QfrcPassive[i] = -j.Stiffness*(d.Qpos[q]-m.QposSpring[q]) - j.Damping*d.Qvel[i]
	}
	if m.Option.Density > 0 || m.Option.Viscosity > 0 {
		for bi := 1; bi < len(m.Bodies); bi++ {
			if m.Bodies[bi].Mass >= mjMINVAL {
				d.fluidBox(bi)
			}
		}
	}
}

// fluidBox adds the fluid forces of body bi modelled as the box with the
// body's mass and principal inertia (MuJoCo 2.2.2 engine_passive.c
// mj_inertiaBoxFluidModel): the COM velocity is expressed in the inertial
// (principal) frame, Stokes drag uses the mean box side as the diameter,
// quadratic drag acts per axis on the box's projected area (force) or its
// fourth-moment analogue (torque), and the result is applied at the COM.
func (d *Data) fluidBox(bi int) {
	m := d.m
	box := d.fluidBoxes[bi]
	// Velocity at the COM, in the inertial frame, minus the wind.
	v := &d.cvel[bi]
	c := d.xipos[bi]
	vc := v.v.add(v.w.cross(c))
	r := &d.ximat[bi]
	w := r.mulT(v.w)
	u := r.mulT(vc).sub(r.mulT(v3(m.Option.Wind)))
	lw, lv := [3]float64{w.x, w.y, w.z}, [3]float64{u.x, u.y, u.z}
	var lt, lf [3]float64
	diam := (box[0] + box[1] + box[2]) / 3
	if mu := m.Option.Viscosity; mu > 0 {
		for i := range 3 {
			lt[i] = -lw[i] * math.Pi * diam * diam * diam * mu
			lf[i] = -lv[i] * 3 * math.Pi * diam * mu
		}
	}
	if rho := m.Option.Density; rho > 0 {
		for i := range 3 {
			j, k := (i+1)%3, (i+2)%3
			lf[i] -= 0.5 * rho * box[j] * box[k] * math.Abs(lv[i]) * lv[i]
			bj4 := box[j] * box[j] * box[j] * box[j]
			bk4 := box[k] * box[k] * box[k] * box[k]
			lt[i] -= rho * box[i] * (bj4 + bk4) * math.Abs(lw[i]) * lw[i] / 64
		}
	}
	d.applyForce(r.mul(v3(lf)), r.mul(v3(lt)), c, bi, d.QfrcPassive)
}

// actuation computes motor forces gear·clamp(ctrl, ctrlrange), clamped to
// forcerange when force-limited (MuJoCo 2.2.2 engine_forward.c
// mj_fwdActuation with gain 1, bias 0 and a joint transmission).
func (d *Data) actuation() {
	m := d.m
	clear(d.QfrcActuator)
	for a := range m.Actuators {
		act := &m.Actuators[a]
		u := d.Ctrl[a]
		if act.CtrlLimited {
			u = math.Min(math.Max(u, act.CtrlRange[0]), act.CtrlRange[1])
		}
		if act.ForceLimited {
			u = math.Min(math.Max(u, act.ForceRange[0]), act.ForceRange[1])
		}
		d.QfrcActuator[m.Joints[act.Joint].DofAdr] += act.Gear[0] * u
	}
}

// checkInputs reports the first non-finite control or state value.
func (d *Data) checkInputs() error {
	for _, s := range []struct {
		name string
		v    []float64
	}{{"ctrl", d.Ctrl}, {"qpos", d.Qpos}, {"qvel", d.Qvel}} {
		if i := firstNonFinite(s.v); i >= 0 {
			return fmt.Errorf("%w: %s[%d] = %v", ErrNonFinite, s.name, i, s.v[i])
		}
	}
	return nil
}

func firstNonFinite(v []float64) int {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return i
		}
	}
	return -1
}

// cholesky writes into l the lower Cholesky factor of the symmetric
// positive-definite n×n matrix a (both row-major). Only the lower triangle
// of a is read, each entry before l's entry overwrites it, so l may alias
// a. It serves the matrices that need not have the mass matrix's tree
// sparsity (the Newton Hessian, limit-row submatrices), which factorM
// would not factor correctly; they are at most a few tens of rows.
func cholesky(l, a []float64, n int) {
	// Row slices let the compiler drop the bounds checks of the inner
	// loops. Multiplying by the reciprocal of the diagonal instead of
	// dividing takes the division off the dependency chain from one entry
	// to the next (it only needs the diagonal), which the CPU then overlaps;
	// it changes the factor by round-off only.
	for i := range n {
		li := l[i*n : i*n+n]
		ai := a[i*n : i*n+n]
		for j := 0; j < i; j++ {
			lj := l[j*n : j*n+j+1]
			s := ai[j]
			lij := li[:j]
			for k, v := range lij {
				s -= v * lj[k]
			}
			li[j] = s * (1 / lj[j])
		}
		s := ai[i]
		lii := li[:i]
		for _, v := range lii {
			s -= v * v
		}
		li[i] = math.Sqrt(s)
		clear(li[i+1:])
	}
}

// factorM writes into l the factor of a (nv×nv, row-major) that MuJoCo's
// mj_factorM computes: a = Lᵀ·D·L with L unit lower triangular (below the
// diagonal of l) and D diagonal (on it), eliminating from the last DOF up.
// a must have the sparsity of the mass matrix (a_ij ≠ 0 only when one of
// i, j is an ancestor of the other in the DOF tree): that ordering then
// creates no fill-in, so each row only touches its ancestors, far fewer
// operations than a dense factor of the same matrix. l may alias a.
func (d *Data) factorM(l, a []float64) {
	nv, par := len(d.dofParent), d.dofParent
	copy(l, a)
	for k := nv - 1; k >= 0; k-- {
		lk := l[k*nv : (k+1)*nv]
		for i := par[k]; i >= 0; i = par[i] {
			t := lk[i] / lk[k]
			li := l[i*nv : (i+1)*nv]
			for j := i; j >= 0; j = par[j] {
				li[j] -= t * lk[j]
			}
			lk[i] = t
		}
	}
}

// solveM overwrites x with a⁻¹x for the factor l of a from factorM
// (MuJoCo mj_solveLD): x ← L⁻ᵀx, then D⁻¹x, then L⁻¹x.
func (d *Data) solveM(l, x []float64) {
	nv, par := len(d.dofParent), d.dofParent
	for k := nv - 1; k >= 0; k-- {
		xk := x[k]
		for i := par[k]; i >= 0; i = par[i] {
			x[i] -= l[k*nv+i] * xk
		}
	}
	for k := range nv {
		x[k] /= l[k*nv+k]
	}
	for k := range nv {
		s := x[k]
		for i := par[k]; i >= 0; i = par[i] {
			s -= l[k*nv+i] * x[i]
		}
		x[k] = s
	}
}

// cholSolveN is cholSolve for the leading n entries, with the factor's
// reciprocal diagonal computed off the substitution's critical path (as
// in cholesky).
func cholSolveN(l, x []float64, n int) {
	x = x[:n]
	l = l[:n*n]
	for i := range n {
		li := l[i*n : i*n+i+1]
		s := x[i]
		for k, v := range li[:i] {
			s -= v * x[k]
		}
		x[i] = s * (1 / li[i])
	}
	for i := n - 1; i >= 0; i-- {
		s := x[i]
		for k := i + 1; k < n; k++ {
			s -= l[k*n+i] * x[k]
		}
		x[i] = s * (1 / l[i*n+i])
	}
}
