package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"offrl/internal/race"

	G "gorgonia.org/gorgonia"
)

// tapeCase builds one graph; it returns the loss and the nodes whose
// values the test compares.
type tapeCase struct {
	name  string
	build func(g *Graph, in []*Input, ps []*MLP) (loss *Node, outs []*Node)
}

// tapeCases cover every op of this package's graph API, forward and
// backward, including broadcasts, slices (the gradient of Concat), the
// detached normaliser and scalar arithmetic gorgonia inserts when it
// differentiates means.
var tapeCases = []tapeCase{
	{"mlp relu tanh mse", func(g *Graph, in []*Input, ps []*MLP) (*Node, []*Node) {
		out := ps[0].Apply(g, in[0].Node)
		return MSE(out, in[1].Node), []*Node{out}
	}},
	{"td3bc actor", func(g *Graph, in []*Input, ps []*MLP) (*Node, []*Node) {
		pi := Scale(ps[0].Apply(g, in[0].Node), 2)
		q := ps[1].Apply(g, Concat(in[0].Node, pi))
		lambda := Div(g.Const(2.5), StopGradient(Mean(Abs(q))))
		bc := MSE(pi, in[1].Node)
		return Add(Neg(Mul(lambda, Mean(q))), bc), []*Node{pi, q, lambda, bc}
	}},
	{"unary ops", func(g *Graph, in []*Input, ps []*MLP) (*Node, []*Node) {
		h := ps[0].Apply(g, in[0].Node) // tanh head: in (−1, 1)
		e := Exp(h)
		l := Log(Add(Square(h), g.Const(0.5)))
		d := Div(Sub(e, l), Add(Abs(h), g.Const(1)))
		m := Mul(d, in[1].Node)
		return Sum(Mul(m, m)), []*Node{e, l, d}
	}},
	{"iql actor: broadcast scale, clamp, row sums", func(g *Graph, in []*Input, ps []*MLP) (*Node, []*Node) {
		mu := ps[0].Apply(g, in[0].Node)
		// A per-column log-std from the critic's bias, clamped so that
		// both sides of the clamp are hit.
		ls := Clamp(Scale(g.Param(ps[1].Layers[0].B), 3), -0.5, 0.4)
		z := Mul(Sub(in[1].Node, mu), Exp(Neg(ls)))
		nll := Add(Scale(Square(z), 0.5), ls)
		return Mean(SumRows(nll)), []*Node{ls, z, nll}
	}},
	{"one-column concat part", func(g *Graph, in []*Input, ps []*MLP) (*Node, []*Node) {
		v := ps[1].Apply(g, Concat(in[0].Node, ps[0].Apply(g, in[0].Node))) // (6, 1)
		return Mean(Square(Concat(in[1].Node, v))), []*Node{v}
	}},
	{"minimum", func(g *Graph, in []*Input, ps []*MLP) (*Node, []*Node) {
		out := ps[0].Apply(g, in[0].Node)
		m := Minimum(out, Square(in[1].Node))
		return Mean(Mul(m, m)), []*Node{m}
	}},
	{"matrix times vector", func(g *Graph, in []*Input, ps []*MLP) (*Node, []*Node) {
		out := ps[0].Apply(g, in[0].Node)             // (6, 3)
		mv := MatMul(out, g.Param(ps[1].Layers[0].B)) // (6)
		return Mean(Square(mv)), []*Node{mv}
	}},
	{"scalar mixing", func(g *Graph, in []*Input, ps []*MLP) (*Node, []*Node) {
		h := ps[0].Apply(g, in[0].Node)
		s := Mean(h)
		t := Sub(g.Const(1), Div(h, Add(Mul(s, s), g.Const(2))))
		return Mean(Mul(t, Sub(t, in[1].Node))), []*Node{s, t}
	}},
}

