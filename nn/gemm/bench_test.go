package gemm

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Benchmark names: BenchmarkSgemm/256 is this package with Threads equal
// to GOMAXPROCS (go test -cpu N, as the PyTorch reference's --threads N),
// and the Gonum variants gonum's pure-Go Sgemm/Dgemm (which itself uses
// all GOMAXPROCS cores), for comparison.
var gonumImpl = gonum.Implementation{}

// cpus is this package on GOMAXPROCS goroutines.
func cpus() Implementation { return Implementation{Threads: runtime.GOMAXPROCS(0)} }

func randSlice[T float](n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(rand.Float64()*2 - 1)
	}
	return s
}

// benchGemm times C = op(A)·op(B) for an m×k by k×n product and reports
// 2·m·n·k floating-point operations per second.
func benchGemm[T float](b *testing.B, f gemmFunc[T], tA, tB blas.Transpose, m, n, k int) {
	lda, ldb := k, n
	if tA != blas.NoTrans {
		lda = m
	}
	if tB != blas.NoTrans {
		ldb = k
	}
	a, bb, c := randSlice[T](m*k), randSlice[T](k*n), randSlice[T](m*n)
	b.ResetTimer()
	for range b.N {
		f(tA, tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
	}
	flops := 2 * float64(m) * float64(n) * float64(k) * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// squares times n×n products, NoTrans, alpha 1, beta 0, at 256 and 1024.
func squares[T float](b *testing.B, f gemmFunc[T]) {
	for _, n := range []int{256, 1024} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			benchGemm(b, f, blas.NoTrans, blas.NoTrans, n, n, n)
		})
	}
}

// BenchmarkSgemm times this package's Sgemm on GOMAXPROCS goroutines.
func BenchmarkSgemm(b *testing.B) { squares(b, cpus().Sgemm) }

// BenchmarkSgemmGonum times gonum's Sgemm, for comparison.
func BenchmarkSgemmGonum(b *testing.B) { squares(b, gonumImpl.Sgemm) }

// BenchmarkDgemm times this package's Dgemm on GOMAXPROCS goroutines.
func BenchmarkDgemm(b *testing.B) { squares(b, cpus().Dgemm) }

// BenchmarkDgemmGonum times gonum's Dgemm, for comparison.
func BenchmarkDgemmGonum(b *testing.B) { squares(b, gonumImpl.Dgemm) }

// shapes times the products of the project's 256-wide MLPs: the first layer
// (17 inputs), hidden layers, the scalar head, and the backward products
// Aᵀ·B (weight gradient) and A·Bᵀ (input gradient).
func shapes(b *testing.B, f gemmFunc[float32]) {
	for _, s := range []struct {
		name    string
		tA, tB  blas.Transpose
		m, n, k int
	}{
		{"256x17*17x256", blas.NoTrans, blas.NoTrans, 256, 256, 17},
		{"256x256*256x256", blas.NoTrans, blas.NoTrans, 256, 256, 256},
		{"256x256*256x1", blas.NoTrans, blas.NoTrans, 256, 1, 256},
		{"AT*B_256", blas.Trans, blas.NoTrans, 256, 256, 256},
		{"A*BT_256", blas.NoTrans, blas.Trans, 256, 256, 256},
	} {
		b.Run(s.name, func(b *testing.B) { benchGemm(b, f, s.tA, s.tB, s.m, s.n, s.k) })
	}
}

// BenchmarkSgemmShapes times the MLP shapes on GOMAXPROCS goroutines.
func BenchmarkSgemmShapes(b *testing.B) { shapes(b, cpus().Sgemm) }

// BenchmarkSgemmShapesGonum times the MLP shapes with gonum's Sgemm.
func BenchmarkSgemmShapesGonum(b *testing.B) { shapes(b, gonumImpl.Sgemm) }

// BenchmarkSgemmPortable times the portable Go kernel at 256.
func BenchmarkSgemmPortable(b *testing.B) {
	saved := useAsm
	defer func() { useAsm = saved }()
	useAsm = false
	benchGemm(b, Sgemm, blas.NoTrans, blas.NoTrans, 256, 256, 256)
}

// BenchmarkDgemmPortable times the portable Go kernel at 256.
func BenchmarkDgemmPortable(b *testing.B) {
	saved := useAsm
	defer func() { useAsm = saved }()
	useAsm = false
	benchGemm(b, Dgemm, blas.NoTrans, blas.NoTrans, 256, 256, 256)
}
