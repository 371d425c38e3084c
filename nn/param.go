package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"offrl/nn/internal/vec"
)

// Param is one trainable tensor: its values, its gradient and its shape.
// Value and Grad are flat, row-major and owned by the Param; graphs built
// with [Graph.Param] read Value in place, so an optimiser step that writes
// Value is seen by every graph without copying.
type Param struct {
	Name  string
	Shape []int
	Value []float32
	Grad  []float32
}

// NewParam returns a zero-valued parameter of the given shape.
func NewParam(name string, shape ...int) *Param {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return &Param{
		Name:  name,
		Shape: append([]int(nil), shape...),
		Value: make([]float32, n),
		Grad:  make([]float32, n),
	}
}

// Size is the number of scalars in p.
func (p *Param) Size() int { return len(p.Value) }

// ZeroGrad sets every gradient entry to zero.
func (p *Param) ZeroGrad() { clear(p.Grad) }

// Params is an ordered set of parameters. Order matters: it fixes the
// layout of optimiser state and of saved files.
type Params []*Param

// Size is the total number of scalars.
func (ps Params) Size() int {
	n := 0
	for _, p := range ps {
		n += p.Size()
	}
	return n
}

// CopyFrom overwrites the values of ps with those of src. It returns an
// error naming the first parameter whose shape differs.
func (ps Params) CopyFrom(src Params) error {
	if len(ps) != len(src) {
		return fmt.Errorf("copying parameters: %d tensors, source has %d", len(ps), len(src))
	}
	for i, p := range ps {
		if len(p.Value) != len(src[i].Value) {
			return fmt.Errorf("copying parameter %s: %d values, source %s has %d",
				p.Name, len(p.Value), src[i].Name, len(src[i].Value))
		}
		copy(p.Value, src[i].Value)
	}
	return nil
}

// SoftUpdate moves each target parameter a fraction tau towards its source
// (Polyak averaging, as in DDPG and TD3):
//
//	θ' ← τ·θ + (1 − τ)·θ'
//
// It panics if the two sets differ in layout, which only a programming
// error can cause.
func SoftUpdate(target, source Params, tau float32) {
	if len(target) != len(source) {
		panic(fmt.Sprintf("nn: SoftUpdate of %d tensors from %d", len(target), len(source)))
	}
	for i, t := range target {
		s := source[i].Value
		if len(s) != len(t.Value) {
			panic(fmt.Sprintf("nn: SoftUpdate %s: %d values from %d", t.Name, len(t.Value), len(s)))
		}
		vec.Axpby(t.Value, s, tau, 1-tau)
	}
}

// AllFinite reports whether every value of ps is finite, and names the
// first parameter that is not.
func (ps Params) AllFinite() (bool, string) {
	for _, p := range ps {
		for _, v := range p.Value {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return false, p.Name
			}
		}
	}
	return true, ""
}

// initUniform fills v from U(−bound, bound).
func initUniform(v []float32, bound float64, rng *rand.Rand) {
	for i := range v {
		v[i] = float32((2*rng.Float64() - 1) * bound)
	}
}
