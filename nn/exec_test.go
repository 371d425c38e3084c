package nn

import (
	"math"
	"math/rand/v2"
	"testing"

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
					NewMLP("q", []int{8, 9, 1}, ReLU, Identity, rng),
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
				wrt = nets[0].Params()
				g := NewGraph()
				in := []*Input{g.Input("x", 6, 5), g.Input("y", 6, 3)}
				copy(in[0].Data, x)
				copy(in[1].Data, y)
				loss, outs := tc.build(g, in, nets)
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
	rng := rand.New(rand.NewPCG(5, 6))
	nets := []*MLP{
		NewMLP("a", []int{5, 8, 7, 3}, ReLU, Tanh, rng),
		NewMLP("q", []int{8, 9, 1}, ReLU, Identity, rng),
	}
	for _, tc := range tapeCases {
		g := NewGraph()
		in := []*Input{g.Input("x", 6, 5), g.Input("y", 6, 3)}
		loss, _ := tc.build(g, in, nets)
		prog, err := g.Compile(loss, nets[0].Params())
		if err != nil {
			t.Fatal(err)
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
	if got := count(actor.Params()); got != 2 {
		t.Errorf("actor step runs %d weight-gradient products, want 2 (the actor's)", got)
	}
	if got := count(append(actor.Params(), critic.Params()...)); got != 4 {
		t.Errorf("joint step runs %d weight-gradient products, want 4", got)
	}
}
