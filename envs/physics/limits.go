package physics

import "math"

// constraints holds the active constraint rows of the current state and
// the scratch to solve for their forces. Rows are dense (a full Jacobian
// row over the DOFs): joint-limit rows first, then the pyramid-edge rows
// of the contacts (contact.go).
type constraints struct {
	max int // row capacity
	n   int // active rows
	// chain: every row's Jacobian is zero outside one root-to-leaf DOF
	// path, so M + Σ JᵀJ/R keeps the mass matrix's tree sparsity.
	chain bool
	nv    int       // DOFs
	j     []float64 // n×nv Jacobian rows
	pos   []float64 // signed distance (limit: to the limit; contact: dist)
	marg  []float64 // margin
	vel   []float64 // J·qvel
	aref  []float64 // reference acceleration
	r     []float64 // regulariser
	diag  []float64 // approximate diagonal of J·M⁻¹·Jᵀ
	imp   []float64 // impedance
	f     []float64 // solved forces, ≥ 0 for unilateral rows

	minvJT []float64 // M⁻¹·Jᵀ, stored as n rows of nv
	a      []float64 // J·M⁻¹·Jᵀ + diag(R), n×n
	b      []float64 // aref − J·qacc_smooth
	sub    []float64 // factor of a principal submatrix
	x      []float64 // forces of a candidate active set
	idx    []int     // rows of a candidate active set
}

// maxEnumRows bounds the rows solved by active-set enumeration (at most
// 2^maxEnumRows candidate sets); larger problems, which the supported
// models do not produce (one or two limit rows are active at a time), use
// projected Gauss–Seidel instead.
const maxEnumRows = 8

func (c *constraints) alloc(m *Model, contactRows int) {
	for _, j := range m.Joints {
		if j.Limited {
			c.max += 2
		}
	}
	c.max += contactRows
	n, nv := c.max, m.Nv
	f := func(k int) []float64 { return make([]float64, k) }
	c.nv = nv
	c.j, c.minvJT = f(n*nv), f(n*nv)
	c.pos, c.marg, c.vel, c.aref, c.r = f(n), f(n), f(n), f(n), f(n)
	c.diag, c.imp, c.f, c.b, c.x = f(n), f(n), f(n), f(n), f(n)
	c.a, c.sub = f(n*n), f(2*n*n) // sub: matrix then its factor
	c.idx = make([]int, n)
}

// solimpClamped returns solimp with MuJoCo's run-time clamping
// (engine_core_constraint.c getsolparam): dmin, dmax and midpoint in
// [1e-4, 0.9999], width ≥ 0, power ≥ 1.
func solimpClamped(s [5]float64) [5]float64 {
	cl := func(x float64) float64 { return math.Min(0.9999, math.Max(0.0001, x)) }
	return [5]float64{cl(s[0]), cl(s[1]), math.Max(0, s[2]), cl(s[3]), math.Max(1, s[4])}
}

// impedance is MuJoCo's constraint impedance d(x) (engine_core_constraint.c
// getimpedance): a sigmoid from dmin to dmax over |pos − margin| ∈ [0, width]
// made of two power curves that meet at the midpoint.
func impedance(s [5]float64, pos, margin float64) float64 {
	dmin, dmax, width, mid, power := s[0], s[1], s[2], s[3], s[4]
	if dmin == dmax || width <= mjMINVAL {
		return 0.5 * (dmin + dmax)
	}
	x := math.Abs((pos - margin) / width)
	if x >= 1 {
		return dmax
	}
	var y float64
	if x <= mid {
		y = math.Pow(x, power) / math.Pow(mid, power-1)
	} else {
		y = 1 - math.Pow(1-x, power)/math.Pow(1-mid, power-1)
	}
	return dmin + y*(dmax-dmin)
}

