//go:build !amd64

package gemm

// Without the assembly kernels only the portable Go kernel exists.
var (
	useAsm   = false
	sgemmAsm kernelFunc[float32]
	dgemmAsm kernelFunc[float64]
)
