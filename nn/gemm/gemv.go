package gemm

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gemvFunc is the shape of gonum's Sgemv and Dgemv.
type gemvFunc[T float] func(tA blas.Transpose, m, n int, alpha T, a []T, lda int,
	x []T, incX int, beta T, y []T, incY int)

var (
	sgemv gemvFunc[float32] = gonum.Implementation{}.Sgemv
	dgemv gemvFunc[float64] = gonum.Implementation{}.Dgemv
)

// viaGemv computes C = alpha·op(A)·op(B) + beta·C when C has one row or one
// column, and reports whether it did. Such a product is a matrix-vector
// product; packing would pad the single column to a whole micro-tile (16×
// the work for float32), so it goes to gonum's gemv, which streams the
// matrix once. Arguments are already checked and m, n, k > 0.
func viaGemv[T float](gemv gemvFunc[T], aT, bT bool, m, n, k int, alpha T, a []T, lda int,
	b []T, ldb int, beta T, c []T, ldc int) bool {
	switch {
	case n == 1:
		// C (m×1) = op(A)·x with x the single column of op(B).
		t, rows, cols := blas.NoTrans, m, k
		if aT {
			t, rows, cols = blas.Trans, k, m
		}
		x, incX := b, 1
		if !bT {
			incX = ldb
		}
		// y is cut to C's column exactly: gonum's gemv may clear all of y.
		gemv(t, rows, cols, alpha, a, lda, x, incX, beta, c[:(m-1)*ldc+1], ldc)
	case m == 1:
		// Cᵀ (n×1) = op(B)ᵀ·x with x the single row of op(A).
		t, rows, cols := blas.Trans, k, n
		if bT {
			t, rows, cols = blas.NoTrans, n, k
		}
		x, incX := a, 1
		if aT {
			incX = lda
		}
		gemv(t, rows, cols, alpha, b, ldb, x, incX, beta, c[:n], 1)
	default:
		return false
	}
	return true
}
