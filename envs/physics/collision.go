package physics

import "math"

// Contact is one contact point found by collision detection, as MuJoCo
// 2.2.2's mjContact: Dist is the signed distance between the geoms
// (negative: penetration), Pos the point midway between the two surfaces,
// Frame the contact frame whose first row is the normal pointing from Geom1
// to Geom2 and whose other rows are the tangent directions.
type Contact struct {
	Dist  float64
	Pos   Vec3
	Frame [3]Vec3
	Geom1 int
	Geom2 int
	// Exclude is true when Dist is not below the pair's margin − gap: the
	// contact is reported (and counted) but adds no constraint rows.
	Exclude bool
}

// geomPair is a pair of geoms that may collide, with the contact
// parameters MuJoCo 2.2.2 mixes per pair at collision time
// (engine_collision_driver.c mj_collideGeoms): condim and friction the
// element-wise maximum, solref and solimp the solmix-weighted average
// (equal weights: solmix is 1 for every geom here), margin and gap the
// maximum. Geom1 has the smaller type (a plane before a capsule).
type geomPair struct {
	g1, g2   int
	condim   int
	friction [5]float64
	solref   [2]float64
	solimp   [5]float64
	margin   float64 // includemargin = margin − gap
	maxCon   int     // most contacts the narrow phase can return
}

// mjMINMU is MuJoCo's smallest friction coefficient (mjMINMU).
const mjMINMU = 1e-5

// collidePairs lists the geom pairs that pass MuJoCo 2.2.2's filters
// (engine_collision_driver.c mj_collision and mj_contactFilter):
// (contype1 & conaffinity2) || (contype2 & conaffinity1); the bodies are
// not welded to the same body (both static counts as the same); and the
// welded body of one is not the welded parent of the other, except that
// the world is never treated as a parent. Only pairs with a narrow phase
// here (plane–sphere, plane–capsule, sphere–sphere, sphere–capsule,
// capsule–capsule, sphere–box) are kept; the seven supported models have
// no other colliding pair (the contact-count checks in contact_test.go
// confirm this against MuJoCo), and D4RL's point mazes collide only their
// sphere with the wall boxes (and the floor).
func collidePairs(m *Model) []geomPair {
	nb := len(m.Bodies)
	weld := make([]int, nb)
	for bi := 1; bi < nb; bi++ {
		if m.Bodies[bi].JntNum > 0 {
			weld[bi] = bi
		} else {
			weld[bi] = weld[m.Bodies[bi].Parent]
		}
	}
	weldParent := func(bi int) int { return weld[m.Bodies[weld[bi]].Parent] }
	var pairs []geomPair
	for i := range m.Geoms {
		for j := i + 1; j < len(m.Geoms); j++ {
			a, b := &m.Geoms[i], &m.Geoms[j]
			if a.Contype&b.Conaffinity == 0 && b.Contype&a.Conaffinity == 0 {
				continue
			}
			w1, w2 := weld[a.Body], weld[b.Body]
			if w1 == w2 {
				continue
			}
			p1, p2 := weldParent(a.Body), weldParent(b.Body)
			if (w1 != 0 && w1 == p2) || (w2 != 0 && w2 == p1) {
				continue
			}
			g1, g2 := i, j
			if a.Type > b.Type {
				g1, g2 = j, i
			}
			p := mixPair(m, g1, g2)
			if p.maxCon == 0 {
				continue
			}
			pairs = append(pairs, p)
		}
	}
	return pairs
}

// mixPair combines the contact parameters of two geoms (mj_collideGeoms
// with equal solmix, so mix = 0.5).
func mixPair(m *Model, g1, g2 int) geomPair {
	a, b := &m.Geoms[g1], &m.Geoms[g2]
	p := geomPair{g1: g1, g2: g2, condim: max(a.Condim, b.Condim)}
	f := [3]float64{}
	for k := range 3 {
		f[k] = math.Max(a.Friction[k], b.Friction[k])
	}
	// mjContact.friction: (slide, slide, spin, roll, roll), ≥ mjMINMU.
	p.friction = [5]float64{f[0], f[0], f[1], f[2], f[2]}
	for k := range p.friction {
		p.friction[k] = math.Max(mjMINMU, p.friction[k])
	}
	const mix = 0.5
	for k := range 2 {
		p.solref[k] = mix*a.SolRef[k] + (1-mix)*b.SolRef[k]
	}
	for k := range 5 {
		p.solimp[k] = mix*a.SolImp[k] + (1-mix)*b.SolImp[k]
	}
	p.margin = math.Max(a.Margin, b.Margin) - math.Max(a.Gap, b.Gap)
	switch {
	case a.Type == GeomPlane && b.Type == GeomSphere:
		p.maxCon = 1
	case a.Type == GeomPlane && b.Type == GeomCapsule:
		p.maxCon = 2
	case a.Type == GeomSphere && (b.Type == GeomSphere || b.Type == GeomCapsule):
		p.maxCon = 1
	case a.Type == GeomCapsule && b.Type == GeomCapsule:
		p.maxCon = 1
	case a.Type == GeomSphere && b.Type == GeomBox:
		p.maxCon = 1
	}
	return p
}

