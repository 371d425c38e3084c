package physics

import (
	"math"
	"testing"
)

var contactModels = []string{"half_cheetah", "hopper", "walker2d"}

// contactOneStepTol bounds the one-step max abs error (qpos and qvel) of
// the contact models, also used for single steps from the rollout states
// (resync). The measured values (README.md) are 7e-13 at most: the Newton
// solve here and MuJoCo's both end at the exact optimum of the same
// piecewise-quadratic cost, so only round-off remains.
var contactOneStepTol = map[string]float64{
	"half_cheetah": 1e-11, "hopper": 1e-11, "walker2d": 1e-11,
}

// TestContactOneStep replays the 200 one-step cases of the contact models
// and checks the contact count after the step and the state.
func TestContactOneStep(t *testing.T) {
	for _, name := range contactModels {
		t.Run(name, func(t *testing.T) {
			m, d := loadData(t, name)
			fs := frameSkip(t, name)
			nq, nv, nu := m.Nq, m.Nv, m.Nu
			var free, con errStats
			ncase, badN := 0, 0
			for ci, r := range readRows(t, goldenPath(name+".onestep.csv")) {
				r = r[1:]
				if err := d.SetState(r[:nq], r[nq:nq+nv]); err != nil {
					t.Fatal(err)
				}
				copy(d.Ctrl, r[nq+nv:nq+nv+nu])
				if err := Step(d, fs); err != nil {
					t.Fatal(err)
				}
				wantN := int(r[nq+nv+nu])
				want := r[nq+nv+nu+1:]
				if d.NCon() != wantN {
					badN++
					t.Errorf("case %d: ncon %d, MuJoCo %d", ci+1, d.NCon(), wantN)
				}
				var e errStats
				for i := range nq {
					e.add(d.Qpos[i], want[i])
				}
				for i := range nv {
					e.add(d.Qvel[i], want[nq+i])
				}
				st := &free
				if d.maxContacts > 0 {
					st = &con
					ncase++
				}
				st.abs, st.rel = max(st.abs, e.abs), max(st.rel, e.rel)
				if e.abs > contactOneStepTol[name] {
					t.Errorf("case %d (contacts %d): max abs error %.3g", ci+1, d.maxContacts, e.abs)
				}
			}
			t.Logf("%s one-step: no contact: %v; contact (%d cases): %v; ncon mismatches %d",
				name, free, ncase, con, badN)
		})
	}
}

// TestContactRollouts runs the contact models free along MuJoCo's rollouts
// and checks the contact count of every row against MuJoCo's when the
// states still agree, and how long the trajectories stay close.
func TestContactRollouts(t *testing.T) {
	for _, name := range contactModels {
		for _, ro := range []string{"rest", "sine-qpos0", "sine-perturbed"} {
			t.Run(name+"/"+ro, func(t *testing.T) {
				m, d := loadData(t, name)
				fs := frameSkip(t, name)
				nq, nv := m.Nq, m.Nv
				in := readRows(t, goldenPath(name+".rollout-"+ro+".in"))
				out := readRows(t, goldenPath(name+".rollout-"+ro+".csv"))
				if in[0] != nil {
					if err := d.SetState(in[0][:nq], in[0][nq:]); err != nil {
						t.Fatal(err)
					}
				}
				if d.NCon() != int(out[0][2]) {
					t.Errorf("row 0: ncon %d, MuJoCo %d", d.NCon(), int(out[0][2]))
				}
				below3, below1 := -1, -1
				var ep errStats
				for k := 1; k < len(in); k++ {
					copy(d.Ctrl, in[k])
					if err := Step(d, fs); err != nil {
						t.Fatal(err)
					}
					if d.NCon() != int(out[k][2]) {
						t.Errorf("free-running step %d: ncon %d, MuJoCo %d", k, d.NCon(),
							int(out[k][2]))
					}
					w := out[k][3:]
					var e errStats
					for i := range nq {
						e.add(d.Qpos[i], w[i])
					}
					for i := range nv {
						e.add(d.Qvel[i], w[nq+i])
					}
					ep.abs = max(ep.abs, e.abs)
					if ep.abs >= 1e-3 && below3 < 0 {
						below3 = k - 1
					}
					if ep.abs >= 1e-1 && below1 < 0 {
						below1 = k - 1
					}
				}
				n := len(in) - 1
				if below3 < 0 {
					below3 = n
				}
				if below1 < 0 {
					below1 = n
				}
				// Resynchronised: ncon and error of one step from each
				// golden state.
				_, d2 := loadData(t, name)
				var es errStats
				badN := 0
				for k := 1; k < len(in); k++ {
					prev := out[k-1][3:]
					if err := d2.SetState(prev[:nq], prev[nq:]); err != nil {
						t.Fatal(err)
					}
					copy(d2.Ctrl, in[k])
					if err := Step(d2, fs); err != nil {
						t.Fatal(err)
					}
					if d2.NCon() != int(out[k][2]) {
						badN++
						t.Errorf("step %d: ncon %d, MuJoCo %d", k, d2.NCon(), int(out[k][2]))
					}
					for i := range nq {
						es.add(d2.Qpos[i], out[k][3+i])
					}
					for i := range nv {
						es.add(d2.Qvel[i], out[k][3+nq+i])
					}
				}
				t.Logf("%s %s: %d steps; free-running error < 1e-3 for %d steps, < 1e-1 for %d;"+
					" max %.3g; resync %v, ncon mismatches %d", name, ro, n, below3, below1,
					ep.abs, es, badN)
				tol := contactTrajTol[name+"/"+ro]
				if below3 < tol[0] || below1 < tol[1] {
					t.Errorf("agreement for %d/%d steps, want ≥ %d/%d", below3, below1,
						tol[0], tol[1])
				}
				if ep.abs > contactTrajMax {
					t.Errorf("free-running max abs error %.3g > %.g", ep.abs, contactTrajMax)
				}
				if es.abs > contactOneStepTol[name] {
					t.Errorf("resynchronised max abs error %.3g", es.abs)
				}
			})
		}
	}
}

