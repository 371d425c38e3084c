package nn

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	G "gorgonia.org/gorgonia"

	"offrl/nn/gemm"
)

// BLAS is a full BLAS implementation, as gorgonia takes it: gonum's
// interfaces for the four element types.
type BLAS = G.BLAS

// matmul is the float32 matrix multiply of compiled programs and of
// [Forward]: nn/gemm's packed SIMD kernel on one goroutine unless
// [UseBLAS] replaced it. One goroutine is the measured default: at these
// sizes (batch 256, widths 256–750) splitting each product across two
// cores gains less than running a second job on the other core (see the
// README's speed section).
var matmul blas.Float32Level3 = gemm.Implementation{}

// UseBLAS makes every matrix product of this package run on b: those of
// compiled programs and of [Forward], and those gorgonia and gonum's
// blas32 and blas64 wrappers run. The default is [gemm.Implementation] on
// one goroutine; gemm.Implementation{Threads: 2} splits each product, and
// nn/gemm/openblas (build tags cgo and openblas) calls OpenBLAS. Call it
// once at start-up, before compiling programs: a compiled program keeps
// the BLAS it was compiled with. It is not safe to call while programs
// run.
func UseBLAS(b BLAS) {
	matmul = b
	G.Use(b)
	blas32.Use(b)
	blas64.Use(b)
}

// UseThreads makes matrix products use n goroutines each (n ≤ 1: the
// calling goroutine only), through [UseBLAS] with nn/gemm. Results do not
// depend on n: every element of a product is summed in the same order
// whichever goroutine computes it.
func UseThreads(n int) { UseBLAS(gemm.Implementation{Threads: max(n, 1)}) }