// instantiateLimits adds a row for each side of each limited joint whose
// distance to the limit is below the joint margin (MuJoCo 2.2.2
// engine_core_constraint.c mj_instantiateLimit: lower side first, distance
// q − lo with J = +1, then hi − q with J = −1), and computes each row's
// impedance, reference acceleration and regulariser as mj_makeImpedance
// does: solref (timeconst, dampratio) with timeconst ≥ 2·timestep,
// K = 1/(dmax²·timeconst²·dampratio²), B = 2/(dmax·timeconst),
// aref = −B·J·qvel − K·imp·(pos − margin), R = max(1e-15, (1−imp)/imp·A_ii)
// where A_ii is dof_invweight0 (the diagonal of M⁻¹ at qpos0, MuJoCo's
// efc_diagApprox for joint rows).
func (c *constraints) instantiateLimits(d *Data) {
	m := d.m
	nv := m.Nv
	c.n, c.chain = 0, true
	for ji := range m.Joints {
		jt := &m.Joints[ji]
		if !jt.Limited {
			continue
		}
		q := d.Qpos[jt.QposAdr]
		for side := -1; side <= 1; side += 2 {
			var dist float64
			if side < 0 {
				dist = q - jt.Range[0]
			} else {
				dist = jt.Range[1] - q
			}
			if dist >= jt.Margin {
				continue
			}
			k := c.n
			c.n++
			row := c.j[k*nv : (k+1)*nv]
			clear(row)
			row[jt.DofAdr] = float64(-side)
			c.pos[k], c.marg[k] = dist, jt.Margin
			c.vel[k] = float64(-side) * d.Qvel[jt.DofAdr]
			c.diag[k] = d.invWeight0[jt.DofAdr]
			c.setImpedance(k, jt.SolRef, jt.SolImp, m.Option.Timestep)
		}
	}
}

// setImpedance fills imp, aref and R of row k (mj_makeImpedance).
func (c *constraints) setImpedance(k int, solref [2]float64, solimp [5]float64, h float64) {
	c.setImpedanceWith(k, makeImpedance(solref, solimp, h, c.pos[k], c.marg[k]))
}

// impParams is the part of mj_makeImpedance shared by rows with the same
// solref, solimp, distance and margin (all rows of one contact), computed
// once per contact because impedance's math.Pow calls are costly.
type impParams struct{ imp, kk, bb float64 }

func makeImpedance(solref [2]float64, solimp [5]float64, h, pos, marg float64) impParams {
	s := solimpClamped(solimp)
	imp := impedance(s, pos, marg)
	tc := math.Max(solref[0], 2*h)
	dr := solref[1]
	dmax := s[1]
	kk := 1 / (dmax * dmax * tc * tc * dr * dr)
	bb := 2 / (dmax * tc)
	return impParams{imp, kk, bb}
}

// setImpedanceWith fills imp, aref and R of row k from shared parameters.
func (c *constraints) setImpedanceWith(k int, ip impParams) {
	c.imp[k] = ip.imp
	c.aref[k] = -ip.bb*c.vel[k] - ip.kk*ip.imp*(c.pos[k]-c.marg[k])
	c.r[k] = math.Max(mjMINVAL, (1-ip.imp)/ip.imp*c.diag[k])
}

