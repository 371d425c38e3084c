package nn

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"offrl/nn/internal/vec"
)

// This file holds the native kernels of the executor (exec.go): one
// constructor per gorgonia op kind, each returning a closure over buffers
// made at compile time, or nil when the op's form is not handled and must
// run through gorgonia's own Do.

// reluKernel writes max(x, 0): one pass over x instead of a pass over x
// and its mask. (x ⊙ mask gives −0 where max gives +0; no later op can
// tell them apart but a division by the result.)
func reluKernel(x, out []float32) func() error {
	return func() error {
		vec.Relu(out, x)
		return nil
	}
}

// kernel returns the native kernel for op, or nil to use the op's own Do.
func kernel(op G.Op, name string, shape tensor.Shape, kids []*G.Node, in [][]float32,
	out []float32, b blas.Float32Level3) func() error {
	opType := fmt.Sprintf("%T", op)
	switch {
	case strings.HasSuffix(opType, "linAlgBinOp"):
		return matMulKernel(name, shape, kids, in, out, b)
	case strings.HasSuffix(opType, "elemBinOp"):
		return binaryKernel(name, shape, kids, in, out)
	case strings.HasSuffix(opType, "elemUnaryOp"):
		return unaryKernel(name, in[0], out)
	case strings.HasSuffix(opType, "sumOp"):
		return sumKernel(name, kids[0].Shape(), in[0], out)
	case strings.HasSuffix(opType, "repeatOp"):
		return repeatKernel(kids[0].Shape(), shape, in[0], out)
	case strings.HasSuffix(opType, "concatOp"):
		return concatKernel(name, shape, kids, in, out)
	case strings.HasSuffix(opType, "sliceOp"):
		return sliceKernel(op, name, kids[0].Shape(), shape, in[0], out)
	case strings.HasSuffix(opType, "minBetween"), strings.HasSuffix(opType, "maxBetween"):
		return minMaxKernel(strings.HasSuffix(opType, "minBetween"), in, out)
	}
	return nil
}

// matMulKernel handles "A × B" with either side transposed; matrix-vector
// and vector products fall back to gorgonia.
func matMulKernel(name string, shape tensor.Shape, kids []*G.Node, in [][]float32,
	out []float32, b blas.Float32Level3) func() error {
	switch name {
	case "A × b", "Aᵀ × b": // matrix · vector, as an m×k by k×1 product
		as := kids[0].Shape()
		if len(as) != 2 || kids[1].Dims() != 1 {
			return nil
		}
		m, k, trans := as[0], as[1], blas.NoTrans
		if name == "Aᵀ × b" {
			m, k, trans = as[1], as[0], blas.Trans
		}
		a, x := in[0], in[1]
		return func() error {
			b.Sgemm(trans, blas.NoTrans, m, 1, k, 1, a, as[1], x, 1, 0, out, 1)
			return nil
		}
	case "a ⊗ b": // outer product, an m×1 by 1×n product
		if kids[0].Dims() != 1 || kids[1].Dims() != 1 || len(shape) != 2 {
			return nil
		}
		m, n := shape[0], shape[1]
		x, y := in[0], in[1]
		return func() error {
			b.Sgemm(blas.NoTrans, blas.NoTrans, m, n, 1, 1, x, 1, y, n, 0, out, n)
			return nil
		}
	case "a ⋅ b": // dot product
		x, y := in[0], in[1]
		if len(x) != len(y) || len(out) != 1 {
			return nil
		}
		return func() error {
			var s float32
			for i, v := range x {
				s += v * y[i]
			}
			out[0] = s
			return nil
		}
	}
	tA, tB := strings.HasPrefix(name, "Aᵀ"), strings.HasSuffix(name, "Bᵀ")
	if !strings.HasPrefix(name, "A") || !strings.Contains(name, " B") ||
		len(shape) != 2 || kids[0].Dims() != 2 || kids[1].Dims() != 2 {
		return nil
	}
	as, bs := kids[0].Shape(), kids[1].Shape()
	m, n := shape[0], shape[1]
	k := as[1]
	transA, transB := blas.NoTrans, blas.NoTrans
	if tA {
		k, transA = as[0], blas.Trans
	}
	if tB {
		transB = blas.Trans
	}
	a, bb := in[0], in[1]
	lda, ldb := as[1], bs[1]
	return func() error {
		b.Sgemm(transA, transB, m, n, k, 1, a, lda, bb, ldb, 0, out, n)
		return nil
	}
}

