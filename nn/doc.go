// Package nn is the toolkit's neural-network layer on top of gorgonia:
// parameters that live in plain float32 slices, MLPs, graphs compiled once
// into programs that derive gradients symbolically, Adam, Polyak averaging
// and safetensors files.
//
// Agents build one [Graph] per update step, compile it with the parameters
// it trains, and run it on every batch:
//
//	g := nn.NewGraph()
//	s, y := g.Input("s", batch, obsDim), g.Input("y", batch, 1)
//	loss := nn.MSE(critic.Apply(g, s.Node), y.Node)
//	prog, err := g.Compile(loss, critic.Params())
//	... fill s.Data and y.Data; prog.Run(); opt.Update()
//
// Parameters are bound to graphs by reference, so an optimiser step is seen
// by every graph that uses them. [Forward] evaluates an MLP outside any
// graph (acting, target networks) with the same weights.
//
// gorgonia derives each program's backward graph; [Program.Run] executes
// it with this package's kernels over buffers made at compile time (see
// exec.go), so a run allocates nothing and computes only what the loss,
// the requested gradients and the caller's nodes need. Matrix products
// run on nn/gemm (AVX2+FMA assembly where the CPU has it) on one
// goroutine; [UseThreads] (which never changes results) and [UseBLAS]
// change that without touching agents.
package nn
