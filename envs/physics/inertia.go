package physics

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// geomVolume is the volume of a geom (0 for a plane). Capsule: cylinder of
// height 2·size[1] plus one sphere, written in the operation order of MuJoCo
// 2.2.2 mjCGeom::GetVolume so that the masses agree to the last bit.
func geomVolume(g *Geom) float64 {
	r := g.Size[0]
	switch g.Type {
	case GeomSphere:
		return 4 * math.Pi * r * r * r / 3
	case GeomCapsule:
		h := 2 * g.Size[1]
		return math.Pi * (r*r*h + 4.0/3.0*r*r*r)
	case GeomCylinder:
		return math.Pi * r * r * 2 * g.Size[1]
	case GeomBox:
		return 8 * g.Size[0] * g.Size[1] * g.Size[2]
	}
	return 0
}

// geomInertia is the principal inertia of a geom of mass g.Mass about its
// centre, in the geom frame (MuJoCo 2.2.2 mjCGeom::SetInertia). A capsule is
// a cylinder plus two hemispheres: each hemisphere's own inertia
// 2/5·m·r² (about its flat face centre, shifted to its centre of mass) plus
// the parallel-axis term of its distance from the capsule centre; MuJoCo
// writes the combined axial offset term as m_s·h·(3r + 2h)/8 for the pair.
func geomInertia(g *Geom) Vec3 {
	m, r := g.Mass, g.Size[0]
	switch g.Type {
	case GeomSphere:
		i := 2 * m * r * r / 5
		return Vec3{i, i, i}
	case GeomCapsule:
		h := 2 * g.Size[1]
		ms := m * 4 * r / (4*r + 3*h) // mass of the two end caps (one sphere)
		mc := m - ms                  // mass of the cylinder
		ix := mc*(3*r*r+h*h)/12 + 2*ms*r*r/5 + ms*h*(3*r+2*h)/8
		iz := mc*r*r/2 + 2*ms*r*r/5
		return Vec3{ix, ix, iz}
	case GeomCylinder:
		h := 2 * g.Size[1]
		ix := m * (3*r*r + h*h) / 12
		return Vec3{ix, ix, m * r * r / 2}
	case GeomBox:
		x, y, z := g.Size[0], g.Size[1], g.Size[2]
		return Vec3{m * (y*y + z*z) / 3, m * (x*x + z*z) / 3, m * (x*x + y*y) / 3}
	}
	return Vec3{}
}

// quatToMat returns the rotation matrix (row-major) of a unit quaternion.
func quatToMat(q Quat) [3][3]float64 {
	w, x, y, z := q[0], q[1], q[2], q[3]
	return [3][3]float64{
		{1 - 2*(y*y+z*z), 2 * (x*y - w*z), 2 * (x*z + w*y)},
		{2 * (x*y + w*z), 1 - 2*(x*x+z*z), 2 * (y*z - w*x)},
		{2 * (x*z - w*y), 2 * (y*z + w*x), 1 - 2*(x*x+y*y)},
	}
}

// matToQuat returns the unit quaternion (w ≥ 0) of a rotation matrix.
func matToQuat(r [3][3]float64) Quat {
	var q Quat
	tr := r[0][0] + r[1][1] + r[2][2]
	switch {
	case tr > 0:
		s := 2 * math.Sqrt(tr+1)
		q = Quat{s / 4, (r[2][1] - r[1][2]) / s, (r[0][2] - r[2][0]) / s, (r[1][0] - r[0][1]) / s}
	case r[0][0] > r[1][1] && r[0][0] > r[2][2]:
		s := 2 * math.Sqrt(1+r[0][0]-r[1][1]-r[2][2])
		q = Quat{(r[2][1] - r[1][2]) / s, s / 4, (r[0][1] + r[1][0]) / s, (r[0][2] + r[2][0]) / s}
	case r[1][1] > r[2][2]:
		s := 2 * math.Sqrt(1+r[1][1]-r[0][0]-r[2][2])
		q = Quat{(r[0][2] - r[2][0]) / s, (r[0][1] + r[1][0]) / s, s / 4, (r[1][2] + r[2][1]) / s}
	default:
		s := 2 * math.Sqrt(1+r[2][2]-r[0][0]-r[1][1])
		q = Quat{(r[1][0] - r[0][1]) / s, (r[0][2] + r[2][0]) / s, (r[1][2] + r[2][1]) / s, s / 4}
	}
	if q[0] < 0 {
		for i := range q {
			q[i] = -q[i]
		}
	}
	n := math.Sqrt(q[0]*q[0] + q[1]*q[1] + q[2]*q[2] + q[3]*q[3])
	for i := range q {
		q[i] /= n
	}
	return q
}

// InertiaTensor returns the body's 3×3 inertia tensor about its centre of
// mass, expressed in the body frame: R·diag(Inertia)·Rᵀ with R from IQuat.
// Unlike (IQuat, Inertia) it is unique even when principal moments repeat.
func (b *Body) InertiaTensor() [3][3]float64 {
	return rotateDiag(quatToMat(b.IQuat), b.Inertia)
}