// TestExecutorMatchesTapeMachine runs each case through this package's
// executor and through gorgonia's tape machine on an identical graph and
// compares every compared value and every gradient.
func TestExecutorMatchesTapeMachine(t *testing.T) {
	for _, tc := range tapeCases {
		t.Run(tc.name, func(t *testing.T) {
			// Each build gets its own identical networks.
			newNets := func() []*MLP {
				rng := rand.New(rand.NewPCG(3, 4))
				return []*MLP{
					NewMLP("a", []int{5, 8, 7, 3}, ReLU, Tanh, rng),
					NewMLP("q", []int{8, 3, 1}, ReLU, Identity, rng),
				}
			}
			rng := rand.New(rand.NewPCG(5, 6))
			x := make([]float32, 6*5)
			y := make([]float32, 6*3)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			for i := range y {
				y[i] = float32(rng.NormFloat64())
			}
			var wrt Params
			build := func() (*Graph, *Node, []*Node) {
				nets := newNets()
				g := NewGraph()
				in := []*Input{g.Input("x", 6, 5), g.Input("y", 6, 3)}
				copy(in[0].Data, x)
				copy(in[1].Data, y)
				loss, outs := tc.build(g, in, nets)
				wrt = usedParams(g, append(nets[0].Params(), nets[1].Layers[0].B))
				return g, loss, outs
			}

			// Reference: gorgonia's own machine, tracing (it otherwise
			// reuses memory in place, so node values read after a run can
			// be clobbered), forward only for the values, then forward and
			// backward for the gradients.
			g, loss, outs := build()
			fwd := G.NewTapeMachine(g.g, G.TraceExec())
			defer fwd.Close()
			if err := fwd.RunAll(); err != nil {
				t.Fatal(err)
			}
			var want [][]float32
			for _, n := range append([]*Node{loss}, outs...) {
				v, err := float32Data(n.n.Value())
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, append([]float32(nil), v...))
			}
			g, loss, _ = build()
			var wrtNodes []*G.Node
			for _, p := range wrt {
				wrtNodes = append(wrtNodes, g.params[p])
			}
			if _, err := G.Grad(loss.n, wrtNodes...); err != nil {
				t.Fatal(err)
			}
			vm := G.NewTapeMachine(g.g, G.BindDualValues(wrtNodes...), G.TraceExec())
			defer vm.Close()
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			var wantGrad [][]float32
			for _, n := range wrtNodes {
				gv, err := n.Grad()
				if err != nil {
					t.Fatal(err)
				}
				d, _ := float32Data(gv)
				wantGrad = append(wantGrad, append([]float32(nil), d...))
			}

			// Ours, with native kernels and with every op through
			// gorgonia's Do, on fresh identical graphs, run twice:
			// gradients must not accumulate across runs.
			for _, native := range []bool{true, false} {
				g2, loss2, outs2 := build()
				prog, err := g2.compile(loss2, wrt, native)
				if err != nil {
					t.Fatal(err)
				}
				for range 2 {
					if err := prog.Run(); err != nil {
						t.Fatal(err)
					}
				}
				for i, n := range append([]*Node{loss2}, outs2...) {
					assertClose(t, "value", i, n.Value(), want[i])
				}
				for i, p := range wrt {
					assertClose(t, "grad "+p.Name, i, p.Grad, wantGrad[i])
				}
			}
		})
	}
}

// usedParams keeps the parameters of ps that g uses.
func usedParams(g *Graph, ps Params) Params {
	var out Params
	for _, p := range ps {
		if _, ok := g.params[p]; ok {
			out = append(out, p)
		}
	}
	return out
}

func assertClose(t *testing.T, what string, idx int, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s %d: %d values, want %d", what, idx, len(got), len(want))
	}
	for j := range got {
		d := math.Abs(float64(got[j] - want[j]))
		if d > 1e-5*(1+math.Abs(float64(want[j]))) || math.IsNaN(float64(got[j])) {
			t.Fatalf("%s %d [%d] = %v, tape machine %v", what, idx, j, got[j], want[j])
		}
	}
}