// binaryKernel handles gorgonia's elementwise binary ops between two
// equal-shaped tensors or a tensor and a scalar. Comparisons return 1 or 0
// in the operands' type ("retSame"); a comparison that returns booleans
// falls back.
func binaryKernel(name string, shape tensor.Shape, kids []*G.Node, in [][]float32,
	out []float32) func() error {
	sym, same, ok := strings.Cut(name, " ")
	if !ok {
		return nil
	}
	var f func(x, y float32) float32
	switch sym {
	case "+":
		f = func(x, y float32) float32 { return x + y }
	case "-":
		f = func(x, y float32) float32 { return x - y }
	case "⊙":
		f = func(x, y float32) float32 { return x * y }
	case "÷":
		f = func(x, y float32) float32 { return x / y }
	case "^":
		f = func(x, y float32) float32 { return float32(math.Pow(float64(x), float64(y))) }
	case "<", ">", "<=", ">=", "==", "!=":
		if same != "true" {
			return nil
		}
		f = comparison(sym)
	default:
		return nil
	}
	a, b := in[0], in[1]
	full := func(x []float32) bool { return len(x) == len(out) || len(x) == 1 }
	rows, cols, _ := asMatrix(shape)
	switch {
	case full(a) && full(b):
		switch {
		case sym == "+":
			return addKernel(a, b, out)
		case sym == "⊙":
			return mulKernel(a, b, out)
		case sym == "-" && len(a) == len(out) && len(b) == len(out):
			return subKernel(a, b, out)
		case same == "true" && len(a) == len(out) && len(b) == 1:
			return compareScalarKernel(sym, a, b, out)
		}
		return binaryLoop(a, b, out, f)
	case len(a) == len(out):
		br, bc, ok := broadcastDims(kids[1].Shape(), shape)
		if !ok {
			return nil
		}
		if sym == "+" && br == 1 {
			return addRowKernel(a, b, out, cols)
		}
		return broadcastLoop(a, b, out, rows, cols, rows, cols, br, bc, f)
	case len(b) == len(out):
		ar, ac, ok := broadcastDims(kids[0].Shape(), shape)
		if !ok {
			return nil
		}
		return broadcastLoop(a, b, out, rows, cols, ar, ac, rows, cols, f)
	}
	return nil
}

func subKernel(a, b, out []float32) func() error {
	return func() error {
		vec.Sub(out, a, b)
		return nil
	}
}

// compareScalarKernel compares a tensor with a scalar, giving 1 or 0, as
// the ReLU mask x ≥ 0 that gorgonia derives. Data-dependent branches
// mispredict on activations (half are negative), so the comparison is
// done on the sign of the difference: x ≥ s exactly when x − s ≥ 0 for
// finite x and s (the difference is −0 only when x = −0 and s = +0).
func compareScalarKernel(sym string, a, b, out []float32) func() error {
	var flip bool // compute s − x instead of x − s
	var not bool  // negate the result
	switch sym {
	case ">=":
	case "<=":
		flip = true
	case "<":
		not = true
	case ">":
		flip, not = true, true
	default:
		return nil
	}
	sign, negate := float32(1), uint32(0)
	if flip {
		sign = -1
	}
	if not {
		negate = 1
	}
	if sym == ">=" {
		// The mask of every ReLU: vectorised, and a NaN difference
		// gives 0, as x ≥ s is false for a NaN.
		return func() error {
			vec.GEZeroMask(out, a, b[0])
			return nil
		}
	}
	return func() error {
		s := b[0]
		a := a[:len(out)]
		for i, x := range a {
			// d ≥ 0 (−0 included) without a branch: the sign bit is
			// clear, or every other bit is zero. A NaN gives 0 or 1.
			bits := math.Float32bits(sign * (x - s))
			nonNeg := bits>>31 ^ 1 | uint32((uint64(bits<<1)-1)>>63)
			out[i] = float32(nonNeg ^ negate)
		}
		return nil
	}
}

// addRowKernel adds the row vector b to every row of a, the bias add.
func addRowKernel(a, b, out []float32, cols int) func() error {
	return func() error {
		vec.AddRow(out, a, b[:cols])
		return nil
	}
}

// broadcastLoop applies f to a (ar × ac) and b (br × bc), each dimension
// either the result's or 1.
func broadcastLoop(a, b, out []float32, rows, cols, ar, ac, br, bc int,
	f func(x, y float32) float32) func() error {
	return func() error {
		for r := range rows {
			ra, rb := r*ac, r*bc
			if ar == 1 {
				ra = 0
			}
			if br == 1 {
				rb = 0
			}
			for c := range cols {
				ia, ib := ra+c, rb+c
				if ac == 1 {
					ia = ra
				}
				if bc == 1 {
					ib = rb
				}
				out[r*cols+c] = f(a[ia], b[ib])
			}
		}
		return nil
	}
}

