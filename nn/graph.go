package nn

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Graph is a computation built once and run many times: inputs are fixed
// size buffers that the caller refills before each run, parameters are
// bound to [Param] values in place, and a [Program] compiled from a loss
// derives the gradients with gorgonia's symbolic differentiation.
//
// A Graph and its Programs are not safe for concurrent use.
type Graph struct {
	g      *G.ExprGraph
	params map[*Param]*G.Node
	order  []*Param              // params in the order they were first used
	vals   map[*G.Node][]float32 // node values, set by the last Compile
	// visible holds the nodes handed out as *Node: a program computes
	// these whether or not its loss needs them, so that Value can read
	// them; gorgonia's own intermediate nodes run only when needed.
	visible []*G.Node
}

// Node is a value in a [Graph]. Operations on nodes panic on a shape
// mismatch: graphs are built by code, not from user input, so a mismatch
// is a programming error.
type Node struct {
	g *Graph
	n *G.Node
}

// Input is a node whose value the caller writes before each run.
type Input struct {
	*Node
	// Data is the input's row-major backing store; write it in place.
	Data []float32
}

// NewGraph returns an empty graph.
func NewGraph() *Graph {
	return &Graph{g: G.NewGraph(), params: map[*Param]*G.Node{}}
}

// Input adds a rows × cols float32 input named name.
func (g *Graph) Input(name string, rows, cols int) *Input {
	data := make([]float32, rows*cols)
	t := tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(data))
	n := G.NewMatrix(g.g, tensor.Float32, G.WithShape(rows, cols), G.WithName(name), G.WithValue(t))
	return &Input{Node: &Node{g: g, n: n}, Data: data}
}

// Param returns the node bound to p in g, creating it on first use, so a
// parameter used twice in one graph is one node.
func (g *Graph) Param(p *Param) *Node {
	if n, ok := g.params[p]; ok {
		return &Node{g: g, n: n}
	}
	t := tensor.New(tensor.WithShape(p.Shape...), tensor.WithBacking(p.Value))
	opts := []G.NodeConsOpt{G.WithShape(p.Shape...), G.WithName(p.Name), G.WithValue(t)}
	var n *G.Node
	switch len(p.Shape) {
	case 1:
		n = G.NewVector(g.g, tensor.Float32, opts...)
	case 2:
		n = G.NewMatrix(g.g, tensor.Float32, opts...)
	default:
		n = G.NewTensor(g.g, tensor.Float32, len(p.Shape), opts...)
	}
	g.params[p] = n
	g.order = append(g.order, p)
	return &Node{g: g, n: n}
}

// Const returns a float32 scalar constant.
func (g *Graph) Const(v float32) *Node {
	return &Node{g: g, n: G.NewConstant(v)}
}

// Shape returns the node's shape.
func (x *Node) Shape() []int { return []int(x.n.Shape()) }

// Value returns the node's value after a run as a flat float32 slice. The
// slice belongs to the graph and changes with the next run.
func (x *Node) Value() []float32 {
	if v, ok := x.g.vals[x.n]; ok {
		return v
	}
	v := x.n.Value() // an input or parameter of a graph not compiled yet
	if v == nil {
		return nil
	}
	if s, ok := v.Data().(float32); ok {
		return []float32{s}
	}
	return v.Data().([]float32)
}

// Scalar returns the value of a scalar node after a run.
func (x *Node) Scalar() float32 {
	v := x.Value()
	if len(v) != 1 {
		panic(fmt.Sprintf("nn: Scalar of a node with %d values", len(v)))
	}
	return v[0]
}

func wrap(ref *Node, n *G.Node, err error) *Node {
	if err != nil {
		panic(fmt.Sprintf("nn: building graph: %v", err))
	}
	ref.g.visible = append(ref.g.visible, n)
	return &Node{g: ref.g, n: n}
}

// MatMul is the matrix product a·b.
func MatMul(a, b *Node) *Node { n, err := G.Mul(a.n, b.n); return wrap(a, n, err) }

// Add adds b to a elementwise; a (rows × cols) plus a vector b (cols) adds b
// to every row, as a bias.
func Add(a, b *Node) *Node {
	if len(a.Shape()) == 2 && len(b.Shape()) == 1 {
		n, err := G.BroadcastAdd(a.n, b.n, nil, []byte{0})
		return wrap(a, n, err)
	}
	n, err := G.Add(a.n, b.n)
	return wrap(a, n, err)
}

// Sub is a − b elementwise (either may be a scalar).
func Sub(a, b *Node) *Node { n, err := G.Sub(a.n, b.n); return wrap(a, n, err) }

// Mul is the elementwise (Hadamard) product; either side may be a scalar,
// and a (rows × cols) times a vector b (cols) scales every row by b.
func Mul(a, b *Node) *Node {
	if a.n.IsScalar() || b.n.IsScalar() {
		n, err := G.Mul(a.n, b.n)
		return wrap(a, n, err)
	}
	if len(a.Shape()) == 2 && len(b.Shape()) == 1 {
		n, err := G.BroadcastHadamardProd(a.n, b.n, nil, []byte{0})
		return wrap(a, n, err)
	}
	n, err := G.HadamardProd(a.n, b.n)
	return wrap(a, n, err)
}

