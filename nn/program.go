package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// Program is a compiled graph: one forward pass and, when compiled with
// parameters to train, the backward pass that fills their gradients.
// Build it once and call [Program.Run] for every batch.
type Program struct {
	graph  *Graph
	loss   *Node
	wrt    Params
	nodes  []*G.Node
	vm     G.VM
	resets bool
}

// Compile derives the gradient of the scalar loss with respect to every
// parameter in wrt (each must appear in the graph) and prepares the
// machine that runs forward and backward passes. With an empty wrt the
// program only runs forward.
func (g *Graph) Compile(loss *Node, wrt Params) (*Program, error) {
	p := &Program{graph: g, loss: loss, wrt: wrt}
	for _, w := range wrt {
		n, ok := g.params[w]
		if !ok {
			return nil, fmt.Errorf("compiling graph: parameter %s is not used by it", w.Name)
		}
		p.nodes = append(p.nodes, n)
	}
	if len(wrt) > 0 {
		if loss == nil || !loss.n.IsScalar() {
			return nil, fmt.Errorf("compiling graph: the loss must be a scalar")
		}
		if _, err := G.Grad(loss.n, p.nodes...); err != nil {
			return nil, fmt.Errorf("deriving gradients: %w", err)
		}
	}
	p.vm = G.NewTapeMachine(g.g, G.BindDualValues(p.nodes...))
	return p, nil
}

// Run executes the program once on the current input values. Afterwards
// every node holds its value and each trained parameter's Grad holds
// ∂loss/∂parameter for this run (not accumulated across runs).
func (p *Program) Run() error {
	if p.resets {
		p.vm.Reset()
	}
	p.resets = true
	if err := p.vm.RunAll(); err != nil {
		return fmt.Errorf("running graph: %w", err)
	}
	for i, n := range p.nodes {
		gv, err := n.Grad()
		if err != nil {
			return fmt.Errorf("reading gradient of %s: %w", p.wrt[i].Name, err)
		}
		// The machine adds into a parameter's gradient on every run;
		// clear it once read so that each run reports its own.
		data := gv.Data().([]float32)
		copy(p.wrt[i].Grad, data)
		clear(data)
	}
	return nil
}

// Close releases the machine's resources.
func (p *Program) Close() error { return p.vm.Close() }
