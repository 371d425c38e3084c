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

// This file executes a gorgonia expression graph, after gorgonia has
// derived its gradients, with the toolkit's own kernels instead of
// gorgonia's tape machine.
//
// Why: the tape machine allocates a fresh tensor for most results on every
// run (about 8,000 allocations and 10–30 MB per TD3+BC update), computes
// every gradient on the path from the loss even when nobody asked for it
// (a critic's weight gradients inside the actor step, say), and
// materialises broadcasts. Here every node's value lives in a buffer made
// once at compile time; a run is a fixed list of kernel calls over those
// buffers, so it allocates nothing; and only the nodes that the caller can
// read (the forward graph) or that lead to a requested gradient are run.
//
// gorgonia stays the autodiff core: the backward graph is exactly the one
// its symbolic differentiation built. An op this file has no kernel for
// runs through the op's own Do, which is correct but allocates; the tests
// compare every kernel against the tape machine.

// plan is a compiled, allocation-free schedule for one program.
type plan struct {
	steps []step
	// vals maps each scheduled node to the buffer that holds its value
	// (row-major; a scalar has one element).
	vals map[*G.Node][]float32
	// fallbacks names the nodes that run through gorgonia's Do.
	fallbacks []string
}

// step is one kernel call; name is the op and shape its result's, for
// error messages and Program.Steps.
type step struct {
	name, shape string
	run         func() error
}

// run executes every step in order.
func (p *plan) run() error {
	for i := range p.steps {
		if err := p.steps[i].run(); err != nil {
			return fmt.Errorf("%s: %w", p.steps[i].name, err)
		}
	}
	return nil
}

// newPlan schedules the nodes of g that are needed to compute keep (and
// everything they depend on), in creation order, which is a topological
// order because a node is always made after its operands.
func newPlan(g *G.ExprGraph, keep []*G.Node, b blas.Float32Level3, native bool) (*plan, error) {
	// deps are the nodes whose buffers n's kernel reads: its operands,
	// except that a broadcast (repeat) operand of an elementwise op is
	// read at its source, so the repeated copy is never made.
	deps := func(n *G.Node) []*G.Node {
		kids := children(g, n)
		if native {
			for i, c := range kids {
				if src := broadcastSource(g, n, c); src != nil {
					kids[i] = src
				}
			}
		}
		return kids
	}
	needed := map[*G.Node]bool{}
	var mark func(n *G.Node)
	mark = func(n *G.Node) {
		if needed[n] {
			return
		}
		needed[n] = true
		for _, c := range deps(n) {
			mark(c)
		}
	}
	for _, n := range keep {
		mark(n)
	}
	var order []*G.Node
	for _, n := range g.AllNodes() {
		if needed[n] {
			order = append(order, n)
		}
	}
	// Operands are made before their users; check it rather than trust it.
	pos := make(map[*G.Node]int, len(order))
	for i, n := range order {
		pos[n] = i
		for _, c := range deps(n) {
			if j, ok := pos[c]; !ok || j >= i {
				return nil, fmt.Errorf("node %v is scheduled before its operand %v", n, c)
			}
		}
	}

	p := &plan{vals: make(map[*G.Node][]float32, len(order))}
	for _, n := range order {
		if err := p.add(g, n, deps(n), b, native); err != nil {
			return nil, fmt.Errorf("compiling node %v (%v): %w", n.Name(), n.Op(), err)
		}
	}
	return p, nil
}

