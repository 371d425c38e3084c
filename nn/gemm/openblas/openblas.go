//go:build cgo && openblas

package openblas

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"offrl/nn/gemm/internal/check"
)

// OpenBLAS is gonum's pure-Go BLAS with Sgemm and Dgemm done by OpenBLAS's
// cblas_sgemm and cblas_dgemm (build tag openblas, needs cgo and
// libopenblas). OpenBLAS picks its own thread count; set
// OPENBLAS_NUM_THREADS to fix it.
type OpenBLAS struct {
	gonum.Implementation
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C with OpenBLAS, after the same
// argument checks and panics as gonum's Sgemm.
func (OpenBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	aT, bT := check.Args(tA, tB, m, n, k, lda, ldb, ldc, len(a), len(b), len(c))
	if m == 0 || n == 0 {
		return
	}
	// Scaling C here keeps BLAS's beta == 0 rule (C not read) whatever
	// OpenBLAS does, and spares a call that would only scale.
	if alpha == 0 || k == 0 {
		check.ScaleC(m, n, beta, c, ldc)
		return
	}
	C.cblas_sgemm(C.CblasRowMajor, cblasTrans(aT), cblasTrans(bT), C.blasint(m), C.blasint(n),
		C.blasint(k), C.float(alpha), (*C.float)(&a[0]), C.blasint(lda),
		(*C.float)(&b[0]), C.blasint(ldb), C.float(beta), (*C.float)(&c[0]), C.blasint(ldc))
}

// Dgemm computes C = alpha·op(A)·op(B) + beta·C with OpenBLAS, after the same
// argument checks and panics as gonum's Dgemm.
func (OpenBLAS) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int,
	b []float64, ldb int, beta float64, c []float64, ldc int) {
	aT, bT := check.Args(tA, tB, m, n, k, lda, ldb, ldc, len(a), len(b), len(c))
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		check.ScaleC(m, n, beta, c, ldc)
		return
	}
	C.cblas_dgemm(C.CblasRowMajor, cblasTrans(aT), cblasTrans(bT), C.blasint(m), C.blasint(n),
		C.blasint(k), C.double(alpha), (*C.double)(&a[0]), C.blasint(lda),
		(*C.double)(&b[0]), C.blasint(ldb), C.double(beta), (*C.double)(&c[0]), C.blasint(ldc))
}

func cblasTrans(t bool) C.enum_CBLAS_TRANSPOSE {
	if t {
		return C.CblasTrans
	}
	return C.CblasNoTrans
}

// OpenBLAS is a whole BLAS, as gorgonia.Use takes.
var (
	_ blas.Float32 = OpenBLAS{}
	_ blas.Float64 = OpenBLAS{}
)