// rotateDiag returns R·diag(d)·Rᵀ.
func rotateDiag(r [3][3]float64, d Vec3) [3][3]float64 {
	var t [3][3]float64
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				t[i][j] += r[i][k] * d[k] * r[j][k]
			}
		}
	}
	return t
}

// finishMass derives every body's mass, centre of mass and principal
// inertia from its geoms (compiler inertiafromgeom), applies settotalmass
// and fills SubtreeMass.
//
// As MuJoCo 2.2.2 (mjCBody::Compile, user_objects.cc): a body with a single
// geom takes that geom's frame as its inertial frame (ipos = geom pos,
// iquat = geom quat, inertia = the geom's principal inertia), with no
// eigen-decomposition; with several geoms the centre of mass is the
// mass-weighted mean of the geom centres, the tensor is the sum of each
// geom's rotated inertia plus its parallel-axis term, and it is diagonalised
// with principal moments in decreasing order.
func (c *compiler) finishMass() error {
	m := c.m
	byBody := make([][]int, len(m.Bodies))
	for gi := range m.Geoms {
		byBody[m.Geoms[gi].Body] = append(byBody[m.Geoms[gi].Body], gi)
	}
	for bi := 1; bi < len(m.Bodies); bi++ {
		b := &m.Bodies[bi]
		gs := byBody[bi]
		switch len(gs) {
		case 0:
			continue
		case 1:
			g := &m.Geoms[gs[0]]
			b.Mass, b.IPos, b.IQuat, b.Inertia = g.Mass, g.Pos, g.Quat, geomInertia(g)
			continue
		}
		var com Vec3
		for _, gi := range gs {
			g := &m.Geoms[gi]
			b.Mass += g.Mass
			for k := range 3 {
				com[k] += g.Mass * g.Pos[k]
			}
		}
		if b.Mass < mjMinVal {
			return c.errf(c.bodies[bi], "", "", "geoms have zero total mass")
		}
		for k := range 3 {
			com[k] /= b.Mass
		}
		var t [3][3]float64
		for _, gi := range gs {
			g := &m.Geoms[gi]
			gt := rotateDiag(quatToMat(g.Quat), geomInertia(g))
			d := Vec3{g.Pos[0] - com[0], g.Pos[1] - com[1], g.Pos[2] - com[2]}
			dd := d[0]*d[0] + d[1]*d[1] + d[2]*d[2]
			for i := range 3 {
				for j := range 3 {
					t[i][j] += gt[i][j] - g.Mass*d[i]*d[j]
				}
				t[i][i] += g.Mass * dd
			}
		}
		b.IPos = com
		var err error
		b.IQuat, b.Inertia, err = principal(t)
		if err != nil {
			return c.errf(c.bodies[bi], "", "", "%v", err)
		}
	}
	if tm := m.Compiler.SetTotalMass; tm > 0 {
		var total float64
		for _, b := range m.Bodies {
			total += b.Mass
		}
		if total < mjMinVal {
			return c.errf(c.comp, "settotalmass", c.comp.Attr["settotalmass"],
				"the model has zero mass")
		}
		// MuJoCo 2.2.2 mjCModel::Compile: scale = settotalmass / total,
		// applied to every body's mass and inertia.
		scale := tm / total
		for bi := range m.Bodies {
			b := &m.Bodies[bi]
			b.Mass *= scale
			for k := range 3 {
				b.Inertia[k] *= scale
			}
		}
	}
	for bi := len(m.Bodies) - 1; bi >= 0; bi-- {
		m.Bodies[bi].SubtreeMass += m.Bodies[bi].Mass
		if bi > 0 {
			m.Bodies[m.Bodies[bi].Parent].SubtreeMass += m.Bodies[bi].SubtreeMass
		}
	}
	return nil
}

// principal diagonalises a symmetric inertia tensor: it returns the
// rotation (as a quaternion) whose columns are the principal axes and the
// principal moments, in decreasing order as MuJoCo's mjuu_eig3 sorts them.
func principal(t [3][3]float64) (Quat, Vec3, error) {
	s := mat.NewSymDense(3, []float64{
		t[0][0], t[0][1], t[0][2],
		t[1][0], t[1][1], t[1][2],
		t[2][0], t[2][1], t[2][2],
	})
	var e mat.EigenSym
	if !e.Factorize(s, true) {
		return Quat{}, Vec3{}, fmt.Errorf("inertia eigen-decomposition failed")
	}
	vals := e.Values(nil)
	var vecs mat.Dense
	e.VectorsTo(&vecs)
	idx := []int{0, 1, 2}
	sort.SliceStable(idx, func(a, b int) bool { return vals[idx[a]] > vals[idx[b]] })
	var r [3][3]float64
	var d Vec3
	for col, k := range idx {
		d[col] = vals[k]
		for row := range 3 {
			r[row][col] = vecs.At(row, k)
		}
	}
	// Make the axes a right-handed frame.
	det := r[0][0]*(r[1][1]*r[2][2]-r[1][2]*r[2][1]) -
		r[0][1]*(r[1][0]*r[2][2]-r[1][2]*r[2][0]) +
		r[0][2]*(r[1][0]*r[2][1]-r[1][1]*r[2][0])
	if det < 0 {
		for row := range 3 {
			r[row][2] = -r[row][2]
		}
	}
	return matToQuat(r), d, nil
}