// broadcastSource returns the operand that a repeat node c broadcasts when
// c feeds an elementwise arithmetic op n on a matrix, or nil: a bias row
// added to every row of a batch, or a per-row scale.
func broadcastSource(g *G.ExprGraph, n, c *G.Node) *G.Node {
	if n.Op() == nil || c.Op() == nil || !isType(n.Op(), "elemBinOp") ||
		!isType(c.Op(), "repeatOp") || len(n.Shape()) != 2 {
		return nil
	}
	sym, _, _ := strings.Cut(n.Op().String(), " ")
	switch sym {
	case "+", "-", "⊙", "÷":
	default:
		return nil
	}
	// The other operand must be full-sized: binaryKernel broadcasts one
	// side only.
	kids := children(g, n)
	if kids[0] == kids[1] {
		return nil
	}
	for _, o := range kids {
		if o != c && !o.Shape().Eq(n.Shape()) {
			return nil
		}
	}
	src := children(g, c)[0]
	if _, _, ok := broadcastDims(src.Shape(), c.Shape()); !ok {
		return nil
	}
	return src
}

// broadcastDims returns the rows and columns of a broadcast operand of
// shape from for a result of shape to: each is to's or 1.
func broadcastDims(from, to tensor.Shape) (fr, fc int, ok bool) {
	rows, cols, ok := asMatrix(to)
	if !ok {
		return 0, 0, false
	}
	if fr, fc, ok = asMatrix(from); !ok {
		return 0, 0, false
	}
	if fr != 1 && fr != rows || fc != 1 && fc != cols {
		return 0, 0, false
	}
	return fr, fc, true
}

// asMatrix views a scalar as 1 × 1, a vector of n as 1 × n and a matrix as
// itself; higher ranks are not handled.
func asMatrix(s tensor.Shape) (rows, cols int, ok bool) {
	switch {
	case size(s) == 1:
		return 1, 1, true
	case len(s) == 1:
		return 1, s[0], true
	case len(s) == 2:
		return s[0], s[1], true
	}
	return 0, 0, false
}

func isType(op G.Op, suffix string) bool {
	return strings.HasSuffix(fmt.Sprintf("%T", op), suffix)
}

// children lists n's operands in order.
func children(g *G.ExprGraph, n *G.Node) []*G.Node {
	it := g.From(n.ID())
	out := make([]*G.Node, 0, it.Len())
	for it.Next() {
		out = append(out, it.Node().(*G.Node))
	}
	return out
}

// size is the number of elements of a shape; a scalar has one.
func size(s tensor.Shape) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// add compiles node n into a buffer and, unless n is a leaf or an alias,
// a step.
func (p *plan) add(g *G.ExprGraph, n *G.Node, kids []*G.Node, b blas.Float32Level3,
	native bool) error {
	if n.Dtype() != tensor.Float32 {
		return fmt.Errorf("dtype %v, only float32 graphs are supported", n.Dtype())
	}
	op := n.Op()
	if op == nil { // an input or a parameter: its bound value is the buffer
		data, err := float32Data(n.Value())
		if err != nil {
			return err
		}
		p.vals[n] = data
		return nil
	}
	in := make([][]float32, len(kids))
	for i, c := range kids {
		in[i] = p.vals[c]
	}
	shape := n.Shape()
	name := op.String()

	switch opType := fmt.Sprintf("%T", op); {
	case strings.HasSuffix(opType, "constantScalar"), strings.HasSuffix(opType, "constantTensor"):
		v, err := op.Do()
		if err != nil {
			return err
		}
		data, err := float32Data(v)
		if err != nil {
			return err
		}
		p.vals[n] = append([]float32(nil), data...)
		return nil

	case strings.HasSuffix(opType, "reshapeOp"), isStopGradient(op):
		// Same elements, new shape (or no gradient): share the buffer.
		p.vals[n] = in[0]
		return nil

	case strings.HasSuffix(opType, "sizeOp"):
		v, err := sizeValue(name, kids[0].Shape())
		if err != nil {
			return err
		}
		p.vals[n] = []float32{v}
		return nil
	}

	out := make([]float32, size(shape))
	p.vals[n] = out
	var run func() error
	if native {
		if x := p.reluInput(g, n, kids); x != nil {
			run, name = reluKernel(x, out), "relu"
		} else {
			run = kernel(op, name, shape, kids, in, out, b)
		}
	}
	if run == nil {
		run = fallback(op, kids, in, out)
		shapes := make([]string, len(kids))
		for i, k := range kids {
			shapes[i] = fmt.Sprint(k.Shape())
		}
		p.fallbacks = append(p.fallbacks, fmt.Sprintf("%s%v of %s", name, shape,
			strings.Join(shapes, ", ")))
	}
	p.steps = append(p.steps, step{name: name, shape: fmt.Sprint(shape), run: run})
	return nil
}

