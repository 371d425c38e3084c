package physics

import (
	"math"
	"testing"
)

// clearance is the smallest height above z = 0 of any capsule or sphere of
// a moving body (the contact models' floor is the plane z = 0).
func clearance(d *Data) float64 {
	m := d.m
	low := math.Inf(1)
	for gi := range m.Geoms {
		g := &m.Geoms[gi]
		if g.Body == 0 || (g.Type != GeomCapsule && g.Type != GeomSphere) {
			continue
		}
		r := &d.xmat[g.Body]
		c := d.xpos[g.Body].add(r.mul(v3(g.Pos)))
		z := c.z - g.Size[0]
		if g.Type == GeomCapsule {
			gm := quatMat(g.Quat)
			axis := r.mulM(&gm)
			z -= math.Abs(axis.r2.z) * g.Size[1]
		}
		low = math.Min(low, z)
	}
	return low
}

// TestEulerNoContact checks the Euler integrator with implicit damping,
// joint springs and limits on HalfCheetah's one-step pairs whose bodies
// stay clear of the floor at the start and end of the step (contacts are
// not implemented, so only those cases are comparable).
func TestEulerNoContact(t *testing.T) {
	const name = "half_cheetah"
	m, d := loadData(t, name)
	fs := frameSkip(t, name)
	nq, nv, nu := m.Nq, m.Nv, m.Nu
	var e errStats
	n, nlim := 0, 0
	for _, r := range readRows(t, goldenPath(name+".onestep.csv")) {
		r = r[1:]
		if err := d.SetState(r[:nq], r[nq:nq+nv]); err != nil {
			t.Fatal(err)
		}
		if r[nq+nv+nu] != 0 || clearance(d) < 0.05 {
			continue
		}
		copy(d.Ctrl, r[nq+nv:nq+nv+nu])
		if err := Step(d, fs); err != nil {
			t.Fatal(err)
		}
		if clearance(d) < 0.05 {
			continue
		}
		n++
		if d.maxRows > 0 {
			nlim++
		}
		w := r[nq+nv+nu+1:]
		for i := range nq {
			e.add(d.Qpos[i], w[i])
		}
		for i := range nv {
			e.add(d.Qvel[i], w[nq+i])
		}
	}
	t.Logf("%s: %d contact-free cases (%d with a limit row): %v", name, n, nlim, e)
	if n < 10 {
		t.Fatalf("only %d contact-free cases", n)
	}
	if e.abs > 1e-12 {
		t.Errorf("max abs error %.3g > 1e-12", e.abs)
	}
}
