package physics

import (
	"math"
	"strings"
	"testing"
)

// TestSphereBox checks sphereBox (MuJoCo 2.2.2 mjraw_SphereBox) against
// geometry worked out by hand: a sphere of radius 0.1 near a face, an
// edge and a corner of a box with half-sizes (0.5, 0.5, 0.2), inside it,
// just within and just beyond the margin 0.002, and near a face of a box
// turned by 90° about z.
func TestSphereBox(t *testing.T) {
	const r, margin = 0.1, 0.002
	s2 := math.Sqrt2 / 2
	s3 := 1 / math.Sqrt(3)
	d2 := 0.05 * math.Sqrt2 // centre-to-edge distance
	d3 := 0.05 * math.Sqrt(3)
	ident := mat3{vec{1, 0, 0}, vec{0, 1, 0}, vec{0, 0, 1}}
	// Box frame rotated +90° about z: box x is world y, box y is world −x.
	rotZ := mat3{vec{0, -1, 0}, vec{1, 0, 0}, vec{0, 0, 1}}
	for _, tc := range []struct {
		name     string
		centre   vec // sphere centre, world
		boxPos   vec
		boxMat   mat3
		boxSize  vec
		n        int
		dist     float64
		pos, nrm vec
	}{
		{"face", vec{0.55, 0.1, 0}, vec{}, ident, vec{0.5, 0.5, 0.2},
			1, -0.05, vec{0.475, 0.1, 0}, vec{-1, 0, 0}},
		{"edge", vec{0.55, 0.55, 0}, vec{}, ident, vec{0.5, 0.5, 0.2},
			1, d2 - r, vec{0.525 - 0.05*s2, 0.525 - 0.05*s2, 0}, vec{-s2, -s2, 0}},
		{"corner", vec{0.55, 0.55, 0.25}, vec{}, ident, vec{0.5, 0.5, 0.2},
			1, d3 - r, vec{0.525 - 0.05*s3, 0.525 - 0.05*s3, 0.225 - 0.05*s3},
			vec{-s3, -s3, -s3}},
		// Faces at 0.9 (−x), 0.1 (+x), 0.6 (−y), 0.4 (+y), 0.2 (±z):
		// the +x face is nearest, so the normal is −x and the contact
		// point is the centre moved by (r − 0.1)/2 = 0 along it.
		{"inside", vec{0.4, 0.1, 0}, vec{}, ident, vec{0.5, 0.5, 0.2},
			1, -0.1 - r, vec{0.4, 0.1, 0}, vec{-1, 0, 0}},
		// Centre just inside the −y face (0.05 deep): normal +y.
		{"inside near -y", vec{-0.2, -0.45, 0.1}, vec{}, ident, vec{0.5, 0.5, 0.2},
			1, -0.05 - r, vec{-0.2, -0.45 + 0.025, 0.1}, vec{0, 1, 0}},
		{"within margin", vec{0.601, 0, 0}, vec{}, ident, vec{0.5, 0.5, 0.2},
			1, 0.001, vec{0.5005, 0, 0}, vec{-1, 0, 0}},
		{"beyond margin", vec{0.603, 0, 0}, vec{}, ident, vec{0.5, 0.5, 0.2},
			0, 0, vec{}, vec{}},
		// The turned box spans world x ∈ [0.7, 1.3], y ∈ [1.5, 2.5].
		{"rotated face", vec{1.35, 2.1, 0}, vec{1, 2, 0}, rotZ, vec{0.5, 0.3, 0.2},
			1, -0.05, vec{1.275, 2.1, 0}, vec{-1, 0, 0}},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			var con [1]Contact
			n := sphereBox(con[:], margin, tc.centre, r, tc.boxPos, &tc.boxMat, tc.boxSize)
			if n != tc.n {
				t.Fatalf("contacts = %d, want %d", n, tc.n)
			}
			if n == 0 {
				return
			}
			c := con[0]
			const tol = 1e-12
			if math.Abs(c.Dist-tc.dist) > tol {
				t.Errorf("dist = %.15g, want %.15g", c.Dist, tc.dist)
			}
			for k := range 3 {
				if math.Abs(c.Pos[k]-tc.pos.arr()[k]) > tol {
					t.Errorf("pos = %v, want %v", c.Pos, tc.pos.arr())
					break
				}
			}
			for k := range 3 {
				if math.Abs(c.Frame[0][k]-tc.nrm.arr()[k]) > tol {
					t.Errorf("normal = %v, want %v", c.Frame[0], tc.nrm.arr())
					break
				}
			}
			if c.Frame[1] != (Vec3{}) || c.Frame[2] != (Vec3{}) {
				t.Errorf("tangent rows = %v %v, want unset", c.Frame[1], c.Frame[2])
			}
		})
	}
}

// TestSphereBoxPair checks that a sphere and a box pass the pair filters
// and reach sphereBox through collision, and that a Step with the contact
// active does not allocate.
func TestSphereBoxPair(t *testing.T) {
	const xml = `<mujoco>
  <option timestep="0.01" gravity="0 0 0" iterations="20"/>
  <default><geom condim="1" margin="0.002" contype="2" conaffinity="1"/></default>
  <worldbody>
    <body name="ball" pos="0 0 0">
      <geom type="sphere" size="0.1" contype="1"/>
      <joint name="x" type="slide" axis="1 0 0" damping="1"/>
    </body>
    <geom type="box" pos="0.62 0 0" size="0.5 0.5 0.2"/>
  </worldbody>
</mujoco>`
	m, err := Parse(strings.NewReader(xml), "spherebox.xml")
	if err != nil {
		t.Fatal(err)
	}
	d := NewData(m)
	if err := d.SetState([]float64{0.03}, []float64{1}); err != nil {
		t.Fatal(err)
	}
	if d.NCon() != 1 {
		t.Fatalf("ncon = %d, want 1", d.NCon())
	}
	c := d.Contacts()[0]
	// Box face at x = 0.12, sphere surface at 0.13: dist −0.01, normal +x.
	if math.Abs(c.Dist+0.01) > 1e-12 || c.Frame[0] != (Vec3{1, 0, 0}) ||
		m.Geoms[c.Geom1].Type != GeomSphere || m.Geoms[c.Geom2].Type != GeomBox {
		t.Errorf("contact %+v, want sphere→box, dist −0.01, normal +x", c)
	}
	if n := testing.AllocsPerRun(20, func() { _ = Step(d, 1) }); n != 0 {
		t.Errorf("Step allocates %v times, want 0", n)
	}
}