// TestRunDoesNotAllocate checks the steady state of a compiled update:
// buffers are made at compile time, so a run allocates nothing.
func TestRunDoesNotAllocate(t *testing.T) {
	if race.Enabled {
		t.Skip("-race makes sync.Pool drop items, so pooled scratch is made again")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	nets := []*MLP{
		NewMLP("a", []int{5, 8, 7, 3}, ReLU, Tanh, rng),
		NewMLP("q", []int{8, 3, 1}, ReLU, Identity, rng),
	}
	for _, tc := range tapeCases {
		g := NewGraph()
		in := []*Input{g.Input("x", 6, 5), g.Input("y", 6, 3)}
		loss, _ := tc.build(g, in, nets)
		prog, err := g.Compile(loss, usedParams(g, append(nets[0].Params(), nets[1].Layers[0].B)))
		if err != nil {
			t.Fatal(err)
		}
		if len(prog.plan.fallbacks) > 0 {
			t.Errorf("%s: ops without a kernel: %v", tc.name, prog.plan.fallbacks)
		}
		if n := testing.AllocsPerRun(20, func() { _ = prog.Run() }); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tc.name, n)
		}
	}
}

// TestSkipsGradientsNobodyAsked checks that the backward nodes of
// parameters outside wrt are not run: the actor step's critic weight
// gradients cost as much as the ones it needs.
func TestSkipsGradientsNobodyAsked(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	actor := NewMLP("a", []int{5, 8, 3}, ReLU, Tanh, rng)
	critic := NewMLP("q", []int{8, 9, 1}, ReLU, Identity, rng)
	count := func(wrt Params) int {
		g := NewGraph()
		x := g.Input("x", 4, 5)
		q := critic.Apply(g, Concat(x.Node, actor.Apply(g, x.Node)))
		prog, err := g.Compile(Mean(q), wrt)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, s := range prog.plan.steps {
			if s.name == "Aᵀ × B" { // a weight gradient
				n++
			}
		}
		return n
	}
	relus := 0
	g := NewGraph()
	_ = critic.Apply(g, g.Input("x", 4, 8).Node)
	prog, err := g.Compile(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range prog.plan.steps {
		if s.name == "relu" {
			relus++
		}
	}
	if relus != 1 {
		t.Errorf("%d fused ReLU steps in a one-hidden-layer MLP, want 1", relus)
	}
	if got := count(actor.Params()); got != 2 {
		t.Errorf("actor step runs %d weight-gradient products, want 2 (the actor's)", got)
	}
	if got := count(append(actor.Params(), critic.Params()...)); got != 4 {
		t.Errorf("joint step runs %d weight-gradient products, want 4", got)
	}
}

// TestInitOrthogonal checks WᵀW = gain²·I for a tall kernel and WWᵀ for a
// wide one, and zero biases.
func TestInitOrthogonal(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	m := NewMLP("m", []int{5, 12, 3}, ReLU, Identity, rng)
	m.InitOrthogonal(math.Sqrt2, rng)
	for _, l := range m.Layers {
		small := min(l.In, l.Out)
		for i := range small {
			for j := range small {
				var dot float64
				for k := range max(l.In, l.Out) {
					var x, y float32
					if l.In >= l.Out { // columns orthonormal
						x, y = l.W.Value[k*l.Out+i], l.W.Value[k*l.Out+j]
					} else { // rows orthonormal
						x, y = l.W.Value[i*l.Out+k], l.W.Value[j*l.Out+k]
					}
					dot += float64(x) * float64(y)
				}
				want := 0.0
				if i == j {
					want = 2
				}
				if math.Abs(dot-want) > 1e-5 {
					t.Fatalf("%s: <%d,%d> = %v, want %v", l.W.Name, i, j, dot, want)
				}
			}
		}
		for _, b := range l.B.Value {
			if b != 0 {
				t.Fatalf("%s not zero", l.B.Name)
			}
		}
	}
}

// The branch-free comparisons agree with Go's operators on signed zeros,
// infinities, tiny and ordinary values.
func TestCompareScalarKernel(t *testing.T) {
	inf := float32(math.Inf(1))
	xs := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 1e-38, -1e-38, 1e-45, -1e-45,
		inf, -inf, 3.5, -2.25, 0.5}
	for _, s := range []float32{0, float32(math.Copysign(0, -1)), 0.5, -2.25, 1e-45} {
		for _, sym := range []string{">=", "<=", "<", ">"} {
			out := make([]float32, len(xs))
			run := compareScalarKernel(sym, xs, []float32{s}, out)
			if err := run(); err != nil {
				t.Fatal(err)
			}
			for i, x := range xs {
				var want bool
				switch sym {
				case ">=":
					want = x >= s
				case "<=":
					want = x <= s
				case "<":
					want = x < s
				case ">":
					want = x > s
				}
				if (out[i] == 1) != want || out[i] != 0 && out[i] != 1 {
					t.Errorf("%v %s %v gave %v, want %v", x, sym, s, out[i], want)
				}
			}
		}
	}
}