// solve finds the constraint forces and Qacc. MuJoCo 2.2.2 (Newton solver,
// engine_solver.c mj_solNewton) minimises over qacc
//
//	½(a − a₀)ᵀM(a − a₀) + Σ_rows ½·(1/R)·min(0, J·a − aref)²
//
// for unilateral rows (a₀ = qacc_smooth). Its optimum satisfies
// a = a₀ + M⁻¹Jᵀf with f ≥ 0, w = (A + R)f − (aref − J·a₀) ≥ 0 and f·w = 0,
// A = J·M⁻¹·Jᵀ: a linear complementarity problem with a positive-definite
// matrix, whose solution is unique. Newton's method on this piecewise
// quadratic cost ends at that exact solution; here it is found directly by
// trying active sets (first the rows with a positive right-hand side, then
// all subsets), which is exact and cheap for the one or two limit rows
// active at a time; beyond maxEnumRows rows projected Gauss–Seidel is used.
// forward uses it only when there are no contact rows; with contacts the
// same problem is solved by newton (contact.go).
func (c *constraints) solve(d *Data) {
	nv, n := c.nv, c.n
	copy(d.Qacc, d.qaccSmooth)
	clear(d.QfrcConstraint)
	if n == 0 {
		return
	}
	for k := range n {
		mj := c.minvJT[k*nv : (k+1)*nv]
		copy(mj, c.j[k*nv:(k+1)*nv])
		d.solveM(d.chol, mj)
	}
	for k := range n {
		jk := c.j[k*nv : (k+1)*nv]
		s := c.aref[k]
		for i := range nv {
			s -= jk[i] * d.qaccSmooth[i]
		}
		c.b[k] = s
		for l := range n {
			ml := c.minvJT[l*nv : (l+1)*nv]
			var v float64
			for i := range nv {
				v += jk[i] * ml[i]
			}
			c.a[k*n+l] = v
		}
		c.a[k*n+k] += c.r[k]
	}
	guess := 0
	for k := range n {
		if c.b[k] > 0 {
			guess |= 1 << k
		}
	}
	found := c.tryActive(guess)
	if !found && n <= maxEnumRows {
		for mask := 0; mask < 1<<n && !found; mask++ {
			if mask != guess {
				found = c.tryActive(mask)
			}
		}
	}
	if !found {
		c.pgs()
	}
	for k := range n {
		if f := c.f[k]; f != 0 {
			mk, jk := c.minvJT[k*nv:(k+1)*nv], c.j[k*nv:(k+1)*nv]
			for i := range nv {
				d.Qacc[i] += mk[i] * f
				d.QfrcConstraint[i] += jk[i] * f
			}
		}
	}
}

// tryActive solves (A+R)_SS f_S = b_S for the rows S in mask and accepts it
// if f_S ≥ 0 and every other row is satisfied ((A+R)f − b ≥ 0 there).
func (c *constraints) tryActive(mask int) bool {
	n := c.n
	s := 0
	for k := range n {
		if mask&(1<<k) != 0 {
			c.idx[s] = k
			s++
		}
	}
	for p := range s {
		for q := range s {
			c.sub[p*s+q] = c.a[c.idx[p]*n+c.idx[q]]
		}
		c.x[p] = c.b[c.idx[p]]
	}
	if s > 0 {
		cholesky(c.sub[s*s:2*s*s], c.sub[:s*s], s)
		cholSolveN(c.sub[s*s:2*s*s], c.x[:s], s)
	}
	clear(c.f[:n])
	for p := range s {
		if c.x[p] < 0 {
			return false
		}
		c.f[c.idx[p]] = c.x[p]
	}
	for k := range n {
		if mask&(1<<k) != 0 {
			continue
		}
		w := -c.b[k]
		for l := range n {
			w += c.a[k*n+l] * c.f[l]
		}
		if w < 0 {
			return false
		}
	}
	return true
}

// pgsSweeps bounds the projected Gauss–Seidel sweeps.
const pgsSweeps = 10000

// pgs solves the same complementarity problem by projected Gauss–Seidel
// (f_k ← max(0, f_k + (b_k − ((A+R)f)_k)/(A+R)_kk), MuJoCo's PGS solver in
// engine_solver.c for unilateral rows), sweeping until no force changes by
// more than 1e-14 relative. It converges for any positive-definite matrix
// and is the fallback for more rows than enumeration handles.
func (c *constraints) pgs() {
	n := c.n
	clear(c.f[:n])
	for range pgsSweeps {
		change, scale := 0.0, 0.0
		for k := range n {
			res := c.b[k]
			for l := range n {
				res -= c.a[k*n+l] * c.f[l]
			}
			f := math.Max(0, c.f[k]+res/c.a[k*n+k])
			change = math.Max(change, math.Abs(f-c.f[k]))
			scale = math.Max(scale, math.Abs(f))
			c.f[k] = f
		}
		if change <= 1e-14*scale {
			return
		}
	}
}
