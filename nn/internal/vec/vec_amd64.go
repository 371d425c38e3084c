package vec

import "golang.org/x/sys/cpu"

// useAsm selects the AVX2 kernels (FMA is not used, but is required as
// elsewhere in nn so that one feature test covers every kernel); tests
// clear it to exercise the portable code on the same machine.
var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// The assembly kernels below process n elements, n a positive multiple of
// 8; the exported wrappers guarantee it.

//go:noescape
func addAVX2(dst, a, b *float32, n int)

//go:noescape
func subAVX2(dst, a, b *float32, n int)

//go:noescape
func mulAVX2(dst, a, b *float32, n int)

//go:noescape
func mulScalarAVX2(dst, a *float32, n int, s float32)

//go:noescape
func reluAVX2(dst, x *float32, n int)

//go:noescape
func geZeroMaskAVX2(dst, x *float32, n int, s float32)

//go:noescape
func axpbyAVX2(dst, src *float32, n int, a, b float32)

//go:noescape
func adamAVX2(p, grad, m, v *float32, n int, b1, c1, b2, c2, stepSize, sqrtBC2, eps float32)

// sumRowsAVX2 sums the first width columns (a positive multiple of 4) of
// the rows × cols matrix x into acc.
//
//go:noescape
func sumRowsAVX2(acc *float64, x *float32, rows, cols, width int)
