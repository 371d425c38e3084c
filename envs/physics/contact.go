package physics

import "math"

// contactScratch holds what the contact rows and the Newton solve need
// beyond the constraint rows themselves.
type contactScratch struct {
	jac1, jac2 []float64 // 3×nv point Jacobians
	h          []float64 // Hessian M + Σ D·JᵀJ, nv×nv
	hchol      []float64 // its Cholesky factor
	g, p, mp   []float64 // gradient, Newton direction, M·p
	da         []float64 // qacc − qacc_smooth
	jar, jp    []float64 // J·qacc − aref and J·p per row
	bp         []float64 // line-search breakpoints
	order      []int     // rows sorted by breakpoint
	active     []bool    // row in the quadratic (jar < 0) part
}

// bodyInvWeight0 computes MuJoCo 2.2.2's body_invweight0 (engine_setconst.c
// set0): at qpos0, with J the 6×nv Jacobian of the body's centre of mass
// (translation rows, then rotation rows), A = J·M⁻¹·Jᵀ; the translational
// weight is the mean of A's first three diagonal entries and the
// rotational weight the mean of the last three. d must hold the qpos0
// kinematics and the factored mass matrix.
func (d *Data) bodyInvWeight0() [][2]float64 {
	nb, nv := len(d.m.Bodies), d.m.Nv
	w := make([][2]float64, nb)
	row := make([]float64, nv)
	jac := make([]float64, 3*nv)
	for bi := 1; bi < nb; bi++ {
		d.PointJacobian(jac, d.xipos[bi].arr(), bi)
		var tr, rot float64
		for k := range 6 {
			clear(row)
			if k < 3 {
				copy(row, jac[k*nv:(k+1)*nv])
			} else {
				for i := d.bodyLastDof[bi]; i >= 0; i = d.dofParent[i] {
					om := d.cdof[i].w
					row[i] = [3]float64{om.x, om.y, om.z}[k-3]
				}
			}
			orig := append([]float64(nil), row...)
			d.solveM(d.chol, row)
			var s float64
			for i := range nv {
				s += orig[i] * row[i]
			}
			if k < 3 {
				tr += s
			} else {
				rot += s
			}
		}
		w[bi] = [2]float64{tr / 3, rot / 3}
	}
	return w
}

// instantiateContacts appends the rows of every non-excluded contact after
// the joint-limit rows (MuJoCo 2.2.2 engine_core_constraint.c
// mj_instantiateContact, mj_diagApprox and mj_makeImpedance, pyramidal
// cone). With Jn, Jt1, Jt2 the contact frame's rows times the Jacobian
// difference of the contact point (body 2 minus body 1), a condim-3
// contact adds the four pyramid edges Jn + μ1·Jt1, Jn − μ1·Jt1,
// Jn + μ2·Jt2, Jn − μ2·Jt2 (μ = the pair's sliding frictions), a condim-1
// contact the single row Jn. Every row of a contact has pos = dist and
// margin = margin − gap, so one impedance; diagApprox is
// tran·(1 + μ1²) with tran the sum of the two bodies' translational
// body_invweight0 (tran alone for condim 1); R of a pyramidal contact is
// 2·μ²·R₀ on all rows, R₀ = (1−imp)/imp·diagApprox of the first row and
// μ = μ1·sqrt(1/impratio); aref = −B·J_row·qvel − K·imp·(dist − margin).
func (c *constraints) instantiateContacts(d *Data) {
	m := d.m
	nv := m.Nv
	cs := &d.cscr
	for ci := range d.ncon {
		con := &d.contacts[ci]
		if con.Exclude {
			continue
		}
		p := &d.pairs[d.conPair[ci]]
		b1, b2 := m.Geoms[con.Geom1].Body, m.Geoms[con.Geom2].Body
		d.PointJacobian(cs.jac2, con.Pos, b2)
		if b1 != 0 {
			d.PointJacobian(cs.jac1, con.Pos, b1)
			for i := range 3 * nv {
				cs.jac2[i] -= cs.jac1[i]
			}
		}
		if !onePath(m, b1, b2) {
			c.chain = false
		}
		tran := d.bodyW0[b1][0] + d.bodyW0[b2][0]
		nrows := 1
		if p.condim > 1 {
			nrows = 4
		}
		k0 := c.n
		c.n += nrows
		ip := makeImpedance(p.solref, p.solimp, m.Option.Timestep, con.Dist, p.margin)
		for r := range nrows {
			k := k0 + r
			row := c.j[k*nv : (k+1)*nv]
			// Jn ± μ·Jt: frame row 0 is the normal, rows 1 and 2 tangents.
			t, sgn := r/2+1, 1.0-2*float64(r%2)
			mu := p.friction[r/2]
			nf, tf := con.Frame[0], con.Frame[t]
			var vel float64
			for i := range nv {
				jn := nf[0]*cs.jac2[i] + nf[1]*cs.jac2[nv+i] + nf[2]*cs.jac2[2*nv+i]
				v := jn
				if nrows > 1 {
					jt := tf[0]*cs.jac2[i] + tf[1]*cs.jac2[nv+i] + tf[2]*cs.jac2[2*nv+i]
					v = jn + sgn*mu*jt
				}
				row[i] = v
				vel += v * d.Qvel[i]
			}
			c.pos[k], c.marg[k], c.vel[k] = con.Dist, p.margin, vel
			c.diag[k] = tran
			if nrows > 1 {
				c.diag[k] = tran + mu*mu*tran
			}
			c.setImpedanceWith(k, ip)
		}
		if nrows > 1 {
			// mj_makeImpedance: R[1] = R[0]/impratio, μ = μ1·sqrt(R[1]/R[0]),
			// Rpy = 2·μ²·R[0] on every row of the contact.
			r0 := c.r[k0]
			r1 := r0 / math.Max(mjMINVAL, m.Option.Impratio)
			mu := p.friction[0] * math.Sqrt(r1/r0)
			rpy := 2 * mu * mu * r0
			for r := range nrows {
				c.r[k0+r] = rpy
			}
		}
	}
}

