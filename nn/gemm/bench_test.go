package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// benchImpls are the products each benchmark compares: gonum's pure Go,
// this package on the calling goroutine, and this package on two threads.
// The sub-benchmark named by the size alone is this package, one thread.
func benchImpls() []struct {
	name string
	s    gemmFunc[float32]
	d    gemmFunc[float64]
} {
	two := Implementation{Threads: 2}
	return []struct {
		name string
		s    gemmFunc[float32]
		d    gemmFunc[float64]
	}{
		{"", Sgemm, Dgemm},
		{"/threads=2", two.Sgemm, two.Dgemm},
		{"/gonum", gonum.Implementation{}.Sgemm, gonum.Implementation{}.Dgemm},
	}
}

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

func BenchmarkSgemm(b *testing.B) {
	for _, n := range []int{256, 1024} {
		for _, impl := range benchImpls() {
			b.Run(fmt.Sprint(n)+impl.name, func(b *testing.B) {
				benchGemm(b, impl.s, blas.NoTrans, blas.NoTrans, n, n, n)
			})
		}
	}
}

func BenchmarkDgemm(b *testing.B) {
	for _, n := range []int{256, 1024} {
		for _, impl := range benchImpls() {
			b.Run(fmt.Sprint(n)+impl.name, func(b *testing.B) {
				benchGemm(b, impl.d, blas.NoTrans, blas.NoTrans, n, n, n)
			})
		}
	}
}

// BenchmarkSgemmShapes times the products of the project's 256-wide MLPs:
// the first layer (17 inputs), hidden layers, the scalar head, and the
// backward products Aᵀ·B (weight gradient) and A·Bᵀ (input gradient).
func BenchmarkSgemmShapes(b *testing.B) {
	shapes := []struct {
		name    string
		tA, tB  blas.Transpose
		m, n, k int
	}{
		{"256x17*17x256", blas.NoTrans, blas.NoTrans, 256, 256, 17},
		{"256x256*256x256", blas.NoTrans, blas.NoTrans, 256, 256, 256},
		{"256x256*256x1", blas.NoTrans, blas.NoTrans, 256, 1, 256},
		{"AT*B_256", blas.Trans, blas.NoTrans, 256, 256, 256},
		{"A*BT_256", blas.NoTrans, blas.Trans, 256, 256, 256},
	}
	for _, s := range shapes {
		for _, impl := range benchImpls() {
			b.Run(s.name+impl.name, func(b *testing.B) {
				benchGemm(b, impl.s, s.tA, s.tB, s.m, s.n, s.k)
			})
		}
	}
}

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
