package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"offrl/nn/gemm"
)

// lossFn builds a scalar loss of an MLP on graph g.
type lossFn func(g *Graph, m *MLP, x, y *Input) *Node

func mseLoss(g *Graph, m *MLP, x, y *Input) *Node { return MSE(m.Apply(g, x.Node), y.Node) }

// td3bcLikeLoss mixes a detached normaliser with a squared term, the shape
// of the TD3+BC actor loss.
func td3bcLikeLoss(g *Graph, m *MLP, x, y *Input) *Node {
	out := m.Apply(g, x.Node)
	lambda := Div(g.Const(2.5), StopGradient(Mean(Abs(out))))
	return Add(Neg(Mul(lambda, Mean(out))), MSE(out, y.Node))
}

// evalLoss runs the program and returns the loss in float64.
func evalLoss(t *testing.T, p *Program, loss *Node) float64 {
	t.Helper()
	if err := p.Run(); err != nil {
		t.Fatal(err)
	}
	return float64(loss.Scalar())
}

func TestGradientsMatchFiniteDifferences(t *testing.T) {
	tests := []struct {
		name   string
		hidden Activation
		out    Activation
		loss   lossFn
		detach bool
	}{
		{"relu mse", ReLU, Identity, mseLoss, false},
		{"tanh head mse", ReLU, Tanh, mseLoss, false},
		{"tanh hidden mse", Tanh, Identity, mseLoss, false},
		{"detached normaliser", Tanh, Identity, td3bcLikeLoss, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			m := NewMLP("net", []int{3, 5, 2}, tt.hidden, tt.out, rng)
			g := NewGraph()
			x, y := g.Input("x", 4, 3), g.Input("y", 4, 2)
			for i := range x.Data {
				x.Data[i] = float32(rng.NormFloat64())
			}
			for i := range y.Data {
				y.Data[i] = float32(rng.NormFloat64())
			}
			loss := tt.loss(g, m, x, y)
			prog, err := g.Compile(loss, m.Params())
			if err != nil {
				t.Fatal(err)
			}
			defer prog.Close()
			evalLoss(t, prog, loss)
			analytic := map[*Param][]float32{}
			for _, p := range m.Params() {
				analytic[p] = append([]float32(nil), p.Grad...)
			}

			// Central differences in float32 need a large step; the
			// tolerance reflects that, not the gradient's accuracy.
			const h = 1e-2
			for _, p := range m.Params() {
				for i := range p.Value {
					v := p.Value[i]
					p.Value[i] = v + h
					up := evalLoss(t, prog, loss)
					p.Value[i] = v - h
					down := evalLoss(t, prog, loss)
					p.Value[i] = v
					num := (up - down) / (2 * h)
					got := float64(analytic[p][i])
					if tt.detach {
						// Finite differences see the normaliser move; the
						// analytic gradient must not. Check the detached
						// form below instead.
						continue
					}
					if math.Abs(got-num) > 2e-3+2e-2*math.Abs(num) {
						t.Errorf("%s[%d]: analytic %v, numeric %v", p.Name, i, got, num)
					}
				}
			}
		})
	}
}

// With a detached normaliser λ = α/mean|out|, the gradient must equal
// −λ·∂mean(out)/∂θ + ∂mse/∂θ with λ held fixed.
func TestStopGradientHoldsValueFixed(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := NewMLP("net", []int{3, 4, 1}, Tanh, Identity, rng)

	// build returns the program for a given λ; nil means the detached form.
	build := func(fixed *float32) (*Program, *Node) {
		g := NewGraph()
		x, y := g.Input("x", 5, 3), g.Input("y", 5, 1)
		for i := range x.Data {
			x.Data[i] = float32(i%7) / 7
		}
		for i := range y.Data {
			y.Data[i] = float32(i) / 5
		}
		out := m.Apply(g, x.Node)
		meanAbs := Mean(Abs(out))
		lambda := Div(g.Const(2.5), StopGradient(meanAbs))
		if fixed != nil {
			lambda = g.Const(*fixed)
		}
		loss := Add(Neg(Mul(lambda, Mean(out))), MSE(out, y.Node))
		p, err := g.Compile(loss, m.Params())
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Run(); err != nil {
			t.Fatal(err)
		}
		return p, meanAbs
	}

	_, meanAbs := build(nil)
	want := map[*Param][]float32{}
	for _, p := range m.Params() {
		want[p] = append([]float32(nil), p.Grad...)
	}
	lam := 2.5 / meanAbs.Scalar()
	build(&lam)
	for _, p := range m.Params() {
		for i := range p.Grad {
			if d := math.Abs(float64(p.Grad[i] - want[p][i])); d > 1e-5 {
				t.Errorf("%s[%d]: detached %v, fixed-λ %v", p.Name, i, want[p][i], p.Grad[i])
			}
		}
	}
}