func comparison(sym string) func(x, y float32) float32 {
	b2f := func(c bool) float32 {
		if c {
			return 1
		}
		return 0
	}
	switch sym {
	case "<":
		return func(x, y float32) float32 { return b2f(x < y) }
	case ">":
		return func(x, y float32) float32 { return b2f(x > y) }
	case "<=":
		return func(x, y float32) float32 { return b2f(x <= y) }
	case ">=":
		return func(x, y float32) float32 { return b2f(x >= y) }
	case "==":
		return func(x, y float32) float32 { return b2f(x == y) }
	}
	return func(x, y float32) float32 { return b2f(x != y) }
}

// binaryLoop applies f elementwise, broadcasting a one-element side.
func binaryLoop(a, b, out []float32, f func(x, y float32) float32) func() error {
	return func() error {
		switch {
		case len(a) == len(out) && len(b) == len(out):
			for i := range out {
				out[i] = f(a[i], b[i])
			}
		case len(a) == len(out):
			y := b[0]
			for i := range out {
				out[i] = f(a[i], y)
			}
		case len(b) == len(out):
			x := a[0]
			for i := range out {
				out[i] = f(x, b[i])
			}
		default:
			out[0] = f(a[0], b[0])
		}
		return nil
	}
}

// addKernel and mulKernel are the two hottest elementwise ops. Their
// loops run vectorised, except a scalar added to a tensor, which is rare.
func addKernel(a, b, out []float32) func() error {
	return func() error {
		switch {
		case len(a) == len(out) && len(b) == len(out):
			vec.Add(out, a, b)
		case len(a) == len(out):
			y := b[0]
			for i, x := range a[:len(out)] {
				out[i] = x + y
			}
		default:
			x := a[0]
			for i, y := range b[:len(out)] {
				out[i] = x + y
			}
		}
		return nil
	}
}

func mulKernel(a, b, out []float32) func() error {
	return func() error {
		switch {
		case len(a) == len(out) && len(b) == len(out):
			vec.Mul(out, a, b)
		case len(a) == len(out):
			vec.MulScalar(out, a, b[0])
		default:
			// x·y = y·x exactly, so the scalar may be the right operand.
			vec.MulScalar(out, b, a[0])
		}
		return nil
	}
}

// unaryKernel handles gorgonia's elementwise unary ops by name.
func unaryKernel(name string, x, out []float32) func() error {
	var f func(float32) float32
	f64 := func(g func(float64) float64) func(float32) float32 {
		return func(v float32) float32 { return float32(g(float64(v))) }
	}
	switch name {
	case "abs":
		f = func(v float32) float32 { return float32(math.Abs(float64(v))) }
	case "sign":
		f = func(v float32) float32 {
			switch {
			case v > 0:
				return 1
			case v < 0:
				return -1
			}
			return 0
		}
	case "neg":
		f = func(v float32) float32 { return -v }
	case "square":
		f = func(v float32) float32 { return v * v }
	case "cube":
		f = func(v float32) float32 { return v * v * v }
	case "inv":
		f = func(v float32) float32 { return 1 / v }
	case "sqrt":
		f = f64(math.Sqrt)
	case "invSqrt":
		f = func(v float32) float32 { return float32(1 / math.Sqrt(float64(v))) }
	case "exp":
		f = f64(math.Exp)
	case "ln":
		f = f64(math.Log)
	case "log2":
		f = f64(math.Log2)
	case "log1p":
		f = f64(math.Log1p)
	case "expm1":
		f = f64(math.Expm1)
	case "tanh":
		f = f64(math.Tanh)
	case "sigmoid":
		f = func(v float32) float32 { return float32(1 / (1 + math.Exp(-float64(v)))) }
	case "softplus":
		f = func(v float32) float32 {
			x := float64(v)
			return float32(math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))))
		}
	default:
		return nil
	}
	if len(x) != len(out) {
		return nil
	}
	return func() error {
		for i, v := range x[:len(out)] {
			out[i] = f(v)
		}
		return nil
	}
}

// sumKernel handles "Σ[axes]" over a matrix or vector: every axis gives a
// scalar, [0] sums the rows of a matrix, [1] its columns. Sums accumulate
// in float64.
func sumKernel(name string, shape tensor.Shape, x, out []float32) func() error {
	axes, ok := parseInts(strings.TrimPrefix(name, "Σ"))
	if !ok || len(shape) > 2 {
		return nil
	}
	all := len(axes) == len(shape)
	if all || len(shape) == 1 {
		return func() error {
			var s float64
			for _, v := range x {
				s += float64(v)
			}
			out[0] = float32(s)
			return nil
		}
	}
	rows, cols := shape[0], shape[1]
	switch axes[0] {
	case 0:
		acc := make([]float64, cols)
		return func() error {
			clear(acc)
			vec.SumRowsInto(acc, x, rows, cols)
			for c, v := range acc {
				out[c] = float32(v)
			}
			return nil
		}
	case 1:
		return func() error {
			for r := range rows {
				var s float64
				for _, v := range x[r*cols : (r+1)*cols] {
					s += float64(v)
				}
				out[r] = float32(s)
			}
			return nil
		}
	}
	return nil
}

