package physics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLimitSolve checks the active-set solve of the limit complementarity
// problem against projected Gauss–Seidel on random positive-definite
// problems of one to six rows, and that the result is complementary.
func TestLimitSolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 500 {
		n := 1 + trial%6
		c := &constraints{n: n, a: make([]float64, n*n), b: make([]float64, n),
			f: make([]float64, n), x: make([]float64, n), idx: make([]int, n),
			sub: make([]float64, 2*n*n)}
		// A = GᵀG + R with R > 0 on the diagonal, as J M⁻¹ Jᵀ + R is.
		g := make([]float64, n*n)
		for i := range g {
			g[i] = rng.NormFloat64()
		}
		for i := range n {
			for j := range n {
				var s float64
				for k := range n {
					s += g[k*n+i] * g[k*n+j]
				}
				c.a[i*n+j] = s
			}
			c.a[i*n+i] += 0.1 + rng.Float64()
			c.b[i] = rng.NormFloat64()
		}
		found := false
		for mask := 0; mask < 1<<n && !found; mask++ {
			found = c.tryActive(mask)
		}
		if !found {
			t.Fatalf("trial %d: no active set found", trial)
		}
		exact := append([]float64(nil), c.f[:n]...)
		c.pgs()
		for k := range n {
			if math.Abs(c.f[k]-exact[k]) > 1e-9*(1+math.Abs(exact[k])) {
				t.Fatalf("trial %d: row %d enumeration %.17g, PGS %.17g", trial, k,
					exact[k], c.f[k])
			}
			w := -c.b[k]
			for l := range n {
				w += c.a[k*n+l] * exact[l]
			}
			if exact[k] < 0 || w < -1e-12 || math.Abs(exact[k]*w) > 1e-12 {
				t.Fatalf("trial %d: row %d not complementary: f %g, w %g", trial, k,
					exact[k], w)
			}
		}
	}
}

// TestImpedance checks MuJoCo's impedance curve at its ends and midpoint.
func TestImpedance(t *testing.T) {
	s := solimpClamped([5]float64{0, 0.8, 0.03, 0.5, 2})
	if s[0] != 0.0001 {
		t.Errorf("dmin 0 clamps to %v, want 1e-4", s[0])
	}
	for _, c := range []struct{ pos, want float64 }{
		{0, 0.0001}, {-0.015, 0.0001 + 0.5*(0.8-0.0001)}, {-0.03, 0.8}, {-1, 0.8},
	} {
		if got := impedance(s, c.pos, 0); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("impedance(pos %v) = %.17g, want %.17g", c.pos, got, c.want)
		}
	}
	if got := impedance([5]float64{0.8, 0.8, 0.01, 0.5, 2}, -0.3, 0); got != 0.8 {
		t.Errorf("dmin = dmax: got %v, want 0.8", got)
	}
}