func TestProgramSeesInPlaceUpdatesAndDoesNotAccumulate(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m := NewMLP("net", []int{2, 3, 1}, ReLU, Identity, rng)
	g := NewGraph()
	x, y := g.Input("x", 2, 2), g.Input("y", 2, 1)
	copy(x.Data, []float32{0.5, -1, 2, 0.25})
	copy(y.Data, []float32{1, -1})
	loss := MSE(m.Apply(g, x.Node), y.Node)
	p, err := g.Compile(loss, m.Params())
	if err != nil {
		t.Fatal(err)
	}
	first := evalLoss(t, p, loss)
	g1 := append([]float32(nil), m.Layers[0].W.Grad...)
	second := evalLoss(t, p, loss)
	if first != second {
		t.Fatalf("same inputs gave losses %v then %v", first, second)
	}
	for i, v := range m.Layers[0].W.Grad {
		if v != g1[i] {
			t.Fatalf("gradient changed between identical runs at %d: %v then %v (accumulating?)", i, g1[i], v)
		}
	}

	// A parameter written in place must be seen by the next run.
	m.Layers[1].B.Value[0] += 10
	if third := evalLoss(t, p, loss); third == second {
		t.Fatalf("loss %v unchanged after moving the output bias", third)
	}
	// New input values must be seen too.
	y.Data[0] = 100
	if fourth := evalLoss(t, p, loss); fourth < 1000 {
		t.Fatalf("loss %v did not see the new target", fourth)
	}
}

func TestForwardMatchesGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	m := NewMLP("net", []int{4, 16, 16, 3}, ReLU, Tanh, rng)
	g := NewGraph()
	x := g.Input("x", 8, 4)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	out := m.Apply(g, x.Node)
	p, err := g.Compile(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(); err != nil {
		t.Fatal(err)
	}
	got := m.NewForward(8).Run(x.Data, 8)
	for i, v := range out.Value() {
		if math.Abs(float64(v-got[i])) > 1e-5 {
			t.Errorf("output %d: graph %v, Forward %v", i, v, got[i])
		}
	}
	// Fewer rows than prepared reuse the same weights.
	one := m.NewForward(8).Run(x.Data[:4], 1)
	for i := range 3 {
		if math.Abs(float64(one[i]-out.Value()[i])) > 1e-5 {
			t.Errorf("single row output %d: %v, want %v", i, one[i], out.Value()[i])
		}
	}
}

// countingBLAS counts the float32 matrix products that reach it.
type countingBLAS struct {
	gonum.Implementation
	sgemm int
}

func (c *countingBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, cc []float32, ldc int) {
	c.sgemm++
	c.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, cc, ldc)
}

// Both graphs and Forward must run on the BLAS given to UseBLAS, so that a
// faster kernel is one call away.
func TestUseBLASReachesGraphsAndForward(t *testing.T) {
	c := &countingBLAS{}
	UseBLAS(c)
	defer UseBLAS(gemm.Implementation{})

	rng := rand.New(rand.NewPCG(1, 1))
	m := NewMLP("net", []int{4, 8, 2}, ReLU, Identity, rng)
	m.NewForward(3).Run(make([]float32, 12), 3)
	if c.sgemm != 2 {
		t.Fatalf("Forward made %d Sgemm calls through the installed BLAS, want 2", c.sgemm)
	}
	g := NewGraph()
	x, y := g.Input("x", 3, 4), g.Input("y", 3, 2)
	loss := MSE(m.Apply(g, x.Node), y.Node)
	p, err := g.Compile(loss, m.Params())
	if err != nil {
		t.Fatal(err)
	}
	before := c.sgemm
	if err := p.Run(); err != nil {
		t.Fatal(err)
	}
	if c.sgemm == before {
		t.Fatal("a compiled graph made no Sgemm call through the installed BLAS")
	}
}
