package physics

// Frame is a body's pose in world coordinates.
type Frame struct {
	Pos Vec3          // origin of the body frame
	Rot [3][3]float64 // body-to-world rotation (columns are the body axes)
}

// FramesAt0 returns every body's world frame at qpos = Qpos0, where each
// joint sits at its reference value and the bodies are where the file puts
// them: world pose = parent pose ∘ (Pos, Quat).
func (m *Model) FramesAt0() []Frame {
	f := make([]Frame, len(m.Bodies))
	f[0].Rot = [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}
	for bi := 1; bi < len(m.Bodies); bi++ {
		b := &m.Bodies[bi]
		p := f[b.Parent]
		f[bi].Pos = add(p.Pos, mulMV(p.Rot, b.Pos))
		f[bi].Rot = mulMM(p.Rot, quatToMat(b.Quat))
	}
	return f
}

// MassMatrix0 returns the dense nv×nv joint-space inertia matrix at Qpos0,
// joint armature included on the diagonal: the matrix whose diagonal MuJoCo
// stores as dof_M0 (MuJoCo 2.2.2 engine_setconst.c, computed there with the
// composite rigid body algorithm). Here it is built directly from the
// definition M_ij = Σ_b m_b v_bi·v_bj + ω_biᵀ I_b ω_bj over the bodies b
// moved by both DOFs i and j, where (ω_bi, v_bi) is the angular velocity
// and centre-of-mass velocity of b for a unit velocity of DOF i. It is a
// reference for testing, not a fast path.
func (m *Model) MassMatrix0() [][]float64 {
	f := m.FramesAt0()
	nb := len(m.Bodies)
	com := make([]Vec3, nb)
	iw := make([][3][3]float64, nb)
	for bi := 1; bi < nb; bi++ {
		b := &m.Bodies[bi]
		com[bi] = add(f[bi].Pos, mulMV(f[bi].Rot, b.IPos))
		r := mulMM(f[bi].Rot, quatToMat(b.IQuat))
		iw[bi] = rotateDiag(r, b.Inertia)
	}
	// motion[i][b]: (ω, v) of body b for unit velocity of DOF i; ok[i][b]
	// says whether DOF i moves b at all.
	type motion struct{ w, v Vec3 }
	mot := make([][]motion, m.Nv)
	moves := make([][]bool, m.Nv)
	for i := range m.Nv {
		j := &m.Joints[m.DofJoint[i]]
		fb := f[j.Body]
		anchor := add(fb.Pos, mulMV(fb.Rot, j.Pos))
		axis := mulMV(fb.Rot, j.Axis)
		mot[i] = make([]motion, nb)
		moves[i] = make([]bool, nb)
		for bi := 1; bi < nb; bi++ {
			if !m.isDescendant(bi, j.Body) {
				continue
			}
			moves[i][bi] = true
			if j.Type == JointSlide {
				mot[i][bi] = motion{v: axis}
			} else {
				mot[i][bi] = motion{w: axis, v: cross(axis, sub(com[bi], anchor))}
			}
		}
	}
	M := make([][]float64, m.Nv)
	for i := range m.Nv {
		M[i] = make([]float64, m.Nv)
		for k := range m.Nv {
			var s float64
			for bi := 1; bi < nb; bi++ {
				if !moves[i][bi] || !moves[k][bi] {
					continue
				}
				a, c := mot[i][bi], mot[k][bi]
				s += m.Bodies[bi].Mass * dot(a.v, c.v)
				s += dot(a.w, mulMV(iw[bi], c.w))
			}
			M[i][k] = s
		}
		M[i][i] += m.Joints[m.DofJoint[i]].Armature
	}
	return M
}

// isDescendant reports whether body b is a or lies below a in the tree.
func (m *Model) isDescendant(b, a int) bool {
	for ; b > 0; b = m.Bodies[b].Parent {
		if b == a {
			return true
		}
	}
	return a == 0
}

func add(a, b Vec3) Vec3    { return Vec3{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }
func sub(a, b Vec3) Vec3    { return Vec3{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func dot(a, b Vec3) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

func cross(a, b Vec3) Vec3 {
	return Vec3{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

func mulMV(r [3][3]float64, v Vec3) Vec3 {
	return Vec3{
		r[0][0]*v[0] + r[0][1]*v[1] + r[0][2]*v[2],
		r[1][0]*v[0] + r[1][1]*v[1] + r[1][2]*v[2],
		r[2][0]*v[0] + r[2][1]*v[1] + r[2][2]*v[2],
	}
}

func mulMM(a, b [3][3]float64) [3][3]float64 {
	var c [3][3]float64
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				c[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return c
}
