package policies

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"offrl/envs/physics"
)

// linearize returns the discrete-time linearisation x' ≈ A·x + B·u of the
// model's frameSkip-step map about qpos = qvel = ctrl = 0, x = qpos ++ qvel,
// by central differences on envs/physics itself (step h in each state and
// control coordinate), so the gains see the same integrator and dt as the
// environment.
func linearize(t *testing.T, model string, frameSkip int) (a, b *mat.Dense) {
	t.Helper()
	m, err := physics.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	d := physics.NewData(m)
	nq, nv, nu := m.Nq, m.Nv, m.Nu
	nx := nq + nv
	step := func(x, u []float64) []float64 {
		if err := d.SetState(x[:nq], x[nq:]); err != nil {
			t.Fatal(err)
		}
		copy(d.Ctrl, u)
		if err := physics.Step(d, frameSkip); err != nil {
			t.Fatal(err)
		}
		return append(append([]float64(nil), d.Qpos...), d.Qvel...)
	}
	const h = 1e-6
	a, b = mat.NewDense(nx, nx, nil), mat.NewDense(nx, nu, nil)
	column := func(dst *mat.Dense, j int, plusX, minusX, plusU, minusU []float64) {
		hi, lo := step(plusX, plusU), step(minusX, minusU)
		for i := range nx {
			dst.Set(i, j, (hi[i]-lo[i])/(2*h))
		}
	}
	for j := range nx {
		xp, xm := make([]float64, nx), make([]float64, nx)
		xp[j], xm[j] = h, -h
		column(a, j, xp, xm, make([]float64, nu), make([]float64, nu))
	}
	for j := range nu {
		up, um := make([]float64, nu), make([]float64, nu)
		up[j], um[j] = h, -h
		column(b, j, make([]float64, nx), make([]float64, nx), up, um)
	}
	return a, b
}

// dlqr solves the discrete algebraic Riccati equation for (a, b, q, r) by
// value iteration and returns the gain K of u = −K·x.
func dlqr(t *testing.T, a, b, q, r *mat.Dense) *mat.Dense {
	t.Helper()
	nx, nu := b.Dims()
	p := mat.DenseCopyOf(q)
	k := mat.NewDense(nu, nx, nil)
	var pa, pb, s, next, bpa, apb mat.Dense
	for range 100000 {
		pa.Mul(p, a)
		pb.Mul(p, b)
		s.Mul(b.T(), &pb)
		s.Add(&s, r)
		// K = (R + BᵀPB)⁻¹ BᵀPA
		bpa.Mul(b.T(), &pa)
		if err := k.Solve(&s, &bpa); err != nil {
			t.Fatal(err)
		}
		// P ← Q + AᵀPA − AᵀPB·K
		next.Mul(a.T(), &pa)
		apb.Mul(a.T(), &pb)
		var apbk mat.Dense
		apbk.Mul(&apb, k)
		next.Sub(&next, &apbk)
		next.Add(&next, q)
		if mat.EqualApprox(&next, p, 1e-10*mat.Norm(p, math.Inf(1))) {
			p.Copy(&next)
			break
		}
		p.Copy(&next)
	}
	return k
}

// TestLQRGains re-derives the balance controllers' gains: the model
// linearised about upright with envs/physics at the task's dt, and the
// discrete Riccati equation solved with each controller's weights. Run it
// with -v to print the gains that are stored in the controllers' files.
func TestLQRGains(t *testing.T) {
	tests := []struct {
		name      string
		model     string
		frameSkip int
		q         []float64 // diagonal of Q over qpos ++ qvel
		r         float64
		stored    []float64
	}{
		{"InvertedPendulum-v4", "inverted_pendulum", 2, ipLQRWeights[:], ipLQRControlWeight,
			ipGains[:]},
		{"InvertedDoublePendulum-v4", "inverted_double_pendulum", 5, idpLQRWeights[:],
			idpLQRControlWeight, idpGains[:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := linearize(t, tt.model, tt.frameSkip)
			q := mat.NewDiagDense(len(tt.q), tt.q)
			k := dlqr(t, a, b, mat.DenseCopyOf(q), mat.NewDense(1, 1, []float64{tt.r}))
			got := mat.Row(nil, 0, k)
			t.Logf("%s: A = %.6g\nB = %.6g\nK = %#v", tt.name, mat.Formatted(a),
				mat.Formatted(b), got)
			for i := range got {
				if math.Abs(got[i]-tt.stored[i]) > 1e-3*math.Max(1, math.Abs(got[i])) {
					t.Errorf("gain %d = %.6g, stored %.6g", i, got[i], tt.stored[i])
				}
			}
		})
	}
}
