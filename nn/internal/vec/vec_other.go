//go:build !amd64

package vec

// Without the assembly kernels only the portable Go code runs: useAsm is
// false, so the stubs below are never called.
var useAsm = false

func addAVX2(dst, a, b *float32, n int)                { panic(noAsm) }
func subAVX2(dst, a, b *float32, n int)                { panic(noAsm) }
func mulAVX2(dst, a, b *float32, n int)                { panic(noAsm) }
func mulScalarAVX2(dst, a *float32, n int, s float32)  { panic(noAsm) }
func reluAVX2(dst, x *float32, n int)                  { panic(noAsm) }
func geZeroMaskAVX2(dst, x *float32, n int, s float32) { panic(noAsm) }
func axpbyAVX2(dst, src *float32, n int, a, b float32) { panic(noAsm) }
func sumRowsAVX2(acc *float64, x *float32, rows, cols, width int) {
	panic(noAsm)
}
func adamAVX2(p, grad, m, v *float32, n int, b1, c1, b2, c2, stepSize, sqrtBC2, eps float32) {
	panic(noAsm)
}

const noAsm = "vec: no assembly kernels on this architecture"
