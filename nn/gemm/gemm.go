// Package gemm is a fast pure-Go general matrix multiply for float32 and
// float64, in the style of BLIS and GotoBLAS: op(B) is packed into column
// panels and op(A) into row panels sized for the caches, and a small
// register-blocked micro-kernel (AVX2+FMA assembly on amd64 where the CPU
// has it, portable Go elsewhere) computes each MR×NR tile of C.
//
// Why our own: gonum's pure-Go Sgemm runs at about 13 GFLOP/s on one
// core here, an eighth of OpenBLAS; github.com/viterin/vek's MatMul is
// fast (91–95 GFLOP/s at 256) but has no strides or transposes, which
// gorgonia's backward products (Aᵀ·B, A·Bᵀ) need.
//
// [Implementation] plugs it into gorgonia (gorgonia.Use) or gonum (blas32.Use,
// blas64.Use): it is gonum's pure-Go BLAS with Sgemm and Dgemm replaced.
package gemm

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"offrl/nn/gemm/internal/check"
)

// Implementation is gonum's pure-Go BLAS with Sgemm and Dgemm replaced by
// this package's. The zero value is ready to use and single-threaded.
type Implementation struct {
	gonum.Implementation
	// Threads is how many goroutines one Sgemm or Dgemm call may use;
	// 0 or 1 means the calling goroutine only. With more, C is cut into
	// Threads strips that the caller and persistent worker goroutines
	// share; products under 2·128³ flops stay on the caller. Idle workers
	// poll for new strips for up to 100 µs before they park, which spends
	// a little CPU after each call to spare the next one the OS wake-up.
	Threads int
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C on the calling goroutine
// only. Arguments, their checks and their panics are those of gonum's
// blas.Float32Level3.Sgemm.
func Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	Implementation{}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm computes C = alpha·op(A)·op(B) + beta·C on the calling goroutine
// only. Arguments, their checks and their panics are those of gonum's
// blas.Float64Level3.Dgemm.
func Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int,
	b []float64, ldb int, beta float64, c []float64, ldc int) {
	Implementation{}.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, as
// gonum's blas.Float32Level3.Sgemm does, on up to impl.Threads goroutines.
// One difference: a zero in A times a NaN or Inf in B gives NaN here, as
// IEEE arithmetic and OpenBLAS do, where gonum skips zero terms and gives
// 0. Panic messages carry gonum's text followed by the bad value.
func (impl Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	aT, bT := check.Args(tA, tB, m, n, k, lda, ldb, ldc, len(a), len(b), len(c))
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		check.ScaleC(m, n, beta, c, ldc)
		return
	}
	run(&sgemmCfg, impl.Threads, aT, bT, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, as
// gonum's blas.Float64Level3.Dgemm does, on up to impl.Threads goroutines.
func (impl Implementation) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64,
	a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	aT, bT := check.Args(tA, tB, m, n, k, lda, ldb, ldc, len(a), len(b), len(c))
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		check.ScaleC(m, n, beta, c, ldc)
		return
	}
	run(&dgemmCfg, impl.Threads, aT, bT, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Kernel names the micro-kernel chosen at run time for this CPU:
// "avx2-fma" or "go" (portable).
func Kernel() string {
	if useAsm {
		return "avx2-fma"
	}
	return "go"
}

// Implementation is a whole BLAS for the four element types, which is what
// gorgonia.Use takes (gorgonia.BLAS is exactly these four interfaces).
var (
	_ blas.Float32    = Implementation{}
	_ blas.Float64    = Implementation{}
	_ blas.Complex64  = Implementation{}
	_ blas.Complex128 = Implementation{}
)
