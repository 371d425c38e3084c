// Package openblas offers OpenBLAS's GEMM behind gonum's BLAS interfaces,
// for comparison with offrl/nn/gemm and for machines that have OpenBLAS.
// It is built only with the build tag openblas and cgo (it links
// -lopenblas); without them the package is empty, so the default build
// needs neither. It is a package of its own because the go tool does not
// allow cgo in a package with Go assembly, which offrl/nn/gemm has.
package openblas
