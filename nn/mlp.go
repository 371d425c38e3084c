package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/mat"

	"offrl/nn/internal/vec"
)

// Activation is an elementwise non-linearity applied after a layer.
type Activation int

// The activations an [MLP] can use.
const (
	Identity Activation = iota
	ReLU
	Tanh
)

// String returns the activation's lower-case name.
func (a Activation) String() string {
	switch a {
	case Identity:
		return "identity"
	case ReLU:
		return "relu"
	case Tanh:
		return "tanh"
	}
	return fmt.Sprintf("activation(%d)", int(a))
}

// Linear is a fully connected layer y = x·W + b with W of shape (In, Out).
//
// W is stored as (in, out), the transpose of PyTorch's nn.Linear.weight, so
// that a batch of row vectors multiplies it without a transpose; a PyTorch
// user loading a saved file takes weight.T.
type Linear struct {
	In, Out int
	W, B    *Param
}

// NewLinear returns a layer initialised as PyTorch's nn.Linear default:
// weights and biases from U(−1/√In, 1/√In).
func NewLinear(name string, in, out int, rng *rand.Rand) *Linear {
	l := &Linear{In: in, Out: out,
		W: NewParam(name+".weight", in, out),
		B: NewParam(name+".bias", out),
	}
	bound := 1 / math.Sqrt(float64(in))
	initUniform(l.W.Value, bound, rng)
	initUniform(l.B.Value, bound, rng)
	return l
}

// MLP is a stack of [Linear] layers with Hidden after every layer but the
// last and Output after the last (Tanh for a squashed action head).
type MLP struct {
	Layers []*Linear
	Hidden Activation
	Output Activation
	params Params // Layers' parameters, made by the first Params call
}

// NewMLP builds an MLP with the given layer widths, sizes[0] being the
// input width and sizes[len-1] the output width. Parameter names are
// "<name>.<i>.weight" and "<name>.<i>.bias". It panics if fewer than two
// sizes are given.
func NewMLP(name string, sizes []int, hidden, output Activation, rng *rand.Rand) *MLP {
	if len(sizes) < 2 {
		panic(fmt.Sprintf("nn: NewMLP %s needs at least 2 sizes, got %v", name, sizes))
	}
	m := &MLP{Hidden: hidden, Output: output}
	for i := 0; i+1 < len(sizes); i++ {
		m.Layers = append(m.Layers, NewLinear(fmt.Sprintf("%s.%d", name, i), sizes[i], sizes[i+1], rng))
	}
	m.Params() // made here, so that later calls only read
	return m
}

// In is the input width; Out the output width.
func (m *MLP) In() int  { return m.Layers[0].In }
func (m *MLP) Out() int { return m.Layers[len(m.Layers)-1].Out }

// Params lists the MLP's parameters in layer order, weight before bias.
// The list is made once; its capacity equals its length, so appending to
// it copies rather than writing into the MLP's own list.
func (m *MLP) Params() Params {
	if len(m.params) != 2*len(m.Layers) {
		m.params = nil
		for _, l := range m.Layers {
			m.params = append(m.params, l.W, l.B)
		}
	}
	return m.params[:len(m.params):len(m.params)]
}

// activation returns the activation that follows layer i.
func (m *MLP) activation(i int) Activation {
	if i == len(m.Layers)-1 {
		return m.Output
	}
	return m.Hidden
}

// Apply adds the MLP's forward pass on x (batch × In) to g and returns the
// output node (batch × Out).
func (m *MLP) Apply(g *Graph, x *Node) *Node {
	h := x
	for i, l := range m.Layers {
		h = Add(MatMul(h, g.Param(l.W)), g.Param(l.B))
		h = apply(m.activation(i), h)
	}
	return h
}

func apply(a Activation, x *Node) *Node {
	switch a {
	case ReLU:
		return Relu(x)
	case Tanh:
		return TanhOf(x)
	}
	return x
}

