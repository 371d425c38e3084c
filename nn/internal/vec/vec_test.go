package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// lengths covers every tail length, the unrolled-loop boundaries and sizes
// far beyond the caches' lines.
func lengths() []int {
	var ns []int
	for n := range 101 {
		ns = append(ns, n)
	}
	return append(ns, 255, 256, 257, 750*256, 65536+13)
}

// randSlice returns n values from N(0, 1), with a sprinkling of zeros of
// both signs (the edge cases of ReLU and its mask) and values equal to 0.5.
func randSlice(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		switch rng.IntN(16) {
		case 0:
			x[i] = 0
		case 1:
			x[i] = float32(math.Copysign(0, -1))
		case 2:
			x[i] = 0.5
		default:
			x[i] = float32(rng.NormFloat64())
		}
	}
	return x
}

// both runs f with the assembly (where this machine has it) and with the
// portable code, and returns the two results.
func both[T any](f func() T) (asm, port T) {
	saved := useAsm
	defer func() { useAsm = saved }()
	asm = f()
	useAsm = false
	port = f()
	return asm, port
}

// sameBits reports the first index where a and b differ in bits, or −1.
func sameBits(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

func TestHasAsm(t *testing.T) {
	if !useAsm {
		t.Log("no AVX2+FMA: only the portable code is tested")
	}
}

// TestBinary checks Add, Sub, Mul, MulScalar, Relu, GEZeroMask, Axpby
// and AddRow bit for bit against the portable code and against the
// plain Go expression of each.
func TestBinary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := float32(0.5)
	type op struct {
		name string
		run  func(dst, a, b []float32)
		want func(a, b, dst float32) float32
	}
	ops := []op{
		{"Add", Add, func(a, b, _ float32) float32 { return a + b }},
		{"Sub", Sub, func(a, b, _ float32) float32 { return a - b }},
		{"Mul", Mul, func(a, b, _ float32) float32 { return a * b }},
		{"MulScalar", func(d, a, _ []float32) { MulScalar(d, a, s) },
			func(a, _, _ float32) float32 { return a * s }},
		{"Relu", func(d, a, _ []float32) { Relu(d, a) },
			func(a, _, _ float32) float32 { return max(a, 0) }},
		{"GEZeroMask", func(d, a, _ []float32) { GEZeroMask(d, a, s) },
			func(a, _, _ float32) float32 {
				if a-s >= 0 {
					return 1
				}
				return 0
			}},
		{"Axpby", func(d, a, _ []float32) { Axpby(d, a, 0.005, 0.995) },
			func(a, _, d float32) float32 { return 0.005*a + 0.995*d }},
	}
	for _, o := range ops {
		for _, n := range lengths() {
			a, b, d0 := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
			run := func() []float32 {
				d := append([]float32(nil), d0...)
				o.run(d, a, b)
				return d
			}
			got, port := both(run)
			if i := sameBits(got, port); i >= 0 {
				t.Fatalf("%s n=%d: [%d] asm %v, Go %v", o.name, n, i, got[i], port[i])
			}
			for i := range port {
				if w := o.want(a[i], b[i], d0[i]); math.Float32bits(w) !=
					math.Float32bits(port[i]) {
					t.Fatalf("%s n=%d: [%d] = %v, want %v", o.name, n, i, port[i], w)
				}
			}
		}
	}
}

// TestInPlace checks that a destination may be a source.
func TestInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a, b := randSlice(rng, 1003), randSlice(rng, 1003)
	want := make([]float32, len(a))
	addGo(want, a, b)
	Add(a, a, b)
	if i := sameBits(a, want); i >= 0 {
		t.Fatalf("in-place Add: [%d] = %v, want %v", i, a[i], want[i])
	}
}

func TestAddRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, cols := range []int{1, 7, 8, 9, 33, 256, 750} {
		for _, rows := range []int{0, 1, 3, 256} {
			a, row := randSlice(rng, rows*cols), randSlice(rng, cols)
			got, port := both(func() []float32 {
				d := make([]float32, rows*cols)
				AddRow(d, a, row)
				return d
			})
			if i := sameBits(got, port); i >= 0 {
				t.Fatalf("%d×%d: [%d] asm %v, Go %v", rows, cols, i, got[i], port[i])
			}
			for i, v := range port {
				if w := a[i] + row[i%cols]; v != w {
					t.Fatalf("%d×%d: [%d] = %v, want %v", rows, cols, i, v, w)
				}
			}
		}
	}
}

