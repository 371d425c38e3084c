package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gemmFunc is the shape of Sgemm and Dgemm for element type T.
type gemmFunc[T float] func(tA, tB blas.Transpose, m, n, k int, alpha T, a []T, lda int,
	b []T, ldb int, beta T, c []T, ldc int)

// kernels runs f once per micro-kernel this machine can run, forcing the
// choice through useAsm.
func kernels(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	saved := useAsm
	defer func() { useAsm = saved }()
	if saved {
		useAsm = true
		t.Run("avx2-fma", f)
	}
	useAsm = false
	t.Run("go", f)
}

var transposes = []blas.Transpose{blas.NoTrans, blas.Trans, blas.ConjTrans}

// gemmCase is one product to check; the leading dimensions are the minimum
// plus the pads.
type gemmCase struct {
	tA, tB           blas.Transpose
	m, n, k          int
	padA, padB, padC int
	alpha, beta      float64
	nanC             bool // fill C with NaN (only meaningful with beta 0)
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%c tB=%c m=%d n=%d k=%d pads=%d,%d,%d alpha=%g beta=%g nan=%t",
		tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.padA, tc.padB, tc.padC, tc.alpha, tc.beta, tc.nanC)
}

// sentinel marks the parts of C outside the m×n window, which must survive.
const sentinel = -12345