// contactTrajTol is the number of free-running steps the rollouts must
// stay within 1e-3 and 1e-1 of MuJoCo: all of them (50 for rest, 200 for
// the sine rollouts). The measured free-running errors stay below 1e-9
// over the whole rollouts; contactTrajMax asserts 1e-8.
var contactTrajTol = map[string][2]int{
	"half_cheetah/rest": {50, 50}, "half_cheetah/sine-qpos0": {200, 200},
	"half_cheetah/sine-perturbed": {200, 200},
	"hopper/rest":                 {50, 50}, "hopper/sine-qpos0": {200, 200},
	"hopper/sine-perturbed": {200, 200},
	"walker2d/rest":         {50, 50}, "walker2d/sine-qpos0": {200, 200},
	"walker2d/sine-perturbed": {200, 200},
}

// contactTrajMax bounds the free-running max abs error over a rollout.
const contactTrajMax = 1e-8

// TestContactNoAlloc checks that Step allocates nothing with contacts.
func TestContactNoAlloc(t *testing.T) {
	for _, name := range contactModels {
		_, d := loadData(t, name)
		for range 20 {
			if err := Step(d, 4); err != nil {
				t.Fatal(err)
			}
		}
		if d.NCon() == 0 {
			t.Fatalf("%s: no contacts after settling", name)
		}
		if n := testing.AllocsPerRun(20, func() { _ = Step(d, 4) }); n != 0 {
			t.Errorf("%s: Step allocates %v times", name, n)
		}
	}
}

// TestHopperSettles drops Hopper from qpos0 with zero action for 10 s and
// checks that it comes to rest on the floor: the deepest contact
// penetrates at most 5 mm (3.1 mm measured; it lies on its side) and
// every |qvel| is below 1e-6.
func TestHopperSettles(t *testing.T) {
	_, d := loadData(t, "hopper")
	for range 1250 {
		if err := Step(d, 4); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Forward(); err != nil {
		t.Fatal(err)
	}
	minDist := math.Inf(1)
	for _, c := range d.Contacts() {
		minDist = math.Min(minDist, c.Dist)
	}
	var speed float64
	for _, v := range d.Qvel {
		speed = max(speed, math.Abs(v))
	}
	t.Logf("hopper after 10 s: %d contacts, deepest %.4g m, max |qvel| %.3g, height %.4f",
		d.NCon(), minDist, speed, d.Qpos[1])
	if d.NCon() == 0 || minDist < -0.005 || minDist > 0 || speed > 1e-6 {
		t.Errorf("contacts %d, deepest %.4g m, max |qvel| %.3g: want resting contact "+
			"within 5 mm", d.NCon(), minDist, speed)
	}
}
