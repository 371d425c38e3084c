// Package vec holds the elementwise float32 loops of the nn executor,
// optimiser and forward pass: AVX2 assembly on amd64 CPUs that have AVX2
// and FMA, portable Go everywhere else. The assembly handles whole blocks
// of 8 elements and the Go code the rest, so a length need not be a
// multiple of anything.
//
// Every kernel except where its comment says otherwise gives bit-identical
// results on both paths: the assembly performs the same IEEE operations in
// the same order as the Go code (separate multiplies and adds, never a
// fused multiply-add), and VSQRTPS and VDIVPS round correctly, as the
// scalar operations do.
//
// Destinations may be the same slice as a source (in place) but must not
// otherwise overlap one. Sources shorter than the destination panic.
package vec

import "math"

// block is the number of float32 elements one AVX2 register holds; the
// assembly kernels process lengths that are multiples of it.
const block = 8

// Add sets dst[i] = a[i] + b[i].
func Add(dst, a, b []float32) {
	n := len(dst)
	a, b = a[:n], b[:n]
	i := 0
	if useAsm && n >= block {
		i = n &^ (block - 1)
		addAVX2(&dst[0], &a[0], &b[0], i)
	}
	addGo(dst[i:], a[i:], b[i:])
}

func addGo(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

// Sub sets dst[i] = a[i] − b[i].
func Sub(dst, a, b []float32) {
	n := len(dst)
	a, b = a[:n], b[:n]
	i := 0
	if useAsm && n >= block {
		i = n &^ (block - 1)
		subAVX2(&dst[0], &a[0], &b[0], i)
	}
	subGo(dst[i:], a[i:], b[i:])
}

func subGo(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] - b[i]
	}
}

// Mul sets dst[i] = a[i] · b[i].
func Mul(dst, a, b []float32) {
	n := len(dst)
	a, b = a[:n], b[:n]
	i := 0
	if useAsm && n >= block {
		i = n &^ (block - 1)
		mulAVX2(&dst[0], &a[0], &b[0], i)
	}
	mulGo(dst[i:], a[i:], b[i:])
}

