package gemm

import "golang.org/x/sys/cpu"

// useAsm selects the AVX2+FMA kernels; tests clear it to exercise the
// portable kernel on the same machine.
var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

var (
	sgemmAsm kernelFunc[float32] = sgemmKernel6x16
	dgemmAsm kernelFunc[float64] = dgemmKernel6x8
)

// sgemmKernel6x16 is the AVX2+FMA float32 kernelFunc for a 6×16 tile.
//
//go:noescape
func sgemmKernel6x16(kc int, a, b, c *float32, ldc int, alpha, beta float32, loadC int)

// dgemmKernel6x8 is the AVX2+FMA float64 kernelFunc for a 6×8 tile.
//
//go:noescape
func dgemmKernel6x8(kc int, a, b, c *float64, ldc int, alpha, beta float64, loadC int)
