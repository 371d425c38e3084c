package vec

import (
	"math/rand/v2"
	"testing"
)

// benchN is the length of the benchmarks: a 256 × 256 layer's activations
// or weights, which fit in L2.
const benchN = 65536

// BenchmarkKernels times every kernel on benchN elements with the assembly
// and with the portable code; bytes/s counts the float32s read and written.
func BenchmarkKernels(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y, z := randSlice(rng, benchN), randSlice(rng, benchN), randSlice(rng, benchN)
	w, d := randSlice(rng, benchN), make([]float32, benchN)
	for i := range w {
		w[i] *= w[i]
	}
	acc := make([]float64, 256)
	kernels := []struct {
		name    string
		streams int // float32 slices read or written
		run     func()
	}{
		{"Add", 3, func() { Add(d, x, y) }},
		{"Sub", 3, func() { Sub(d, x, y) }},
		{"Mul", 3, func() { Mul(d, x, y) }},
		{"MulScalar", 2, func() { MulScalar(d, x, 0.5) }},
		{"AddRow", 2, func() { AddRow(d, x, y[:256]) }},
		{"Relu", 2, func() { Relu(d, x) }},
		{"GEZeroMask", 2, func() { GEZeroMask(d, x, 0) }},
		{"Axpby", 3, func() { Axpby(d, x, 0.005, 0.995) }},
		// Tiny gradients keep the parameters finite however long it runs.
		{"Adam", 7, func() { Adam(d, z, y, w, 0.9, 0.999, 1e-9, 1, 1e-8) }},
		{"SumRowsInto", 1, func() { SumRowsInto(acc, x, benchN/256, 256) }},
	}
	for _, k := range kernels {
		for _, asm := range []bool{true, false} {
			name := k.name + "/go"
			if asm {
				if !useAsm {
					continue
				}
				name = k.name + "/avx2"
			}
			b.Run(name, func(b *testing.B) {
				saved := useAsm
				defer func() { useAsm = saved }()
				useAsm = asm
				b.SetBytes(int64(4 * benchN * k.streams))
				for b.Loop() {
					k.run()
				}
			})
		}
	}
}
