// Package check holds the argument checks and the C = beta·C step that
// every GEMM of offrl/nn/gemm shares with gonum's, so the pure-Go and the
// OpenBLAS implementations panic alike.
package check

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
)

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

// Args panics where gonum's Sgemm and Dgemm would, in the same order,
// and reports whether A and B are transposed. The slice-length checks come
// after the m, n == 0 early return in gonum, so they are skipped then too.
func Args(tA, tB blas.Transpose, m, n, k, lda, ldb, ldc, la, lb, lc int) (aT, bT bool) {
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

// ScaleC sets C = beta·C; beta == 0 writes zeros without reading C, so
// NaNs there are cleared, as BLAS specifies.
func ScaleC[T ~float32 | ~float64](m, n int, beta T, c []T, ldc int) {
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