func mulGo(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

// MulScalar sets dst[i] = a[i] · s.
func MulScalar(dst, a []float32, s float32) {
	n := len(dst)
	a = a[:n]
	i := 0
	if useAsm && n >= block {
		i = n &^ (block - 1)
		mulScalarAVX2(&dst[0], &a[0], i, s)
	}
	mulScalarGo(dst[i:], a[i:], s)
}

func mulScalarGo(dst, a []float32, s float32) {
	for i, x := range a[:len(dst)] {
		dst[i] = x * s
	}
}

// AddRow adds row to every row of the matrix a, whose rows are len(row)
// long, the bias add of a layer: dst[r·cols+c] = a[r·cols+c] + row[c]. A
// final partial row of dst is left alone.
func AddRow(dst, a, row []float32) {
	cols := len(row)
	if cols == 0 {
		return
	}
	for r := 0; r+cols <= len(dst); r += cols {
		// Rows are hundreds of elements long, so one call per row costs
		// little next to the work it does.
		Add(dst[r:r+cols], a[r:r+cols], row)
	}
}

// Relu sets dst[i] = max(x[i], 0) with Go's max: −0 gives +0 and NaN
// gives NaN (the payload of a NaN may differ between the two paths).
func Relu(dst, x []float32) {
	n := len(dst)
	x = x[:n]
	i := 0
	if useAsm && n >= block {
		i = n &^ (block - 1)
		reluAVX2(&dst[0], &x[0], i)
	}
	reluGo(dst[i:], x[i:])
}

func reluGo(dst, x []float32) {
	for i, v := range x[:len(dst)] {
		dst[i] = max(v, 0) // branch-free; a branch mispredicts on half the inputs
	}
}

// GEZeroMask sets dst[i] to 1 where x[i] − s ≥ 0 (−0 included) and to 0
// elsewhere, a NaN difference included. For finite x and s that is
// x[i] ≥ s, the ReLU mask x ≥ 0 that gorgonia derives for backward passes.
func GEZeroMask(dst, x []float32, s float32) {
	n := len(dst)
	x = x[:n]
	i := 0
	if useAsm && n >= block {
		i = n &^ (block - 1)
		geZeroMaskAVX2(&dst[0], &x[0], i, s)
	}
	geZeroMaskGo(dst[i:], x[i:], s)
}

func geZeroMaskGo(dst, x []float32, s float32) {
	for i, v := range x[:len(dst)] {
		// Branch-free, as half of the activations are negative and a
		// branch would mispredict: d ≥ 0 when the sign bit is clear or
		// every other bit is zero, and d is not a NaN when its magnitude
		// is at most that of infinity.
		bits := math.Float32bits(v - s)
		nonNeg := bits>>31 ^ 1 | uint32((uint64(bits<<1)-1)>>63)
		notNaN := uint32((uint64(bits&0x7fffffff) - 0x7f800001) >> 63)
		dst[i] = float32(nonNeg & notNaN)
	}
}

// Axpby sets dst[i] = a·src[i] + b·dst[i], the Polyak average of a target
// network, multiplying and adding in that order.
func Axpby(dst, src []float32, a, b float32) {
	n := len(dst)
	src = src[:n]
	i := 0
	if useAsm && n >= block {
		i = n &^ (block - 1)
		axpbyAVX2(&dst[0], &src[0], i, a, b)
	}
	axpbyGo(dst[i:], src[i:], a, b)
}

func axpbyGo(dst, src []float32, a, b float32) {
	for i, v := range src[:len(dst)] {
		// The conversions forbid fusing into a multiply-add on
		// architectures that would, keeping the rounding of amd64.
		dst[i] = float32(a*v) + float32(b*dst[i])
	}
}

// Adam takes one Adam step on the parameters p from their gradients g,
// updating the moments m and v in place, with the operations of PyTorch's
// Adam in this order and each rounded to float32:
//
//	m ← b1·m + (1 − b1)·g
//	v ← b2·v + ((1 − b2)·g)·g
//	p ← p − (stepSize·m) / (√v / sqrtBC2 + eps)
//
// All four slices must have the same length.
func Adam(p, g, m, v []float32, b1, b2, stepSize, sqrtBC2, eps float32) {
	n := len(p)
	g, m, v = g[:n], m[:n], v[:n]
	c1, c2 := 1-b1, 1-b2
	i := 0
	if useAsm && n >= block {
		i = n &^ (block - 1)
		adamAVX2(&p[0], &g[0], &m[0], &v[0], i, b1, c1, b2, c2, stepSize, sqrtBC2, eps)
	}
	adamGo(p[i:], g[i:], m[i:], v[i:], b1, c1, b2, c2, stepSize, sqrtBC2, eps)
}

func adamGo(p, g, m, v []float32, b1, c1, b2, c2, stepSize, sqrtBC2, eps float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for j, gj := range g {
		// The float32 conversions forbid fused multiply-adds (see Axpby);
		// the square root is taken in float64 and rounded, which equals
		// the correctly rounded float32 square root.
		mj := float32(b1*m[j]) + float32(c1*gj)
		vj := float32(b2*v[j]) + float32(c2*gj*gj)
		m[j], v[j] = mj, vj
		denom := float32(math.Sqrt(float64(vj)))/sqrtBC2 + eps
		p[j] -= float32(stepSize*mj) / denom
	}
}

// SumRowsInto adds the rows of the rows × cols matrix x (row-major) to
// acc, in float64: acc[c] += Σ_r x[r·cols+c], each column summed in row
// order from its starting value, so both paths round identically.
func SumRowsInto(acc []float64, x []float32, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	x, acc = x[:rows*cols], acc[:cols]
	w := 0
	if useAsm {
		// The assembly sums groups of 4 columns, a register of float64s.
		w = cols &^ 3
		if w > 0 {
			sumRowsAVX2(&acc[0], &x[0], rows, cols, w)
		}
	}
	sumRowsGo(acc, x, rows, cols, w)
}

// sumRowsGo sums columns from..cols-1.
func sumRowsGo(acc []float64, x []float32, rows, cols, from int) {
	if from >= cols {
		return
	}
	a := acc[from:cols]
	for r := range rows {
		row := x[r*cols+from : (r+1)*cols]
		for c, v := range row[:len(a)] {
			a[c] += float64(v)
		}
	}
}