func isStopGradient(op G.Op) bool { _, ok := op.(stopGradientOp); return ok }

// reluInput recognises gorgonia's ReLU, x ⊙ (x ≥ 0), and returns x's
// buffer, or nil. The mask stays a node of its own: the backward pass
// multiplies gradients by it.
func (p *plan) reluInput(g *G.ExprGraph, n *G.Node, kids []*G.Node) []float32 {
	if n.Op().String() != "⊙ false" || len(kids) != 2 || kids[1].Op() == nil ||
		kids[1].Op().String() != ">= true" {
		return nil
	}
	mk := children(g, kids[1])
	if len(mk) != 2 || mk[0] != kids[0] || !mk[1].IsScalar() || mk[1].Op() == nil ||
		!isType(mk[1].Op(), "constantScalar") {
		return nil
	}
	if zero, ok := p.vals[mk[1]]; !ok || zero[0] != 0 {
		return nil
	}
	return p.vals[kids[0]]
}

// reluKernel writes max(x, 0): one pass over x instead of a pass over x
// and its mask. (x ⊙ mask gives −0 where max gives +0; no later op can
// tell them apart but a division by the result.)
func reluKernel(x, out []float32) func() error {
	return func() error {
		vec.Relu(out, x)
		return nil
	}
}

// float32Data returns a value's elements; a scalar gives one.
func float32Data(v G.Value) ([]float32, error) {
	if v == nil {
		return nil, fmt.Errorf("node has no value bound")
	}
	switch d := v.Data().(type) {
	case []float32:
		return d, nil
	case float32:
		return []float32{d}, nil
	}
	return nil, fmt.Errorf("value of type %T, want float32", v.Data())
}

// sizeValue evaluates gorgonia's size op, printed "SizeOf=n" when the
// size was known at build time or "SizeOf(axis)" when it is read off the
// operand's shape.
func sizeValue(name string, of tensor.Shape) (float32, error) {
	if v, ok := strings.CutPrefix(name, "SizeOf="); ok {
		n, err := strconv.Atoi(v)
		return float32(n), err
	}
	if v, ok := strings.CutPrefix(name, "SizeOf("); ok {
		axis, err := strconv.Atoi(strings.TrimSuffix(v, ")"))
		if err != nil || axis < 0 || axis >= len(of) {
			return 0, fmt.Errorf("size op %q on shape %v", name, of)
		}
		return float32(of[axis]), nil
	}
	return 0, fmt.Errorf("unknown size op %q", name)
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

// fallback runs op through gorgonia's own Do on views of the operand
// buffers and copies the result. It allocates; it exists so that any op a
// graph may hold is executed correctly.
func fallback(op G.Op, kids []*G.Node, in [][]float32, out []float32) func() error {
	vals := make([]G.Value, len(kids))
	return func() error {
		// Fresh headers each run: some ops reshape their operands in place.
		for i, k := range kids {
			if k.IsScalar() {
				v := G.F32(in[i][0])
				vals[i] = &v
				continue
			}
			vals[i] = tensor.New(tensor.WithShape(k.Shape()...), tensor.WithBacking(in[i]))
		}
		v, err := op.Do(vals...)
		if err != nil {
			return err
		}
		data, err := float32Data(v)
		if err != nil {
			return err
		}
		if len(data) != len(out) {
			return fmt.Errorf("op gave %d values, want %d", len(data), len(out))
		}
		copy(out, data)
		return nil
	}
}
