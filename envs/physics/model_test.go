package physics

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// modelNames are the seven embedded Gymnasium models.
var modelNames = []string{"half_cheetah", "hopper", "walker2d", "inverted_pendulum",
	"inverted_double_pendulum", "reacher", "swimmer"}

// Tolerances of the comparison with MuJoCo 2.2.2's compiled model.
const (
	relTol = 1e-9  // masses, inertias, positions, derived reals
	absTol = 1e-12 // floor for values that are ~0 (e.g. cos π/2 = 6.1e-17)
)

// info is a parsed `mjoracle info` file: key → whitespace-separated fields.
type info map[string][]string

func readInfo(t *testing.T, path string) info {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden info: %v", err)
	}
	defer f.Close()
	in := info{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 {
			continue
		}
		in[fs[0]] = fs[1:]
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return in
}

func (in info) str(t *testing.T, key string) string {
	t.Helper()
	v, ok := in[key]
	if !ok || len(v) != 1 {
		t.Fatalf("info: key %s missing or not a single value: %v", key, v)
	}
	return v[0]
}

func (in info) floats(t *testing.T, key string) []float64 {
	t.Helper()
	v, ok := in[key]
	if !ok {
		t.Fatalf("info: key %s missing", key)
	}
	out := make([]float64, len(v))
	for i, s := range v {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("info: %s: %v", key, err)
		}
		out[i] = f
	}
	return out
}

func (in info) int(t *testing.T, key string) int {
	t.Helper()
	v, err := strconv.Atoi(in.str(t, key))
	if err != nil {
		t.Fatalf("info: %s: %v", key, err)
	}
	return v
}

func near(got, want float64) bool {
	return math.Abs(got-want) <= absTol+relTol*math.Max(math.Abs(got), math.Abs(want))
}

// checkFloats compares got with the golden values of key.
func checkFloats(t *testing.T, in info, key string, got []float64) {
	t.Helper()
	want := in.floats(t, key)
	if len(want) != len(got) {
		t.Errorf("%s: got %d values %v, want %d %v", key, len(got), got, len(want), want)
		return
	}
	for i := range want {
		if !near(got[i], want[i]) {
			t.Errorf("%s[%d]: got %.17g, want %.17g", key, i, got[i], want[i])
		}
	}
}

func checkInt(t *testing.T, in info, key string, got int) {
	t.Helper()
	if want := in.int(t, key); got != want {
		t.Errorf("%s: got %d, want %d", key, got, want)
	}
}