// geomPos and geomMat return the world centre and rotation of geom gi in
// the current configuration (MuJoCo mj_kinematics' geom_xpos, geom_xmat).
// They are separate so that collision builds a rotation only when the
// pair's test needs it: a sphere never does, and a capsule far above the
// plane is rejected from its centre alone.
func (d *Data) geomPos(gi int) vec {
	g := &d.m.Geoms[gi]
	return d.xpos[g.Body].add(d.xmat[g.Body].mul(v3(g.Pos)))
}

func (d *Data) geomMat(gi int) mat3 {
	g := &d.m.Geoms[gi]
	if g.Quat != (Quat{1, 0, 0, 0}) {
		return quatMat(quatMul(d.xquat[g.Body], g.Quat))
	}
	return d.xmat[g.Body]
}

// capsuleAbovePlane reports whether a capsule (centre pos2, radius r, half
// length hl) is certainly farther than margin from the plane through pos1
// with unit normal nrm: its centre's height minus hl bounds both end
// spheres' heights from below, so planeCapsule would find no contact.
// The slack covers the rounding of the end points' heights (a few ulps of
// the coordinates), so the result is exactly planeCapsule's.
func capsuleAbovePlane(margin float64, pos1, nrm, pos2 vec, r, hl float64) bool {
	cdist := pos2.sub(pos1).dot(nrm)
	scale := 1 + hl + math.Abs(pos1.x) + math.Abs(pos1.y) + math.Abs(pos1.z) +
		math.Abs(pos2.x) + math.Abs(pos2.y) + math.Abs(pos2.z)
	return cdist-hl > margin+r+1e-9*scale
}

// collision runs the narrow phase on every candidate pair and fills
// d.contacts (MuJoCo 2.2.2 mj_collision / mj_collideGeoms). The narrow
// phase can report contacts with distance up to the margin; those not
// below margin − gap are kept but excluded from the constraints, as
// MuJoCo does. Frames are completed with makeFrame.
func (d *Data) collision() {
	d.ncon = 0
	for pi := range d.pairs {
		p := &d.pairs[pi]
		g1, g2 := &d.m.Geoms[p.g1], &d.m.Geoms[p.g2]
		pos1, pos2 := d.geomPos(p.g1), d.geomPos(p.g2)
		s1, s2 := g1.Size, g2.Size
		t1, t2 := g1.Type, g2.Type
		buf := d.contacts[d.ncon:]
		var n int
		switch {
		case t1 == GeomPlane && t2 == GeomSphere:
			mat1 := d.geomMat(p.g1)
			n = planeSphere(buf, p.margin, pos1, &mat1, pos2, s2[0])
		case t1 == GeomPlane && t2 == GeomCapsule:
			mat1 := d.geomMat(p.g1)
			nrm := vec{mat1.r0.z, mat1.r1.z, mat1.r2.z}
			if capsuleAbovePlane(p.margin, pos1, nrm, pos2, s2[0], s2[1]) {
				continue
			}
			mat2 := d.geomMat(p.g2)
			n = planeCapsule(buf, p.margin, pos1, &mat1, pos2, &mat2, s2)
		case t1 == GeomSphere && t2 == GeomSphere:
			n = sphereSphere(buf, p.margin, pos1, s1[0], pos2, s2[0])
		case t1 == GeomSphere && t2 == GeomCapsule:
			mat2 := d.geomMat(p.g2)
			ax := vec{mat2.r0.z, mat2.r1.z, mat2.r2.z}.scale(s2[1])
			n = sphereSphere(buf, p.margin, pos1, s1[0], closestOnSegment(pos2, ax, pos1), s2[0])
		case t1 == GeomCapsule && t2 == GeomCapsule:
			mat1, mat2 := d.geomMat(p.g1), d.geomMat(p.g2)
			n = capsuleCapsule(buf, p.margin, pos1, &mat1, s1, pos2, &mat2, s2)
		case t1 == GeomSphere && t2 == GeomBox:
			mat2 := d.geomMat(p.g2)
			n = sphereBox(buf, p.margin, pos1, s1[0], pos2, &mat2, v3(s2))
		}
		for k := range n {
			c := &buf[k]
			c.Geom1, c.Geom2 = p.g1, p.g2
			c.Exclude = !(c.Dist < p.margin)
			c.Frame = makeFrame(c.Frame)
			d.conPair[d.ncon+k] = pi
		}
		d.ncon += n
	}
}

