package gemm_test

import (
	"testing"

	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"offrl/nn/gemm"
)

// TestGorgonia runs a float32 matrix product through a gorgonia graph with
// gemm.Implementation plugged in by gorgonia.Use, as the project does.
func TestGorgonia(t *testing.T) {
	prev := G.WhichBLAS()
	impl := &counting{}
	G.Use(impl)
	defer G.Use(prev)

	g := G.NewGraph()
	a := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("a"),
		G.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float32{
			1, 2, 3,
			4, 5, 6}))))
	b := G.NewMatrix(g, tensor.Float32, G.WithShape(3, 2), G.WithName("b"),
		G.WithValue(tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float32{
			7, 8,
			9, 10,
			11, 12}))))
	c := G.Must(G.Mul(a, b))
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	got := c.Value().Data().([]float32)
	want := []float32{58, 64, 139, 154}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("a·b = %v, want %v", got, want)
		}
	}
	if impl.calls == 0 {
		t.Fatal("gorgonia did not call Sgemm")
	}
}

// counting is gemm.Implementation that counts Sgemm calls.
type counting struct {
	gemm.Implementation
	calls int
}

func (c *counting) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32,
	lda int, b []float32, ldb int, beta float32, cm []float32, ldc int) {
	c.calls++
	c.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, cm, ldc)
}