// Div is a / b elementwise; either side may be a scalar.
func Div(a, b *Node) *Node { n, err := G.Div(a.n, b.n); return wrap(a, n, err) }

// Scale multiplies x by the constant c.
func Scale(x *Node, c float32) *Node { return Mul(x, x.g.Const(c)) }

// Neg is −x.
func Neg(x *Node) *Node { n, err := G.Neg(x.n); return wrap(x, n, err) }

// Square is x² elementwise.
func Square(x *Node) *Node { n, err := G.Square(x.n); return wrap(x, n, err) }

// Abs is |x| elementwise.
func Abs(x *Node) *Node { n, err := G.Abs(x.n); return wrap(x, n, err) }

// Exp is eˣ elementwise.
func Exp(x *Node) *Node { n, err := G.Exp(x.n); return wrap(x, n, err) }

// Log is the natural logarithm elementwise.
func Log(x *Node) *Node { n, err := G.Log(x.n); return wrap(x, n, err) }

// Relu is max(x, 0) elementwise.
func Relu(x *Node) *Node { n, err := G.Rectify(x.n); return wrap(x, n, err) }

// TanhOf is tanh(x) elementwise.
func TanhOf(x *Node) *Node { n, err := G.Tanh(x.n); return wrap(x, n, err) }

// Minimum is min(a, b) elementwise.
func Minimum(a, b *Node) *Node { n, err := G.MinBetween(a.n, b.n); return wrap(a, n, err) }

// Mean averages every element of x into a scalar.
func Mean(x *Node) *Node { n, err := G.Mean(x.n); return wrap(x, n, err) }

// Sum adds every element of x into a scalar.
func Sum(x *Node) *Node { n, err := G.Sum(x.n); return wrap(x, n, err) }

// Concat joins matrices side by side (along columns), as torch.cat(dim=1).
func Concat(xs ...*Node) *Node {
	ns := make([]*G.Node, len(xs))
	for i, x := range xs {
		ns[i] = x.n
	}
	n, err := G.Concat(1, ns...)
	return wrap(xs[0], n, err)
}

// Clamp limits x to [lo, hi] elementwise, with gradient 1 inside and 0
// outside, as torch.clamp and jnp.clip: x − relu(x − hi) + relu(lo − x).
func Clamp(x *Node, lo, hi float32) *Node {
	g := x.g
	above := Relu(Sub(x, g.Const(hi)))
	below := Relu(Sub(g.Const(lo), x))
	return Add(Sub(x, above), below)
}

// SumRows adds the columns of each row of a matrix: (rows × cols) gives a
// vector of rows sums.
func SumRows(x *Node) *Node { n, err := G.Sum(x.n, 1); return wrap(x, n, err) }

// GreaterEqual is 1 where a ≥ b and 0 elsewhere (NaN gives 0),
// elementwise on equal shapes, with no gradient: PyTorch's
// (a >= b).float().
func GreaterEqual(a, b *Node) *Node {
	n, err := G.Gte(a.n, b.n, true)
	return StopGradient(wrap(a, n, err))
}

// Greater is 1 where a > b and 0 elsewhere (NaN gives 0), elementwise on
// equal shapes, with no gradient: PyTorch's (a > b).float().
func Greater(a, b *Node) *Node {
	n, err := G.Gt(a.n, b.n, true)
	return StopGradient(wrap(a, n, err))
}

// MSE is the mean over all elements of (a − b)².
func MSE(a, b *Node) *Node { return Mean(Square(Sub(a, b))) }

// StopGradient passes x through unchanged in the forward pass and blocks
// gradients from flowing back into x, as PyTorch's detach().
func StopGradient(x *Node) *Node {
	n, err := G.ApplyOp(stopGradientOp{}, x.n)
	return wrap(x, n, err)
}

// stopGradientOp is the identity with no derivative.
type stopGradientOp struct{}

func (stopGradientOp) Arity() int { return 1 }
func (stopGradientOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}
func (stopGradientOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}
func (stopGradientOp) Do(in ...G.Value) (G.Value, error) { return G.CloneValue(in[0]) }
func (stopGradientOp) ReturnsPtr() bool                  { return false }
func (stopGradientOp) CallsExtern() bool                 { return false }
func (stopGradientOp) OverwritesInput() int              { return -1 }
func (stopGradientOp) WriteHash(h hash.Hash)             { fmt.Fprint(h, "stop_gradient") }
func (op stopGradientOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (stopGradientOp) String() string     { return "StopGradient" }
func (stopGradientOp) DiffWRT(int) []bool { return []bool{false} }
func (stopGradientOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("nn: StopGradient has no derivative")
}