// planeSphere is MuJoCo 2.2.2's mjraw_PlaneSphere
// (engine_collision_primitive.c): normal = plane z axis, distance of the
// centre above the plane minus the radius, contact point midway into the
// penetration (centre − normal·(r + dist/2)), no tangent hint.
func planeSphere(con []Contact, margin float64, pos1 vec, mat1 *mat3,
	pos2 vec, r float64) int {
	nrm := vec{mat1.r0.z, mat1.r1.z, mat1.r2.z}
	cdist := pos2.sub(pos1).dot(nrm)
	if cdist > margin+r {
		return 0
	}
	c := &con[0]
	c.Dist = cdist - r
	c.Pos = pos2.add(nrm.scale(-c.Dist/2 - r)).arr()
	c.Frame = [3]Vec3{nrm.arr(), {}, {}}
	return 1
}

// planeCapsule is mjc_PlaneCapsule: a plane–sphere test at each end of
// the capsule's segment (centre + axis·half-length first, then centre −
// axis·half-length), each contact's second frame row hinted with the
// capsule axis.
func planeCapsule(con []Contact, margin float64, pos1 vec, mat1 *mat3,
	pos2 vec, mat2 *mat3, size Vec3) int {
	axis := vec{mat2.r0.z, mat2.r1.z, mat2.r2.z}
	seg := axis.scale(size[1])
	n1 := planeSphere(con, margin, pos1, mat1, pos2.add(seg), size[0])
	n2 := planeSphere(con[n1:], margin, pos1, mat1, pos2.sub(seg), size[0])
	for k := range n1 + n2 {
		con[k].Frame[1] = axis.arr()
	}
	return n1 + n2
}

// sphereSphere is mjraw_SphereSphere: normal from centre 1 to centre 2
// ((1, 0, 0) when the centres coincide), distance between the surfaces,
// contact point midway into the overlap (pos1 + normal·(r1 + dist/2)).
func sphereSphere(con []Contact, margin float64, pos1 vec, r1 float64,
	pos2 vec, r2 float64) int {
	dif := pos2.sub(pos1)
	cdist := math.Sqrt(dif.dot(dif))
	if cdist > margin+r1+r2 {
		return 0
	}
	nrm := vec{1, 0, 0}
	if cdist >= mjMINVAL {
		nrm = dif.scale(1 / cdist)
	}
	c := &con[0]
	c.Dist = cdist - r1 - r2
	c.Pos = pos1.add(nrm.scale(r1 + c.Dist/2)).arr()
	c.Frame = [3]Vec3{nrm.arr(), {}, {}}
	return 1
}

// sphereBox is MuJoCo 2.2.2's mjraw_SphereBox
// (engine_collision_primitive.c). The sphere centre is taken into the box
// frame and clamped to the box (per axis, to ±half-size).
//
// Outside the box (centre farther than mjMINVAL from the clamped point):
// the normal points from the centre towards the clamped point, the
// distance is |clamped − centre| − r, and the contact point is midway
// between the clamped point and the sphere's deepest point centre +
// normal·r.
//
// Inside the box: the nearest face is the one with the smallest
// |±half-size − centre| (faces in the order −x, +x, −y, +y, −z, +z, ties
// to the first), the normal is minus that face's outward normal (still
// from the sphere into the box), the distance is −(face distance) − r,
// and the contact point is centre + normal·(r − face distance)/2.
//
// No tangent hint is given. Pairs farther apart than the margin give no
// contact.
func sphereBox(con []Contact, margin float64, pos1 vec, r float64,
	pos2 vec, mat2 *mat3, size vec) int {
	centre := mat2.mulT(pos1.sub(pos2))
	clamped := vec{
		math.Max(-size.x, math.Min(size.x, centre.x)),
		math.Max(-size.y, math.Min(size.y, centre.y)),
		math.Max(-size.z, math.Min(size.z, centre.z)),
	}
	dir := clamped.sub(centre)
	dist := math.Sqrt(dir.dot(dir))
	if dist-r > margin {
		return 0
	}
	var local, nrm vec
	if dist <= mjMINVAL {
		half := [3]float64{size.x, size.y, size.z}
		ctr := [3]float64{centre.x, centre.y, centre.z}
		closest := (size.x + size.y + size.z) * 2
		k := 0
		for i := range 6 {
			side := -1.0
			if i%2 == 1 {
				side = 1
			}
			if e := math.Abs(side*half[i/2] - ctr[i/2]); closest > e {
				closest, k = e, i
			}
		}
		var toward [3]float64
		toward[k/2] = 1
		if k%2 == 1 {
			toward[k/2] = -1
		}
		nrm = vec{toward[0], toward[1], toward[2]}
		local = centre.add(nrm.scale((r - closest) / 2))
		dist = -closest
	} else {
		nrm = dir.scale(1 / dist)
		deepest := centre.add(nrm.scale(r))
		local = clamped.scale(0.5).add(deepest.scale(0.5))
	}
	c := &con[0]
	c.Dist = dist - r
	c.Pos = mat2.mul(local).add(pos2).arr()
	c.Frame = [3]Vec3{mat2.mul(nrm).arr(), {}, {}}
	return 1
}