// Forward evaluates an MLP outside any graph, for acting and for target
// networks. It owns its scratch buffers, so one Forward must not be used by
// two goroutines at once; make one per goroutine. It reads the MLP's
// parameters at each call, so it always sees the latest weights.
type Forward struct {
	m     *MLP
	batch int
	bufs  [][]float32
	blas  blas.Float32Level3
}

// NewForward prepares a forward pass of m for up to batch rows.
func (m *MLP) NewForward(batch int) *Forward {
	f := &Forward{m: m, batch: batch, blas: matmul}
	for _, l := range m.Layers {
		f.bufs = append(f.bufs, make([]float32, batch*l.Out))
	}
	return f
}

// Run computes the outputs for rows of x (rows × In, row-major, rows ≤ the
// batch given to NewForward) and returns them (rows × Out). The returned
// slice is reused by the next call. It panics on a size mismatch.
func (f *Forward) Run(x []float32, rows int) []float32 {
	if rows > f.batch || len(x) < rows*f.m.In() {
		panic(fmt.Sprintf("nn: Forward.Run with %d rows and %d inputs, prepared for %d rows of %d",
			rows, len(x), f.batch, f.m.In()))
	}
	in := x[:rows*f.m.In()]
	for i, l := range f.m.Layers {
		out := f.bufs[i][:rows*l.Out]
		for r := 0; r < rows; r++ {
			copy(out[r*l.Out:(r+1)*l.Out], l.B.Value)
		}
		f.blas.Sgemm(blas.NoTrans, blas.NoTrans, rows, l.Out, l.In, 1, in, l.In,
			l.W.Value, l.Out, 1, out, l.Out)
		activateInPlace(f.m.activation(i), out)
		in = out
	}
	return in
}

// ConcatRows writes the rows [x_i, y_i] of two row-major matrices, x of
// width dx and y of width dy, into dst (rows × (dx+dy)): the input of a
// critic Q(s, a) evaluated with [Forward] outside a graph, as [Concat]
// does inside one.
func ConcatRows(dst, x, y []float32, rows, dx, dy int) {
	w := dx + dy
	for i := range rows {
		copy(dst[i*w:i*w+dx], x[i*dx:(i+1)*dx])
		copy(dst[i*w+dx:(i+1)*w], y[i*dy:(i+1)*dy])
	}
}

func activateInPlace(a Activation, v []float32) {
	switch a {
	case ReLU:
		vec.Relu(v, v)
	case Tanh:
		for i, x := range v {
			v[i] = float32(math.Tanh(float64(x)))
		}
	}
}

// InitOrthogonal re-initialises every layer of m as Flax's
// orthogonal(gain) kernel initialiser with zero biases, the convention of
// the JAX reference implementations (IQL): a (In × Out) kernel whose
// columns (or rows, whichever are fewer) are orthonormal, times gain.
func (m *MLP) InitOrthogonal(gain float64, rng *rand.Rand) {
	for _, l := range m.Layers {
		orthogonal(l.W.Value, l.In, l.Out, gain, rng)
		clear(l.B.Value)
	}
}

// orthogonal fills w (rows × cols, row-major) with a scaled orthogonal
// matrix: the Q factor of a Gaussian matrix, its column signs fixed by R's
// diagonal so that the result is uniform over orthogonal matrices.
func orthogonal(w []float32, rows, cols int, gain float64, rng *rand.Rand) {
	tall, short := max(rows, cols), min(rows, cols)
	a := mat.NewDense(tall, short, nil)
	for i := range tall {
		for j := range short {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	var q, r mat.Dense
	qr.QTo(&q)
	qr.RTo(&r)
	for i := range rows {
		for j := range cols {
			ti, tj := i, j
			if rows < cols { // the transpose of a tall factor
				ti, tj = j, i
			}
			v := q.At(ti, tj)
			if r.At(tj, tj) < 0 {
				v = -v
			}
			w[i*cols+j] = float32(gain * v)
		}
	}
}
