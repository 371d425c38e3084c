// Package gemm is a fast pure-Go general matrix multiply for float32 and
// float64, in the style of BLIS and GotoBLAS: op(B) is packed into column
// panels and op(A) into row panels sized for the caches, and a small
// register-blocked micro-kernel (AVX2+FMA assembly on amd64 where the CPU
// has it, portable Go elsewhere) computes each MR×NR tile of C.
//
// [Implementation] plugs it into gorgonia (gorgonia.Use) or gonum (blas32.Use,
// blas64.Use): it is gonum's pure-Go BLAS with Sgemm and Dgemm replaced.
package gemm

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Implementation is gonum's pure-Go BLAS with Sgemm and Dgemm replaced by
// this package's. The zero value is ready to use and single-threaded.
type Implementation struct {
	gonum.Implementation
	// Threads is how many goroutines one Sgemm or Dgemm call may use;
	// 0 or 1 means the calling goroutine only.
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
func (impl Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	aT, bT := checkArgs(tA, tB, m, n, k, lda, ldb, ldc, len(a), len(b), len(c))
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	run(&sgemmCfg, impl.Threads, aT, bT, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, as
// gonum's blas.Float64Level3.Dgemm does, on up to impl.Threads goroutines.
func (impl Implementation) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64,
	a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	aT, bT := checkArgs(tA, tB, m, n, k, lda, ldb, ldc, len(a), len(b), len(c))
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
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

// Panic message prefixes are gonum's (blas/gonum/errors.go), so that callers
// matching on them see the same text; the bad value follows.
const (
	badTranspose = "blas: illegal transpose"
	mLT0         = "blas: m < 0"
	nLT0         = "blas: n < 0"
	kLT0         = "blas: k < 0"
	badLdA       = "blas: bad leading dimension of A"
	badLdB       = "blas: bad leading dimension of B"
	badLdC       = "blas: bad leading dimension of C"
	shortA       = "blas: insufficient length of a"
	shortB       = "blas: insufficient length of b"
	shortC       = "blas: insufficient length of c"
)

// checkArgs panics where gonum's Sgemm and Dgemm would, in the same order,
// and reports whether A and B are transposed. The slice-length checks come
// after the m, n == 0 early return in gonum, so they are skipped then too.
func checkArgs(tA, tB blas.Transpose, m, n, k, lda, ldb, ldc, la, lb, lc int) (aT, bT bool) {
	switch tA {
	case blas.NoTrans, blas.Trans, blas.ConjTrans:
	default:
		panic(fmt.Sprintf("%s: tA=%d", badTranspose, tA))
	}
	switch tB {
	case blas.NoTrans, blas.Trans, blas.ConjTrans:
	default:
		panic(fmt.Sprintf("%s: tB=%d", badTranspose, tB))
	}
	if m < 0 {
		panic(fmt.Sprintf("%s: m=%d", mLT0, m))
	}
	if n < 0 {
		panic(fmt.Sprintf("%s: n=%d", nLT0, n))
	}
	if k < 0 {
		panic(fmt.Sprintf("%s: k=%d", kLT0, k))
	}
	// For real matrices ConjTrans is Trans.
	aT = tA != blas.NoTrans
	bT = tB != blas.NoTrans
	rowsA, colsA := m, k
	if aT {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if bT {
		rowsB, colsB = n, k
	}
	if lda < max(1, colsA) {
		panic(fmt.Sprintf("%s: lda=%d < %d", badLdA, lda, max(1, colsA)))
	}
	if ldb < max(1, colsB) {
		panic(fmt.Sprintf("%s: ldb=%d < %d", badLdB, ldb, max(1, colsB)))
	}
	if ldc < max(1, n) {
		panic(fmt.Sprintf("%s: ldc=%d < %d", badLdC, ldc, max(1, n)))
	}
	if m == 0 || n == 0 {
		return aT, bT
	}
	// With k == 0 these are (-1)*ld + something and pass, as in gonum.
	if need := (rowsA-1)*lda + colsA; la < need {
		panic(fmt.Sprintf("%s: len(a)=%d < %d", shortA, la, need))
	}
	if need := (rowsB-1)*ldb + colsB; lb < need {
		panic(fmt.Sprintf("%s: len(b)=%d < %d", shortB, lb, need))
	}
	if need := (m-1)*ldc + n; lc < need {
		panic(fmt.Sprintf("%s: len(c)=%d < %d", shortC, lc, need))
	}
	return aT, bT
}

// scaleC sets C = beta·C; beta == 0 writes zeros without reading C, so
// NaNs there are cleared, as BLAS specifies.
func scaleC[T float](m, n int, beta T, c []T, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// Implementation is a whole BLAS for the four element types, which is what
// gorgonia.Use takes (gorgonia.BLAS is exactly these four interfaces).
var (
	_ blas.Float32    = Implementation{}
	_ blas.Float64    = Implementation{}
	_ blas.Complex64  = Implementation{}
	_ blas.Complex128 = Implementation{}
)