// closestOnSegment returns the point of the segment centre ± ax nearest p.
func closestOnSegment(centre, ax, p vec) vec {
	den := ax.dot(ax)
	if den < mjMINVAL {
		return centre
	}
	t := math.Max(-1, math.Min(1, p.sub(centre).dot(ax)/den))
	return centre.add(ax.scale(t))
}

// capsuleCapsule is mjc_CapsuleCapsule for non-parallel segments: the
// nearest points of the two segments (clamped to the ends as MuJoCo does)
// are tested as spheres. For (near-)parallel segments MuJoCo 2.2.2 may
// return two contacts (one per end); here the single nearest pair of
// points is used instead. Hopper's self-contacts are rare and never
// parallel in the goldens (contact counts and states match MuJoCo there).
func capsuleCapsule(con []Contact, margin float64, pos1 vec, mat1 *mat3, s1 Vec3,
	pos2 vec, mat2 *mat3, s2 Vec3) int {
	ax1 := vec{mat1.r0.z, mat1.r1.z, mat1.r2.z}.scale(s1[1])
	ax2 := vec{mat2.r0.z, mat2.r1.z, mat2.r2.z}.scale(s2[1])
	dif := pos1.sub(pos2)
	ma, mb, mc := ax1.dot(ax1), -ax1.dot(ax2), ax2.dot(ax2)
	u, v := -ax1.dot(dif), ax2.dot(dif)
	det := ma*mc - mb*mb
	var x1, x2 float64
	if math.Abs(det) >= mjMINVAL {
		x1 = (mc*u - mb*v) / det
		x2 = (ma*v - mb*u) / det
		if x1 > 1 {
			x1, x2 = 1, (v-mb)/mc
		} else if x1 < -1 {
			x1, x2 = -1, (v+mb)/mc
		}
		if x2 > 1 {
			x2 = 1
			x1 = math.Max(-1, math.Min(1, (u-mb)/ma))
		} else if x2 < -1 {
			x2 = -1
			x1 = math.Max(-1, math.Min(1, (u+mb)/ma))
		}
	} else {
		p2 := closestOnSegment(pos2, ax2, pos1)
		return sphereSphere(con, margin, closestOnSegment(pos1, ax1, p2), s1[0], p2, s2[0])
	}
	return sphereSphere(con, margin, pos1.add(ax1.scale(x1)), s1[0],
		pos2.add(ax2.scale(x2)), s2[0])
}

// makeFrame completes a contact frame as MuJoCo's mju_makeFrame: normalise
// the normal; if the second row is unset use (0, 1, 0) (or (0, 0, 1) when
// the normal has |y| ≥ 0.5); make it orthogonal to the normal and
// normalise it ((1, 0, 0) if it vanishes); third row = normal × second.
func makeFrame(f [3]Vec3) [3]Vec3 {
	n := normalize3(v3(f[0]))
	t := v3(f[1])
	if math.Sqrt(t.dot(t)) < 0.5 {
		t = vec{0, 1, 0}
		if math.Abs(n.y) >= 0.5 {
			t = vec{0, 0, 1}
		}
	}
	t = normalize3(t.sub(n.scale(n.dot(t))))
	return [3]Vec3{n.arr(), t.arr(), n.cross(t).arr()}
}

// normalize3 is mju_normalize3: (1, 0, 0) for a vector shorter than
// mjMINVAL.
func normalize3(a vec) vec {
	l := math.Sqrt(a.dot(a))
	if l < mjMINVAL {
		return vec{1, 0, 0}
	}
	return a.scale(1 / l)
}

// NCon returns the number of contacts found in the last dynamics
// evaluation (MuJoCo's d->ncon after mj_step: for RK4 the last stage).
func (d *Data) NCon() int { return d.ncon }

// Contacts returns the contacts of the last dynamics evaluation; the slice
// is reused by the next evaluation.
func (d *Data) Contacts() []Contact { return d.contacts[:d.ncon] }