// compare runs tc through got and through gonum's want and compares C, element
// by element, within a bound that scales with the magnitudes summed, since
// the two sum in different orders; it also checks C's stride gap is intact.
func compare[T float](t *testing.T, rng *rand.Rand, tc gemmCase, got, want gemmFunc[T]) {
	t.Helper()
	rowsA, colsA := tc.m, tc.k
	if tc.tA != blas.NoTrans {
		rowsA, colsA = tc.k, tc.m
	}
	rowsB, colsB := tc.k, tc.n
	if tc.tB != blas.NoTrans {
		rowsB, colsB = tc.n, tc.k
	}
	lda, ldb, ldc := max(1, colsA)+tc.padA, max(1, colsB)+tc.padB, max(1, tc.n)+tc.padC
	fill := func(rows, ld int) []T {
		s := make([]T, max(0, rows*ld))
		for i := range s {
			s[i] = T(rng.Float64()*2 - 1)
		}
		return s
	}
	a, b := fill(rowsA, lda), fill(rowsB, ldb)
	c0 := fill(tc.m, ldc)
	for i := range tc.m {
		for j := tc.n; j < ldc; j++ {
			c0[i*ldc+j] = sentinel
		}
		if tc.nanC {
			for j := range tc.n {
				c0[i*ldc+j] = T(math.NaN())
			}
		}
	}
	cGot, cWant := append([]T(nil), c0...), append([]T(nil), c0...)
	alpha, beta := T(tc.alpha), T(tc.beta)
	got(tc.tA, tc.tB, tc.m, tc.n, tc.k, alpha, a, lda, b, ldb, beta, cGot, ldc)
	want(tc.tA, tc.tB, tc.m, tc.n, tc.k, alpha, a, lda, b, ldb, beta, cWant, ldc)

	var eps float64 = 0x1p-52
	if _, ok := any(alpha).(float32); ok {
		eps = 0x1p-23
	}
	opA := func(i, p int) float64 {
		if tc.tA != blas.NoTrans {
			return float64(a[p*lda+i])
		}
		return float64(a[i*lda+p])
	}
	opB := func(p, j int) float64 {
		if tc.tB != blas.NoTrans {
			return float64(b[j*ldb+p])
		}
		return float64(b[p*ldb+j])
	}
	bad := 0
	for i := range tc.m {
		for j := range ldc {
			g, w := float64(cGot[i*ldc+j]), float64(cWant[i*ldc+j])
			if j >= tc.n {
				if g != sentinel {
					t.Fatalf("%v: C[%d,%d] in the stride gap changed to %v", tc, i, j, g)
				}
				continue
			}
			mag := 0.0
			for p := range tc.k {
				mag += math.Abs(opA(i, p) * opB(p, j))
			}
			mag *= math.Abs(tc.alpha)
			if tc.beta != 0 { // with beta 0, C (maybe NaN) is not part of the result
				mag += math.Abs(tc.beta * float64(c0[i*ldc+j]))
			}
			tol := 2*float64(tc.k+2)*eps*mag + 1e-30
			if math.IsNaN(g) || math.Abs(g-w) > tol {
				if bad++; bad <= 3 {
					t.Errorf("%v: C[%d,%d] = %v, gonum %v (tol %g)", tc, i, j, g, w, tol)
				}
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%v: %d elements differ", tc, bad)
	}
}

// randomCases draws shapes up to 300 with odd sizes and edges that are not
// multiples of MR, NR or KC, all transposes, padded strides and the
// alpha/beta values that take special paths.
func randomCases(rng *rand.Rand, count int) []gemmCase {
	dims := []int{0, 1, 2, 3, 5, 6, 7, 8, 13, 16, 17, 31, 33, 64, 97, 143, 145, 256, 257, 300}
	alphas := []float64{0, 1, -0.5, 2.5}
	betas := []float64{0, 1, 0.3}
	var cases []gemmCase
	for range count {
		pick := func() int {
			if rng.IntN(2) == 0 {
				return dims[rng.IntN(len(dims))]
			}
			return 1 + rng.IntN(120)
		}
		tc := gemmCase{
			tA: transposes[rng.IntN(3)], tB: transposes[rng.IntN(3)],
			m: pick(), n: pick(), k: pick(),
			padA: rng.IntN(3) * rng.IntN(5), padB: rng.IntN(3) * rng.IntN(5),
			padC:  rng.IntN(3) * rng.IntN(5),
			alpha: alphas[rng.IntN(len(alphas))], beta: betas[rng.IntN(len(betas))],
		}
		tc.nanC = tc.beta == 0 && rng.IntN(2) == 0
		cases = append(cases, tc)
	}
	// Every transpose pair and alpha/beta on one awkward shape.
	for _, tA := range transposes[:2] {
		for _, tB := range transposes[:2] {
			for _, alpha := range alphas {
				for _, beta := range betas {
					cases = append(cases, gemmCase{tA: tA, tB: tB, m: 19, n: 35, k: 261,
						padA: 3, padB: 1, padC: 2, alpha: alpha, beta: beta})
				}
			}
		}
	}
	// One-row and one-column products (the gemv path), every transpose pair.
	for _, tA := range transposes {
		for _, tB := range transposes {
			for _, mnk := range [][3]int{{1, 37, 19}, {37, 1, 19}, {1, 1, 300}, {300, 1, 2}} {
				for _, beta := range betas {
					cases = append(cases, gemmCase{tA: tA, tB: tB, m: mnk[0], n: mnk[1],
						k: mnk[2], padA: rng.IntN(2), padB: rng.IntN(2), padC: rng.IntN(2),
						alpha: -0.5, beta: beta, nanC: beta == 0})
				}
			}
		}
	}
	return cases
}

func testBoth(t *testing.T, count int, threads int) {
	kernels(t, func(t *testing.T) {
		impl := Implementation{Threads: threads}
		rng := rand.New(rand.NewPCG(1, uint64(threads)))
		for _, tc := range randomCases(rng, count) {
			compare(t, rng, tc, impl.Sgemm, gonum.Implementation{}.Sgemm)
			compare(t, rng, tc, impl.Dgemm, gonum.Implementation{}.Dgemm)
		}
	})
}

// TestRandom compares both kernels with gonum on random products.
func TestRandom(t *testing.T) {
	count := 250
	if testing.Short() {
		count = 40
	}
	testBoth(t, count, 1)
}

// TestRandomThreads is TestRandom with the work split over 2 and 3 goroutines.
func TestRandomThreads(t *testing.T) {
	for _, threads := range []int{2, 3} {
		t.Run(fmt.Sprint(threads), func(t *testing.T) { testBoth(t, 60, threads) })
	}
}

// TestPackageFuncs checks the package-level Sgemm and Dgemm are the same
// product as the methods.
func TestPackageFuncs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	tc := gemmCase{tA: blas.Trans, tB: blas.NoTrans, m: 40, n: 50, k: 60, padC: 3,
		alpha: 1.5, beta: 0.3}
	compare(t, rng, tc, Sgemm, gonum.Implementation{}.Sgemm)
	compare(t, rng, tc, Dgemm, gonum.Implementation{}.Dgemm)
}

// TestConcurrent runs products from several goroutines at once, on one and
// two threads each, so the race detector sees shared scratch and workers.
func TestConcurrent(t *testing.T) {
	for g := range 4 {
		t.Run(fmt.Sprint(g), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(g), 99))
			impl := Implementation{Threads: 1 + g%2}
			for _, tc := range randomCases(rng, 10) {
				compare(t, rng, tc, impl.Sgemm, gonum.Implementation{}.Sgemm)
				compare(t, rng, tc, impl.Dgemm, gonum.Implementation{}.Dgemm)
			}
		})
	}
}