// parseInts reads "[0 1]".
func parseInts(s string) ([]int, bool) {
	s, ok := strings.CutPrefix(s, "[")
	if !ok {
		return nil, false
	}
	s, ok = strings.CutSuffix(s, "]")
	if !ok {
		return nil, false
	}
	var out []int
	for _, f := range strings.Fields(s) {
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, false
		}
		out = append(out, v)
	}
	return out, len(out) > 0
}

// repeatKernel handles broadcasts: an operand with the output's rank whose
// every dimension equals the output's or is 1 (a scalar counts as all
// ones). Other repeats fall back.
func repeatKernel(from, to tensor.Shape, x, out []float32) func() error {
	fr, fc, ok := broadcastDims(from, to)
	if !ok {
		return nil
	}
	rows, cols, _ := asMatrix(to)
	return func() error {
		for r := range rows {
			dst := out[r*cols : (r+1)*cols]
			src := x
			if fr != 1 {
				src = x[r*fc : (r+1)*fc]
			}
			if fc == 1 {
				v := src[0]
				for c := range dst {
					dst[c] = v
				}
			} else {
				copy(dst, src[:cols])
			}
		}
		return nil
	}
}

// concatKernel joins matrices along columns ("Concat(axis=1)") or rows.
func concatKernel(name string, shape tensor.Shape, kids []*G.Node, in [][]float32,
	out []float32) func() error {
	if len(shape) != 2 {
		return nil
	}
	for _, k := range kids {
		if k.Dims() != 2 {
			return nil
		}
	}
	switch name {
	case "Concat(axis=0)":
		return func() error {
			off := 0
			for _, x := range in {
				off += copy(out[off:], x)
			}
			return nil
		}
	case "Concat(axis=1)":
		rows, cols := shape[0], shape[1]
		widths := make([]int, len(kids))
		for i, k := range kids {
			widths[i] = k.Shape()[1]
		}
		return func() error {
			for r := range rows {
				off := r * cols
				for i, x := range in {
					w := widths[i]
					copy(out[off:off+w], x[r*w:(r+1)*w])
					off += w
				}
			}
			return nil
		}
	}
	return nil
}

// sliceKernel handles a unit-step slice of a matrix along rows or
// columns, and a single row or column taken out as a vector (gorgonia's
// gradient of a one-column Concat part, printed "T[:, 3:4:0...]").
func sliceKernel(op G.Op, name string, from, to tensor.Shape, x, out []float32) func() error {
	s, ok := op.(interface{ IsSlice() tensor.Slice })
	if !ok || s.IsSlice() == nil || len(from) != 2 {
		return nil
	}
	sl := s.IsSlice()
	start, step := sl.Start(), sl.Step()
	rows, cols := from[0], from[1]
	alongCols := strings.HasPrefix(name, "T[:, ")
	var w, h int // the width and height of the block taken
	switch {
	case len(to) == 2 && step == 1:
		h, w = to[0], to[1]
	case len(to) == 1 && sl.End()-start == 1 && alongCols && to[0] == rows:
		h, w = rows, 1
	case len(to) == 1 && sl.End()-start == 1 && !alongCols && to[0] == cols:
		h, w = 1, cols
	default:
		return nil
	}
	switch {
	case alongCols && h == rows: // columns start … start+w
		if w == 1 {
			return func() error {
				for r := range rows {
					out[r] = x[r*cols+start]
				}
				return nil
			}
		}
		return func() error {
			for r := range rows {
				copy(out[r*w:(r+1)*w], x[r*cols+start:r*cols+start+w])
			}
			return nil
		}
	case !strings.HasPrefix(name, "T[:") && w == cols: // rows start … start+h
		return func() error {
			copy(out, x[start*cols:(start+h)*cols])
			return nil
		}
	}
	return nil
}

// minMaxKernel handles gorgonia's MinBetween and MaxBetween of two
// equal-shaped tensors (or scalars), with Go's min and max.
func minMaxKernel(isMin bool, in [][]float32, out []float32) func() error {
	a, b := in[0], in[1]
	if len(a) != len(out) || len(b) != len(out) {
		return nil
	}
	return func() error {
		b := b[:len(out)]
		for i, x := range a[:len(out)] {
			if isMin {
				out[i] = min(x, b[i])
			} else {
				out[i] = max(x, b[i])
			}
		}
		return nil
	}
}
