package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// BenchmarkGEMM times a float32 square matrix product through the BLAS
// that graphs and Forward use, in GFLOP/s (2·n³ per product).
func BenchmarkGEMM(b *testing.B) {
	for _, n := range []int{256, 1024} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, uint64(n)))
			mat := func() blas32.General {
				m := blas32.General{Rows: n, Cols: n, Stride: n, Data: make([]float32, n*n)}
				for i := range m.Data {
					m.Data[i] = float32(rng.NormFloat64())
				}
				return m
			}
			x, y, z := mat(), mat(), mat()
			for b.Loop() {
				blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, x, y, 0, z)
			}
			b.ReportMetric(2*float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