// panics reports whether f panics.
func panics(f func()) (p bool) {
	defer func() { p = recover() != nil }()
	f()
	return false
}

// TestPanics checks bad arguments panic exactly where gonum's do.
func TestPanics(t *testing.T) {
	type args struct {
		tA, tB        blas.Transpose
		m, n, k       int
		la, lb, lc    int
		lda, ldb, ldc int
	}
	ok := args{blas.NoTrans, blas.NoTrans, 3, 4, 5, 15, 20, 12, 5, 4, 4}
	mod := func(f func(*args)) args { a := ok; f(&a); return a }
	cases := []args{
		ok,
		mod(func(a *args) { a.tA = 'x' }),
		mod(func(a *args) { a.tB = 0 }),
		mod(func(a *args) { a.m = -1 }),
		mod(func(a *args) { a.n = -1 }),
		mod(func(a *args) { a.k = -1 }),
		mod(func(a *args) { a.lda = 4 }),
		mod(func(a *args) { a.ldb = 3 }),
		mod(func(a *args) { a.ldc = 3 }),
		mod(func(a *args) { a.la = 14 }),
		mod(func(a *args) { a.lb = 19 }),
		mod(func(a *args) { a.lc = 11 }),
		mod(func(a *args) { a.m, a.la, a.lc = 0, 0, 0 }),
		mod(func(a *args) { a.n, a.lb, a.lc = 0, 0, 0 }),
		mod(func(a *args) { a.k, a.la, a.lb, a.lda, a.ldb = 0, 0, 0, 1, 4 }),
		mod(func(a *args) { a.k, a.la, a.lb, a.lda = 0, 0, 0, 0 }),
		mod(func(a *args) { a.tA, a.lda, a.la = blas.Trans, 3, 15 }),
		mod(func(a *args) { a.tA, a.lda, a.la = blas.Trans, 2, 15 }),
		mod(func(a *args) { a.tB, a.ldb, a.lb = blas.ConjTrans, 5, 20 }),
		mod(func(a *args) { a.tB, a.ldb, a.lb = blas.Trans, 4, 20 }),
		mod(func(a *args) { a.tB, a.ldb, a.lb = blas.Trans, 5, 19 }),
	}
	for _, tc := range cases {
		a, b, c := make([]float32, tc.la), make([]float32, tc.lb), make([]float32, tc.lc)
		want := panics(func() {
			gonum.Implementation{}.Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, a, tc.lda,
				b, tc.ldb, 0, c, tc.ldc)
		})
		got := panics(func() {
			Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, a, tc.lda, b, tc.ldb, 0, c, tc.ldc)
		})
		if got != want {
			t.Errorf("%+v: Sgemm panics %t, gonum %t", tc, got, want)
		}
		a64, b64, c64 := make([]float64, tc.la), make([]float64, tc.lb), make([]float64, tc.lc)
		got = panics(func() {
			Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, a64, tc.lda, b64, tc.ldb, 0, c64, tc.ldc)
		})
		if got != want {
			t.Errorf("%+v: Dgemm panics %t, gonum Sgemm %t", tc, got, want)
		}
	}
}