func checkStr(t *testing.T, in info, key, got string) {
	t.Helper()
	if got == "" {
		got = "-"
	}
	// Names may contain blanks (e.g. model "inverted pendulum").
	if want := strings.Join(in[key], " "); got != want {
		t.Errorf("%s: got %q, want %q", key, got, want)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// loadFile compiles an MJCF file from disk.
func loadFile(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f, path)
}

// TestModelsMatchMuJoCo compares every compiled quantity of the seven
// embedded models, and of testdata/classes.xml (default classes, 3-D
// inertia, boxes, cylinders, degrees), with the golden `mjoracle info`
// output of MuJoCo 2.2.2.
func TestModelsMatchMuJoCo(t *testing.T) {
	type tc struct {
		name, info string
		load       func() (*Model, error)
		// axisTol bounds the error of the inertia tensor rebuilt from the
		// principal frame (relative to the largest moment) and of dof_M0.
		axisTol float64
	}
	var cases []tc
	for _, name := range modelNames {
		cases = append(cases, tc{name, filepath.Join("..", "mujoco", "testdata", name+".info"),
			func() (*Model, error) { return Load(name) }, relTol})
	}
	// MuJoCo 2.2.2's own 3×3 eigensolver (mjuu_eig3, user_util.cc) is a
	// Jacobi iteration that stops once a rotation's cosine exceeds 1 − 1e-12,
	// i.e. rotations under ~1.4e-6 rad are dropped, so its principal axes
	// for a body whose geoms are not all aligned with one common principal
	// axis are off by up to ~1e-6 rad (the principal moments are still
	// exact to second order). Body "foot" of classes.xml is such a body;
	// the seven Gymnasium models have none (their one multi-geom body, the
	// cheetah torso, is diagonalised by a single rotation).
	cases = append(cases, tc{"classes", filepath.Join("testdata", "classes.info"),
		func() (*Model, error) { return loadFile(filepath.Join("testdata", "classes.xml")) },
		5e-6})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := c.load()
			if err != nil {
				t.Fatal(err)
			}
			in := readInfo(t, c.info)
			checkStr(t, in, "model_name", m.Name)
			for _, c := range []struct {
				key string
				got int
			}{
				{"nq", m.Nq}, {"nv", m.Nv}, {"nu", m.Nu}, {"na", 0},
				{"nbody", len(m.Bodies)}, {"njnt", len(m.Joints)},
				{"ngeom", len(m.Geoms)}, {"nsite", len(m.Sites)},
				{"iterations", m.Option.Iterations},
				{"disableflags", 0}, {"enableflags", 0},
			} {
				checkInt(t, in, c.key, c.got)
			}
			checkStr(t, in, "integrator", m.Option.Integrator.String())
			// The oracle prints MuJoCo's enum names (mjtCone, mjtSolver).
			checkStr(t, in, "cone", []string{"pyramidal", "elliptic"}[m.Option.Cone])
			checkStr(t, in, "solver", []string{"PGS", "CG", "Newton"}[m.Option.Solver])
			o := m.Option
			checkFloats(t, in, "timestep", []float64{o.Timestep})
			checkFloats(t, in, "gravity", o.Gravity[:])
			checkFloats(t, in, "wind", o.Wind[:])
			checkFloats(t, in, "density", []float64{o.Density})
			checkFloats(t, in, "viscosity", []float64{o.Viscosity})
			checkFloats(t, in, "impratio", []float64{o.Impratio})
			checkFloats(t, in, "tolerance", []float64{o.Tolerance})
			checkFloats(t, in, "qpos0", m.Qpos0)
			checkFloats(t, in, "qpos_spring", m.QposSpring)
			checkBodies(t, in, m, c.axisTol)
			checkJoints(t, in, m)
			checkGeoms(t, in, m)
			checkSites(t, in, m)
			checkActuators(t, in, m)
			M := m.MassMatrix0()
			diag := make([]float64, m.Nv)
			for i := range diag {
				diag[i] = M[i][i]
			}
			want := in.floats(t, "dof_M0")
			if len(want) != len(diag) {
				t.Fatalf("dof_M0: got %d values, want %d", len(diag), len(want))
			}
			for i := range want {
				if math.Abs(diag[i]-want[i]) > c.axisTol*math.Abs(want[i]) {
					t.Errorf("dof_M0[%d]: got %.17g, want %.17g", i, diag[i], want[i])
				}
			}
		})
	}
}

// bodyName is how the oracle prints a body reference: its name, or "-"
// for none (the world's parent) or an unnamed body.
func bodyName(m *Model, i int) string {
	if i < 0 || m.Bodies[i].Name == "" {
		return "-"
	}
	return m.Bodies[i].Name
}

func checkBodies(t *testing.T, in info, m *Model, axisTol float64) {
	t.Helper()
	for i, b := range m.Bodies {
		p := fmt.Sprintf("body.%d.", i)
		checkStr(t, in, p+"name", b.Name)
		parent := bodyName(m, b.Parent)
		if i == 0 { // MuJoCo makes the world its own parent; the oracle prints "-"
			parent = "-"
		}
		checkStr(t, in, p+"parent", parent)
		checkFloats(t, in, p+"pos", b.Pos[:])
		checkFloats(t, in, p+"quat", b.Quat[:])
		checkFloats(t, in, p+"mass", []float64{b.Mass})
		checkFloats(t, in, p+"ipos", b.IPos[:])
		checkFloats(t, in, p+"subtreemass", []float64{b.SubtreeMass})
		// The principal frame is unique only up to sign and, for repeated
		// moments, rotation within the repeated plane: compare the tensor.
		var iq Quat
		copy(iq[:], in.floats(t, p+"iquat"))
		var inert Vec3
		copy(inert[:], in.floats(t, p+"inertia"))
		want := rotateDiag(quatToMat(iq), inert)
		got := b.InertiaTensor()
		scale := math.Max(inert[0], math.Max(inert[1], inert[2]))
		for r := range 3 {
			for c := range 3 {
				if math.Abs(got[r][c]-want[r][c]) > axisTol*scale+1e-300 {
					t.Errorf("%sinertia tensor[%d][%d]: got %.17g, want %.17g",
						p, r, c, got[r][c], want[r][c])
				}
			}
		}
		// The principal moments themselves, as a sorted set.
		gs, ws := sorted3(b.Inertia), sorted3(inert)
		for k := range 3 {
			if !near(gs[k], ws[k]) {
				t.Errorf("%sinertia: got %.17g, want %.17g", p, b.Inertia, inert)
				break
			}
		}
	}
}