// onePath reports whether bodies b1 and b2 lie on one path from the world
// (one is an ancestor of the other, the world included), so that the
// Jacobian of a contact between them only involves that path's DOFs.
func onePath(m *Model, b1, b2 int) bool {
	if b1 > b2 {
		b1, b2 = b2, b1
	}
	// Parents precede their children, so only b1 can be b2's ancestor.
	for b := b2; b > b1; b = m.Bodies[b].Parent {
		if m.Bodies[b].Parent == b1 {
			return true
		}
	}
	return b1 == b2
}

// newtonIters bounds the Newton iterations; each iteration either ends at
// the optimum or crosses at least one breakpoint, and in practice two to
// five suffice.
const newtonIters = 100

// newton minimises MuJoCo's constraint cost over qacc (the problem that
// engine_solver.c mj_solNewton solves, pyramidal cone, all rows
// unilateral):
//
//	f(a) = ½(a − a₀)ᵀM(a − a₀) + Σ_rows ½·(1/R)·min(0, J·a − aref)²
//
// with a₀ = qacc_smooth. f is strictly convex and piecewise quadratic, so
// its minimiser is unique. Each iteration takes the Newton direction of
// the quadratic piece at the current point (H = M + Σ_active JᵀJ/R, rows
// with J·a − aref < 0 active) and minimises f exactly along it: the
// directional derivative is piecewise linear and increasing in the step,
// so walking the sorted breakpoints (where a row changes sides) finds its
// root exactly. When that root lies before the first breakpoint the point
// is the exact minimiser of a quadratic piece whose active set it
// satisfies, i.e. the optimum, and the iteration stops. MuJoCo stops
// instead when the cost improves by less than tolerance (1e-8, scaled),
// which for these small problems is usually at the same exact optimum.
// Constraint forces are −(J·a − aref)/R on active rows, 0 elsewhere.
func (c *constraints) newton(d *Data) {
	nv, n := c.nv, c.n
	cs := &d.cscr
	a := d.Qacc
	copy(a, d.qaccSmooth)
	for range newtonIters {
		// Residuals, active set, gradient and Hessian at a.
		for i := range nv {
			cs.da[i] = a[i] - d.qaccSmooth[i]
		}
		matVec(cs.g, d.M, cs.da, nv)
		copy(cs.h, d.M)
		for k := range n {
			jk := c.j[k*nv : (k+1)*nv]
			jar := -c.aref[k]
			for i := range nv {
				jar += jk[i] * a[i]
			}
			cs.jar[k] = jar
			cs.active[k] = jar < 0
			if !cs.active[k] {
				continue
			}
			dk := 1 / c.r[k]
			// cholesky reads only the lower triangle of H, so the upper
			// one is left as M's.
			for i, ji := range jk {
				cs.g[i] += dk * jar * ji
				hi := cs.h[i*nv : i*nv+i+1]
				dji := dk * ji
				for l, v := range jk[:len(hi)] {
					hi[l] += dji * v
				}
			}
		}
		for i := range nv {
			cs.p[i] = -cs.g[i]
		}
		if c.chain {
			d.factorM(cs.hchol, cs.h)
			d.solveM(cs.hchol, cs.p)
		} else {
			cholesky(cs.hchol, cs.h, nv)
			cholSolveN(cs.hchol, cs.p, nv)
		}
		alpha, crossed := c.lineSearch(d)
		for i := range nv {
			a[i] += alpha * cs.p[i]
		}
		if !crossed {
			break
		}
	}
	// Forces and qfrc_constraint at the solution.
	clear(d.QfrcConstraint)
	for k := range n {
		jk := c.j[k*nv : (k+1)*nv]
		jar := -c.aref[k]
		for i := range nv {
			jar += jk[i] * a[i]
		}
		c.f[k] = 0
		if jar < 0 {
			c.f[k] = -jar / c.r[k]
			for i := range nv {
				d.QfrcConstraint[i] += jk[i] * c.f[k]
			}
		}
	}
}

