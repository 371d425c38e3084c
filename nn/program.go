package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// Program is a compiled graph: one forward pass and, when compiled with
// parameters to train, the backward pass that fills their gradients.
// Build it once and call [Program.Run] for every batch.
//
// gorgonia derives the backward graph symbolically; the program then runs
// forward and backward nodes with this package's kernels over buffers made
// at compile time, so a run allocates nothing (see exec.go).
type Program struct {
	graph *Graph
	loss  *Node
	wrt   Params
	grads [][]float32 // ∂loss/∂wrt[i], buffers inside plan
	plan  *plan
}

// Compile derives the gradient of the scalar loss with respect to every
// parameter in wrt (each must appear in the graph) and schedules the
// nodes a run computes: every node built through this package's API (so
// that any [Node.Value] can be read after a run) and the nodes that lead
// to the loss and to each requested gradient. With an empty wrt the program only runs
// forward.
//
// Node values read after a run come from the program of their graph that
// ran last (or, before any run, was compiled last).
func (g *Graph) Compile(loss *Node, wrt Params) (*Program, error) {
	return g.compile(loss, wrt, true)
}

// compile is Compile; with native false every op runs through gorgonia's
// own Do, which tests use as a second reference.
func (g *Graph) compile(loss *Node, wrt Params, native bool) (*Program, error) {
	p := &Program{graph: g, loss: loss, wrt: wrt}
	var nodes []*G.Node
	for _, w := range wrt {
		n, ok := g.params[w]
		if !ok {
			return nil, fmt.Errorf("compiling graph: parameter %s is not used by it", w.Name)
		}
		nodes = append(nodes, n)
	}
	keep := append([]*G.Node(nil), g.visible...)
	var gradNodes []*G.Node
	if len(wrt) > 0 {
		if loss == nil || !loss.n.IsScalar() {
			return nil, fmt.Errorf("compiling graph: the loss must be a scalar")
		}
		var err error
		if gradNodes, err = G.Grad(loss.n, nodes...); err != nil {
			return nil, fmt.Errorf("deriving gradients: %w", err)
		}
		keep = append(keep, gradNodes...)
	}
	plan, err := newPlan(g.g, keep, matmul, native)
	if err != nil {
		return nil, fmt.Errorf("compiling graph: %w", err)
	}
	p.plan = plan
	for i, gn := range gradNodes {
		buf := plan.vals[gn]
		if len(buf) != wrt[i].Size() {
			return nil, fmt.Errorf("compiling graph: gradient of %s has %d values, want %d",
				wrt[i].Name, len(buf), wrt[i].Size())
		}
		p.grads = append(p.grads, buf)
	}
	g.vals = plan.vals
	return p, nil
}

// Run executes the program once on the current input values. Afterwards
// every forward node holds its value and each trained parameter's Grad
// holds ∂loss/∂parameter for this run (not accumulated across runs).
func (p *Program) Run() error {
	p.graph.vals = p.plan.vals // Node.Value reads the program run last
	if err := p.plan.run(); err != nil {
		return fmt.Errorf("running graph: %w", err)
	}
	for i, g := range p.grads {
		copy(p.wrt[i].Grad, g)
	}
	return nil
}

// Steps lists the kernel calls of one run, in order, as "op shape" (for
// example "Aᵀ × B (256, 750)" or "relu (256, 256)"): what a run computes,
// for profiling and for checking that nothing unneeded runs.
func (p *Program) Steps() []string {
	out := make([]string, len(p.plan.steps))
	for i, s := range p.plan.steps {
		out[i] = s.name + " " + s.shape
	}
	return out
}

// Close releases the program's resources; it is kept for symmetry with
// gorgonia's machines and never fails.
func (p *Program) Close() error { return nil }