func sorted3(v Vec3) Vec3 {
	for i := range 3 {
		for j := i + 1; j < 3; j++ {
			if v[j] < v[i] {
				v[i], v[j] = v[j], v[i]
			}
		}
	}
	return v
}

func checkJoints(t *testing.T, in info, m *Model) {
	t.Helper()
	for i, j := range m.Joints {
		p := fmt.Sprintf("joint.%d.", i)
		checkStr(t, in, p+"name", j.Name)
		checkInt(t, in, p+"type", int(j.Type)) // the oracle prints mjtJoint numbers
		checkStr(t, in, p+"body", bodyName(m, j.Body))
		checkInt(t, in, p+"qposadr", j.QposAdr)
		checkInt(t, in, p+"dofadr", j.DofAdr)
		checkFloats(t, in, p+"pos", j.Pos[:])
		checkFloats(t, in, p+"axis", j.Axis[:])
		checkFloats(t, in, p+"limited", []float64{b2f(j.Limited)})
		checkFloats(t, in, p+"range", j.Range[:])
		for _, c := range []struct {
			key string
			v   float64
		}{
			{"stiffness", j.Stiffness}, {"springref", j.SpringRef},
			{"damping", j.Damping}, {"armature", j.Armature},
			{"frictionloss", j.FrictionLoss}, {"margin", j.Margin},
		} {
			checkFloats(t, in, p+c.key, []float64{c.v})
		}
		checkFloats(t, in, p+"solref", j.SolRef[:])
		checkFloats(t, in, p+"solimp", j.SolImp[:])
	}
}

func checkGeoms(t *testing.T, in info, m *Model) {
	t.Helper()
	for i, g := range m.Geoms {
		p := fmt.Sprintf("geom.%d.", i)
		checkStr(t, in, p+"name", g.Name)
		checkInt(t, in, p+"type", int(g.Type)) // the oracle prints mjtGeom numbers
		checkStr(t, in, p+"body", bodyName(m, g.Body))
		checkFloats(t, in, p+"size", g.Size[:])
		checkFloats(t, in, p+"pos", g.Pos[:])
		checkFloats(t, in, p+"quat", g.Quat[:])
		checkFloats(t, in, p+"contype_conaffinity_condim",
			[]float64{float64(g.Contype), float64(g.Conaffinity), float64(g.Condim)})
		checkFloats(t, in, p+"friction", g.Friction[:])
		checkFloats(t, in, p+"margin", []float64{g.Margin})
		checkFloats(t, in, p+"gap", []float64{g.Gap})
		checkFloats(t, in, p+"solref", g.SolRef[:])
		checkFloats(t, in, p+"solimp", g.SolImp[:])
		// Fluid coefficients are not supported: every golden geom has none.
		checkFloats(t, in, p+"fluid", make([]float64, 12))
	}
}

func checkSites(t *testing.T, in info, m *Model) {
	t.Helper()
	for i, s := range m.Sites {
		p := fmt.Sprintf("site.%d.", i)
		checkStr(t, in, p+"name", s.Name)
		checkStr(t, in, p+"body", bodyName(m, s.Body))
		checkFloats(t, in, p+"pos", s.Pos[:])
	}
}

func checkActuators(t *testing.T, in info, m *Model) {
	t.Helper()
	for i, a := range m.Actuators {
		p := fmt.Sprintf("actuator.%d.", i)
		checkStr(t, in, p+"name", a.Name)
		checkStr(t, in, p+"joint", m.Joints[a.Joint].Name)
		checkFloats(t, in, p+"gear", a.Gear[:])
		checkFloats(t, in, p+"ctrllimited", []float64{b2f(a.CtrlLimited)})
		checkFloats(t, in, p+"ctrlrange", a.CtrlRange[:])
		checkFloats(t, in, p+"forcelimited", []float64{b2f(a.ForceLimited)})
		checkFloats(t, in, p+"forcerange", a.ForceRange[:])
		// Motors: no dynamics, fixed gain 1, no bias (MuJoCo's motor shortcut).
		checkFloats(t, in, p+"dyn_gain_bias_type", []float64{0, 0, 0})
		checkFloats(t, in, p+"gainprm", []float64{1, 0, 0})
		checkFloats(t, in, p+"biasprm", []float64{0, 0, 0})
	}
}
