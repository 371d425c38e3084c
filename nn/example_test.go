package nn_test

import (
	"fmt"
	"math/rand/v2"

	"offrl/nn"
)

// A graph is built once, compiled with the parameters it trains, and run
// on a new batch at every step; Adam updates the parameters in place.
func ExampleGraph_Compile() {
	rng := rand.New(rand.NewPCG(1, 2))
	net := nn.NewMLP("net", []int{1, 16, 1}, nn.Tanh, nn.Identity, rng)

	g := nn.NewGraph()
	x, y := g.Input("x", 32, 1), g.Input("y", 32, 1)
	loss := nn.MSE(net.Apply(g, x.Node), y.Node)
	prog, err := g.Compile(loss, net.Params())
	if err != nil {
		panic(err)
	}
	opt := nn.NewAdam(net.Params(), 1e-2)

	var first float32
	for step := range 300 {
		for i := range 32 { // y = 2x on [−1, 1]
			v := float32(2*rng.Float64() - 1)
			x.Data[i], y.Data[i] = v, 2*v
		}
		if err := prog.Run(); err != nil {
			panic(err)
		}
		opt.Update()
		if step == 0 {
			first = loss.Scalar()
		}
	}
	fmt.Println("loss fell by more than 100x:", loss.Scalar() < first/100)
	// Output: loss fell by more than 100x: true
}