// Two programs on one graph: node values come from the one that ran last.
func TestTwoProgramsOnOneGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	m := NewMLP("m", []int{3, 4, 1}, ReLU, Identity, rng)
	g := NewGraph()
	x := g.Input("x", 2, 3)
	for i := range x.Data {
		x.Data[i] = float32(i) - 2
	}
	out := m.Apply(g, x.Node)
	loss := Mean(Square(out))
	train, err := g.Compile(loss, m.Params())
	if err != nil {
		t.Fatal(err)
	}
	fwd, err := g.Compile(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]float32(nil), m.NewForward(2).Run(x.Data, 2)...)
	if err := train.Run(); err != nil {
		t.Fatal(err)
	}
	assertClose(t, "after the training program", 0, out.Value(), want)
	m.Layers[1].B.Value[0] += 1 // change the output; only a new run sees it
	if err := fwd.Run(); err != nil {
		t.Fatal(err)
	}
	assertClose(t, "after the forward program", 0, out.Value(),
		[]float32{want[0] + 1, want[1] + 1})
}

// GreaterEqual and Greater give 1 and 0 (NaN gives 0) through a kernel of
// their own, and no gradient: a loss out⊙1[out ≥ y] has the gradient of
// out⊙mask with the mask held fixed.
func TestComparisonsAreMasksWithoutGradient(t *testing.T) {
	g := NewGraph()
	a, b := g.Input("a", 1, 5), g.Input("b", 1, 5)
	copy(a.Data, []float32{1, 2, 3, float32(math.NaN()), -0})
	copy(b.Data, []float32{2, 2, 1, 0, 0})
	ge, gt := GreaterEqual(a.Node, b.Node), Greater(a.Node, b.Node)
	prog, err := g.Compile(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := prog.Run(); err != nil {
		t.Fatal(err)
	}
	if len(prog.plan.fallbacks) > 0 {
		t.Errorf("comparisons without a kernel: %v", prog.plan.fallbacks)
	}
	for _, c := range []struct {
		name      string
		got, want []float32
	}{{"≥", ge.Value(), []float32{0, 1, 1, 0, 1}}, {">", gt.Value(), []float32{0, 0, 1, 0, 0}}} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}

	rng := rand.New(rand.NewPCG(9, 10))
	m := NewMLP("m", []int{3, 6, 1}, Tanh, Identity, rng)
	// grads returns the parameters' gradients and the mask's values.
	grads := func(mask func(g *Graph, out *Node) *Node) ([][]float32, []float32) {
		g := NewGraph()
		x := g.Input("x", 8, 3)
		for i := range x.Data {
			x.Data[i] = float32(math.Sin(float64(i)))
		}
		out := m.Apply(g, x.Node)
		k := mask(g, out)
		prog, err := g.Compile(Mean(Mul(out, k)), m.Params())
		if err != nil {
			t.Fatal(err)
		}
		if err := prog.Run(); err != nil {
			t.Fatal(err)
		}
		var gs [][]float32
		for _, p := range m.Params() {
			gs = append(gs, append([]float32(nil), p.Grad...))
		}
		return gs, append([]float32(nil), k.Value()...)
	}
	got, held := grads(func(g *Graph, out *Node) *Node {
		return GreaterEqual(out, g.Input("zero", 8, 1).Node)
	})
	if slices.Index(held, 0) < 0 || slices.Index(held, 1) < 0 {
		t.Fatalf("mask %v: want both values, to tell a held mask from none", held)
	}
	want, _ := grads(func(g *Graph, out *Node) *Node {
		in := g.Input("mask", 8, 1)
		copy(in.Data, held)
		return in.Node
	})
	for i := range want {
		for j := range want[i] {
			if math.Abs(float64(got[i][j]-want[i][j])) > 1e-6 {
				t.Fatalf("param %d[%d]: gradient %v, with the mask held fixed %v", i, j,
					got[i][j], want[i][j])
			}
		}
	}
}
