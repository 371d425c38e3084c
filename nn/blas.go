package nn

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	G "gorgonia.org/gorgonia"
)

// BLAS is a full BLAS implementation, as gorgonia takes it: gonum's
// interfaces for the four element types.
type BLAS = G.BLAS

// UseBLAS makes every matrix product of this package run on b: those inside
// compiled graphs (through gorgonia) and those of [Forward] (through
// gonum's blas32 and blas64). The default is gonum's pure-Go BLAS. Call it
// once at start-up, before building graphs; it is not safe to call while
// programs run.
func UseBLAS(b BLAS) {
	G.Use(b)
	blas32.Use(b)
	blas64.Use(b)
}
