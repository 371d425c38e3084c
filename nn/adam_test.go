package nn

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// Two steps of Adam on one scalar, computed by hand from the update rule.
func TestAdamMatchesHandComputedSteps(t *testing.T) {
	p := NewParam("w", 1)
	p.Value[0] = 1
	opt := NewAdam(Params{p}, 0.1)

	p.Grad[0] = 2
	opt.Update()
	// m = 0.2, v = 0.004; m̂ = 2, v̂ = 4 → θ = 1 − 0.1·2/(2+1e-8).
	want1 := 1 - 0.1*2/(2+1e-8)
	if math.Abs(float64(p.Value[0])-want1) > 1e-6 {
		t.Fatalf("after step 1 θ = %v, want %v", p.Value[0], want1)
	}
	p.Grad[0] = -1
	opt.Update()
	m := 0.9*0.2 + 0.1*-1
	v := 0.999*0.004 + 0.001*1
	mh, vh := m/(1-0.81), v/(1-0.999*0.999)
	want2 := want1 - 0.1*mh/(math.Sqrt(vh)+1e-8)
	if math.Abs(float64(p.Value[0])-want2) > 1e-6 {
		t.Fatalf("after step 2 θ = %v, want %v", p.Value[0], want2)
	}
}

// A small regression problem must fit: y = sin(3x) on [−1, 1].
func TestMLPRegressionConverges(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	m := NewMLP("net", []int{1, 32, 32, 1}, Tanh, Identity, rng)
	g := NewGraph()
	const batch = 64
	x, y := g.Input("x", batch, 1), g.Input("y", batch, 1)
	loss := MSE(m.Apply(g, x.Node), y.Node)
	prog, err := g.Compile(loss, m.Params())
	if err != nil {
		t.Fatal(err)
	}
	opt := NewAdam(m.Params(), 1e-2)
	var last float32
	for step := 0; step < 1500; step++ {
		for i := range batch {
			xi := 2*rng.Float64() - 1
			x.Data[i], y.Data[i] = float32(xi), float32(math.Sin(3*xi))
		}
		if err := prog.Run(); err != nil {
			t.Fatal(err)
		}
		opt.Update()
		last = loss.Scalar()
	}
	// The target's variance is about 0.4; a fitted net is far below it.
	if last > 0.01 {
		t.Fatalf("final MSE %v, want < 0.01", last)
	}
}

func TestSafetensorsRoundTripIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	m := NewMLP("actor", []int{3, 8, 2}, ReLU, Tanh, rng)
	opt := NewAdam(m.Params(), 3e-4)
	for _, p := range m.Params() {
		for i := range p.Grad {
			p.Grad[i] = float32(rng.NormFloat64())
		}
	}
	opt.Update()
	opt.Update()

	path := filepath.Join(t.TempDir(), "model.safetensors")
	ts := ParamTensors(m.Params())
	ots, meta := opt.Tensors("actor_optim")
	if err := SaveSafetensors(path, append(ts, ots...), meta); err != nil {
		t.Fatal(err)
	}

	m2 := NewMLP("actor", []int{3, 8, 2}, ReLU, Tanh, rand.New(rand.NewPCG(99, 99)))
	opt2 := NewAdam(m2.Params(), 3e-4)
	loaded, meta2, err := LoadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := AssignTensors(m2.Params(), loaded); err != nil {
		t.Fatal(err)
	}
	if err := opt2.Restore("actor_optim", loaded, meta2); err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Params() {
		q := m2.Params()[i]
		for j := range p.Value {
			if math.Float32bits(p.Value[j]) != math.Float32bits(q.Value[j]) {
				t.Fatalf("%s[%d] = %v after load, want %v", p.Name, j, q.Value[j], p.Value[j])
			}
		}
		for j := range opt.M[i] {
			if opt.M[i][j] != opt2.M[i][j] || opt.V[i][j] != opt2.V[i][j] {
				t.Fatalf("%s moments differ after load at %d", p.Name, j)
			}
		}
	}
	if opt2.Step != 2 {
		t.Fatalf("restored step %d, want 2", opt2.Step)
	}

	// A missing tensor is an error naming it.
	if err := AssignTensors(NewMLP("critic", []int{3, 8, 1}, ReLU, Identity, rng).Params(), loaded); err == nil {
		t.Fatal("assigning a checkpoint without critic tensors succeeded")
	}
}

func FuzzParseSafetensors(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "seed.safetensors")
	if err := SaveSafetensors(path, []Tensor{{Name: "a", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}},
		map[string]string{"k": "v"}); err != nil {
		f.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add([]byte{})
	f.Add([]byte("\x08\x00\x00\x00\x00\x00\x00\x00{}      "))
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, _, err := ParseSafetensors(data)
		if err != nil {
			return
		}
		for _, tt := range ts {
			if shapeSize(tt.Shape) != len(tt.Data) {
				t.Fatalf("accepted tensor %s with shape %v and %d values", tt.Name, tt.Shape, len(tt.Data))
			}
		}
	})
}