// TestAllocs checks steady-state calls allocate nothing, split or not.
func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items, so pooled scratch is reallocated")
	}
	shapes := [][3]int{{256, 256, 256}, {256, 17, 256}, {256, 256, 1}, {3, 5, 7}, {1, 1, 1}}
	for _, threads := range []int{1, 2} {
		impl := Implementation{Threads: threads}
		for _, s := range shapes {
			m, k, n := s[0], s[1], s[2]
			a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
			impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
			allocs := testing.AllocsPerRun(20, func() {
				impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
			})
			if allocs != 0 {
				t.Errorf("Sgemm %v threads %d: %v allocations per call", s, threads, allocs)
			}
			a64, b64, c64 := make([]float64, m*k), make([]float64, k*n), make([]float64, m*n)
			allocs = testing.AllocsPerRun(20, func() {
				impl.Dgemm(blas.NoTrans, blas.Trans, m, n, k, 1, a64, k, b64, k, 0.5, c64, n)
			})
			if allocs != 0 {
				t.Errorf("Dgemm %v threads %d: %v allocations per call", s, threads, allocs)
			}
		}
	}
}

// TestKernel checks Kernel names a known kernel.
func TestKernel(t *testing.T) {
	if k := Kernel(); k != "avx2-fma" && k != "go" {
		t.Fatalf("Kernel() = %q", k)
	}
	t.Logf("kernel: %s", Kernel())
}

// FuzzSgemm derives a product from the fuzz input and compares it with
// gonum's, on both kernels.
func FuzzSgemm(f *testing.F) {
	f.Add(uint8(0), uint16(7), uint16(9), uint16(300), uint8(3), uint8(0), uint64(1))
	f.Add(uint8(5), uint16(1), uint16(16), uint16(6), uint8(2), uint8(1), uint64(2))
	f.Add(uint8(10), uint16(0), uint16(3), uint16(0), uint8(17), uint8(2), uint64(3))
	f.Fuzz(func(t *testing.T, trans uint8, m, n, k uint16, pads, ab uint8, seed uint64) {
		tc := gemmCase{
			tA: transposes[int(trans)%3], tB: transposes[int(trans/3)%3],
			m: int(m % 200), n: int(n % 200), k: int(k % 400),
			padA: int(pads & 3), padB: int(pads >> 2 & 3), padC: int(pads >> 4 & 3),
			alpha: []float64{0, 1, -0.5, 2.5}[ab&3], beta: []float64{0, 1, 0.3}[int(ab>>2)%3],
		}
		tc.nanC = tc.beta == 0 && ab&0x80 != 0
		kernels(t, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0))
			compare(t, rng, tc, Sgemm, gonum.Implementation{}.Sgemm)
		})
	})
}

// TestThreadsDoNotChangeResults checks the promise nn.UseThreads makes:
// splitting C across goroutines computes every element in the same order,
// so the bits equal those of one goroutine.
func TestThreadsDoNotChangeResults(t *testing.T) {
	for _, s := range [][3]int{{256, 256, 256}, {256, 750, 750}, {300, 257, 145}, {97, 1000, 33}} {
		m, n, k := s[0], s[1], s[2]
		a, b := randSlice[float32](m*k), randSlice[float32](k*n)
		c0 := randSlice[float32](m * n)
		want := append([]float32(nil), c0...)
		Implementation{}.Sgemm(blas.NoTrans, blas.Trans, m, n, k, 0.7, a, k, b, k, 0.3, want, n)
		for _, threads := range []int{2, 3, 5} {
			got := append([]float32(nil), c0...)
			Implementation{Threads: threads}.Sgemm(blas.NoTrans, blas.Trans, m, n, k, 0.7, a, k,
				b, k, 0.3, got, n)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%dx%dx%d on %d goroutines: C[%d] = %v, one goroutine %v",
						m, n, k, threads, i, got[i], want[i])
				}
			}
		}
	}
}
