package nn

import (
	"fmt"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
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
