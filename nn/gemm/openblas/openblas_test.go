//go:build cgo && openblas

package openblas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// TestOpenBLAS compares OpenBLAS with gonum on random shapes, transposes,
// padded strides and alpha/beta, including beta 0 over NaNs in C.
func TestOpenBLAS(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	tr := []blas.Transpose{blas.NoTrans, blas.Trans}
	for range 300 {
		tA, tB := tr[rng.IntN(2)], tr[rng.IntN(2)]
		m, n, k := rng.IntN(70), rng.IntN(70), rng.IntN(300)
		alpha := []float32{0, 1, -0.5, 2.5}[rng.IntN(4)]
		beta := []float32{0, 1, 0.3}[rng.IntN(3)]
		ra, ca, rb, cb := m, k, k, n
		if tA == blas.Trans {
			ra, ca = k, m
		}
		if tB == blas.Trans {
			rb, cb = n, k
		}
		lda, ldb, ldc := max(1, ca)+rng.IntN(3), max(1, cb)+rng.IntN(3), max(1, n)+rng.IntN(3)
		a, b := randSlice(rng, ra*lda), randSlice(rng, rb*ldb)
		c := randSlice(rng, m*ldc)
		if beta == 0 {
			for i := range c {
				c[i] = float32(math.NaN())
			}
		}
		got, want := append([]float32(nil), c...), append([]float32(nil), c...)
		OpenBLAS{}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc)
		gonum.Implementation{}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
		for i := range got {
			g, w := float64(got[i]), float64(want[i])
			if math.IsNaN(w) && math.IsNaN(g) {
				continue // outside the m×n window
			}
			if math.IsNaN(g) || math.Abs(g-w) > 1e-5*float64(k+2)*(1+math.Abs(w)) {
				t.Fatalf("tA=%c tB=%c m=%d n=%d k=%d alpha=%g beta=%g: c[%d] = %v, gonum %v",
					tA, tB, m, n, k, alpha, beta, i, g, w)
			}
		}
		// Dgemm on the same data, widened.
		a64, b64, c64 := widen(a), widen(b), widen(c)
		w64 := append([]float64(nil), c64...)
		OpenBLAS{}.Dgemm(tA, tB, m, n, k, float64(alpha), a64, lda, b64, ldb, float64(beta),
			c64, ldc)
		gonum.Implementation{}.Dgemm(tA, tB, m, n, k, float64(alpha), a64, lda, b64, ldb,
			float64(beta), w64, ldc)
		for i := range c64 {
			if math.IsNaN(c64[i]) && math.IsNaN(w64[i]) {
				continue
			}
			if math.Abs(c64[i]-w64[i]) > 1e-12*float64(k+2)*(1+math.Abs(w64[i])) {
				t.Fatalf("Dgemm m=%d n=%d k=%d: c[%d] = %v, gonum %v", m, n, k, i, c64[i], w64[i])
			}
		}
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

func widen(s []float32) []float64 {
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}

// BenchmarkOpenBLAS times OpenBLAS's square products, NoTrans, alpha 1,
// beta 0, for comparison with offrl/nn/gemm's BenchmarkSgemm and
// BenchmarkDgemm; OPENBLAS_NUM_THREADS sets its threads.
func BenchmarkOpenBLAS(b *testing.B) {
	for _, n := range []int{256, 1024} {
		x, y := make([]float32, n*n), make([]float32, n*n)
		c := make([]float32, n*n)
		x64, y64, c64 := widen(x), widen(y), widen(c)
		b.Run(fmt.Sprintf("s/%d", n), func(b *testing.B) {
			for range b.N {
				OpenBLAS{}.Sgemm(blas.NoTrans, blas.NoTrans, n, n, n, 1, x, n, y, n, 0, c, n)
			}
			b.ReportMetric(2*math.Pow(float64(n), 3)*float64(b.N)/b.Elapsed().Seconds()/1e9,
				"GFLOP/s")
		})
		b.Run(fmt.Sprintf("d/%d", n), func(b *testing.B) {
			for range b.N {
				OpenBLAS{}.Dgemm(blas.NoTrans, blas.NoTrans, n, n, n, 1, x64, n, y64, n, 0, c64, n)
			}
			b.ReportMetric(2*math.Pow(float64(n), 3)*float64(b.N)/b.Elapsed().Seconds()/1e9,
				"GFLOP/s")
		})
	}
}