// TestSpecialValues pins the NaN, infinity and signed-zero behaviour of
// Relu and GEZeroMask on both paths.
func TestSpecialValues(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	negZero := float32(math.Copysign(0, -1))
	x := []float32{nan, -nan, inf, -inf, negZero, 0, 1, -1, 1e-45, -1e-45, 3, -3, 0, 0, 0, 0}
	relu, reluGo := both(func() []float32 { d := make([]float32, len(x)); Relu(d, x); return d })
	mask, maskGo := both(func() []float32 {
		d := make([]float32, len(x))
		GEZeroMask(d, x, 0)
		return d
	})
	for i, v := range x {
		w := max(v, 0)
		for _, r := range []float32{relu[i], reluGo[i]} {
			if math.IsNaN(float64(w)) != math.IsNaN(float64(r)) ||
				!math.IsNaN(float64(w)) && math.Float32bits(w) != math.Float32bits(r) {
				t.Errorf("Relu(%v) = %v, want %v", v, r, w)
			}
		}
		wm := float32(0)
		if v >= 0 {
			wm = 1
		}
		if mask[i] != wm || maskGo[i] != wm {
			t.Errorf("GEZeroMask(%v) = %v (asm), %v (Go), want %v", v, mask[i], maskGo[i], wm)
		}
	}
}

// adamRef is nn.Adam.Update's loop as it was written before this package.
func adamRef(p, g, m, v []float32, b1, b2, stepSize, sqrtBC2, eps float32) {
	for j, g := range g {
		m[j] = b1*m[j] + (1-b1)*g
		v[j] = b2*v[j] + (1-b2)*g*g
		denom := float32(math.Sqrt(float64(v[j])))/sqrtBC2 + eps
		p[j] -= stepSize * m[j] / denom
	}
}

func TestAdam(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range lengths() {
		p0, g := randSlice(rng, n), randSlice(rng, n)
		m0, v0 := randSlice(rng, n), randSlice(rng, n)
		for i := range v0 {
			v0[i] = v0[i] * v0[i]
		}
		// Step 3's bias corrections, as Adam.Update computes them.
		stepSize := float32(1e-3 / (1 - math.Pow(0.9, 3)))
		sqrtBC2 := float32(math.Sqrt(1 - math.Pow(0.999, 3)))
		run := func(f func(p, g, m, v []float32, b1, b2, s, c, e float32)) []float32 {
			p := append([]float32(nil), p0...)
			m := append([]float32(nil), m0...)
			v := append([]float32(nil), v0...)
			f(p, g, m, v, 0.9, 0.999, stepSize, sqrtBC2, 1e-8)
			return append(append(p, m...), v...)
		}
		got, port := both(func() []float32 { return run(Adam) })
		want := run(adamRef)
		if i := sameBits(got, port); i >= 0 {
			t.Fatalf("n=%d: [%d] asm %v, Go %v", n, i, got[i], port[i])
		}
		if i := sameBits(port, want); i >= 0 {
			t.Fatalf("n=%d: [%d] Go %v, reference %v", n, i, port[i], want[i])
		}
	}
}

func TestSumRowsInto(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, cols := range []int{0, 1, 3, 4, 5, 31, 32, 33, 36, 64, 256, 750} {
		for _, rows := range []int{0, 1, 2, 7, 256} {
			x := randSlice(rng, rows*cols)
			acc0 := make([]float64, cols)
			for i := range acc0 {
				acc0[i] = rng.NormFloat64()
			}
			got, port := both(func() []float64 {
				acc := append([]float64(nil), acc0...)
				SumRowsInto(acc, x, rows, cols)
				return acc
			})
			for c := range cols {
				w := acc0[c]
				for r := range rows {
					w += float64(x[r*cols+c])
				}
				if math.Float64bits(got[c]) != math.Float64bits(w) ||
					math.Float64bits(port[c]) != math.Float64bits(w) {
					t.Fatalf("%d×%d: column %d = %v (asm), %v (Go), want %v",
						rows, cols, c, got[c], port[c], w)
				}
			}
		}
	}
}

func TestDoesNotAllocate(t *testing.T) {
	a, b, d := make([]float32, 1000), make([]float32, 1000), make([]float32, 1000)
	acc := make([]float64, 10)
	n := testing.AllocsPerRun(10, func() {
		Add(d, a, b)
		Mul(d, a, b)
		Relu(d, a)
		GEZeroMask(d, a, 0)
		Adam(d, a, b, b, 0.9, 0.999, 1e-3, 1, 1e-8)
		SumRowsInto(acc, a, 100, 10)
	})
	if n != 0 {
		t.Fatalf("%v allocations per run", n)
	}
}
