package nn

import (
	"fmt"
	"math"
	"strconv"

	"offrl/nn/internal/vec"
)

// Adam is the Adam optimiser (Kingma & Ba 2015, Algorithm 1) in the form
// PyTorch's torch.optim.Adam computes it, updating parameters in place from
// their Grad:
//
//	m ← β1·m + (1 − β1)·g
//	v ← β2·v + (1 − β2)·g²
//	θ ← θ − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
//
// Its moments and step count are plain fields so that checkpoints can save
// and restore them exactly.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	Params                Params
	M, V                  [][]float32 // first and second moments, one per parameter
	Step                  int64       // t, the number of steps taken
}

// NewAdam returns Adam over ps with PyTorch's defaults β = (0.9, 0.999),
// ε = 1e-8 and the given learning rate.
func NewAdam(ps Params, lr float64) *Adam {
	a := &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Params: ps}
	for _, p := range ps {
		a.M = append(a.M, make([]float32, p.Size()))
		a.V = append(a.V, make([]float32, p.Size()))
	}
	return a
}

// Update takes one step using the parameters' current gradients.
func (a *Adam) Update() {
	a.Step++
	t := float64(a.Step)
	stepSize := float32(a.LR / (1 - math.Pow(a.Beta1, t)))
	sqrtBC2 := float32(math.Sqrt(1 - math.Pow(a.Beta2, t)))
	b1, b2, eps := float32(a.Beta1), float32(a.Beta2), float32(a.Eps)
	for i, p := range a.Params {
		// The kernel rounds every operation as the scalar formula above
		// would, so results (and resumed runs) do not depend on the CPU.
		vec.Adam(p.Value, p.Grad, a.M[i], a.V[i], b1, b2, stepSize, sqrtBC2, eps)
	}
}

// Tensors returns the optimiser's state as tensors named
// "<prefix>.<param>.exp_avg" and "...exp_avg_sq" that share its buffers,
// and its step count as metadata "<prefix>.step".
func (a *Adam) Tensors(prefix string) ([]Tensor, map[string]string) {
	var ts []Tensor
	for i, p := range a.Params {
		ts = append(ts,
			Tensor{Name: prefix + "." + p.Name + ".exp_avg", Shape: p.Shape, Data: a.M[i]},
			Tensor{Name: prefix + "." + p.Name + ".exp_avg_sq", Shape: p.Shape, Data: a.V[i]})
	}
	return ts, map[string]string{prefix + ".step": strconv.FormatInt(a.Step, 10)}
}

// Restore loads state saved by [Adam.Tensors] under the same prefix. A
// missing or misshapen moment or step is an error naming it.
func (a *Adam) Restore(prefix string, ts []Tensor, meta map[string]string) error {
	byName := make(map[string]Tensor, len(ts))
	for _, t := range ts {
		byName[t.Name] = t
	}
	for _, want := range func() []Tensor { w, _ := a.Tensors(prefix); return w }() {
		t, ok := byName[want.Name]
		if !ok {
			return fmt.Errorf("optimiser state %s is missing", want.Name)
		}
		if len(t.Data) != len(want.Data) {
			return fmt.Errorf("optimiser state %s has %d values, want %d", want.Name, len(t.Data), len(want.Data))
		}
		copy(want.Data, t.Data)
	}
	s, ok := meta[prefix+".step"]
	if !ok {
		return fmt.Errorf("optimiser step %s.step is missing", prefix)
	}
	step, err := strconv.ParseInt(s, 10, 64)
	if err != nil || step < 0 {
		return fmt.Errorf("optimiser step %s.step = %q, want a non-negative integer", prefix, s)
	}
	a.Step = step
	return nil
}