// lineSearch returns the exact minimiser α > 0 of f(a + α·p) (p, jar and
// the active set at α = 0 in the scratch) and whether the minimiser lies
// past a breakpoint. The derivative is u + α·s on each segment with
// u = pᵀM(a − a₀) + Σ_active D·Jp·jar and s = pᵀMp + Σ_active D·Jp².
func (c *constraints) lineSearch(d *Data) (float64, bool) {
	nv, n := c.nv, c.n
	cs := &d.cscr
	matVec(cs.mp, d.M, cs.p, nv)
	var u, s float64
	for i := range nv {
		u += cs.mp[i] * cs.da[i]
		s += cs.mp[i] * cs.p[i]
	}
	nb := 0
	for k := range n {
		jk := c.j[k*nv : (k+1)*nv]
		var jp float64
		for i := range nv {
			jp += jk[i] * cs.p[i]
		}
		cs.jp[k] = jp
		act := cs.jar[k] < 0 || (cs.jar[k] == 0 && jp < 0)
		cs.active[k] = act
		if act {
			dk := 1 / c.r[k]
			u += dk * jp * cs.jar[k]
			s += dk * jp * jp
		}
		if jp != 0 {
			if t := -cs.jar[k] / jp; t > 0 {
				// Insertion sort by breakpoint.
				cs.bp[k] = t
				j := nb
				for j > 0 && cs.bp[cs.order[j-1]] > t {
					cs.order[j] = cs.order[j-1]
					j--
				}
				cs.order[j] = k
				nb++
			}
		}
	}
	for b := range nb {
		if s > 0 {
			if alpha := -u / s; alpha <= cs.bp[cs.order[b]] {
				return alpha, b > 0
			}
		}
		k := cs.order[b]
		dk := 1 / c.r[k]
		if cs.active[k] {
			u -= dk * cs.jp[k] * cs.jar[k]
			s -= dk * cs.jp[k] * cs.jp[k]
		} else {
			u += dk * cs.jp[k] * cs.jar[k]
			s += dk * cs.jp[k] * cs.jp[k]
		}
		cs.active[k] = !cs.active[k]
	}
	if s <= 0 {
		return 0, false
	}
	return -u / s, nb > 0
}

// matVec sets y = A·x for a dense row-major n×n A.
func matVec(y, a, x []float64, n int) {
	for i := range n {
		var s float64
		ai := a[i*n : (i+1)*n]
		for l := range n {
			s += ai[l] * x[l]
		}
		y[i] = s
	}
}

func (cs *contactScratch) alloc(nv, rows int) {
	f := func(k int) []float64 { return make([]float64, k) }
	cs.jac1, cs.jac2 = f(3*nv), f(3*nv)
	cs.h, cs.hchol = f(nv*nv), f(nv*nv)
	cs.g, cs.p, cs.mp, cs.da = f(nv), f(nv), f(nv), f(nv)
	cs.jar, cs.jp, cs.bp = f(rows), f(rows), f(rows)
	cs.order = make([]int, rows)
	cs.active = make([]bool, rows)
}
