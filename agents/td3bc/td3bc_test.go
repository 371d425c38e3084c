package td3bc

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"offrl/agents/agenttest"
	"offrl/internal/race"

	"offrl/nn"
	"offrl/replay"
)

func smallConfig() Config {
	c := DefaultConfig()
	c.Hidden = []int{16, 16}
	return c
}

// constantCritic makes a network output c for every input.
func constantCritic(m *nn.MLP, c float32) {
	last := m.Layers[len(m.Layers)-1]
	clear(last.W.Value)
	last.B.Value[0] = c
}

// B39: only terminals stop the bootstrap. With target critics that return
// 10 everywhere, γ = 0.99 and r = 1, the targets are 10.9 for a mid-episode
// row, 10.9 for a time-limit row and 1.0 for a terminal row.
func TestCriticTargetBootstrapsThroughTimeouts(t *testing.T) {
	buf := replay.New(3, 2, 1)
	rows := []replay.Transition{
		{Obs: []float32{0, 0}, Action: []float32{0}, NextObs: []float32{1, 1}, Reward: 1},
		{Obs: []float32{1, 1}, Action: []float32{0}, NextObs: []float32{2, 2}, Reward: 1, Timeout: true},
		{Obs: []float32{2, 2}, Action: []float32{0}, NextObs: []float32{3, 3}, Reward: 1, Terminal: true},
	}
	for _, r := range rows {
		if err := buf.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	agent, err := New(smallConfig(), Spec{ObsDim: 2, ActDim: 1, MaxAction: 1, BatchSize: 32}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	constantCritic(agent.q1Tgt, 10)
	constantCritic(agent.q2Tgt, 10)
	batch := buf.NewBatch(32)
	rng := rand.New(rand.NewPCG(2, 2))
	if err := buf.Sample(rng, batch); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Update(batch, rng); err != nil {
		t.Fatal(err)
	}
	want := []float32{10.9, 10.9, 1.0}
	for k, i := range batch.Indices {
		if got := agent.critic.y.Data[k]; math.Abs(float64(got-want[i])) > 1e-5 {
			t.Errorf("row %d (terminal=%v timeout=%v): target %v, want %v",
				i, rows[i].Terminal, rows[i].Timeout, got, want[i])
		}
	}
}

func paramsEqual(t *testing.T, a, b *Agent) {
	t.Helper()
	for k, m := range a.nets() {
		for i, p := range m.Params() {
			q := b.nets()[k].Params()[i]
			for j := range p.Value {
				if math.Float32bits(p.Value[j]) != math.Float32bits(q.Value[j]) {
					t.Fatalf("%s[%d]: %v vs %v", p.Name, j, p.Value[j], q.Value[j])
				}
			}
		}
	}
	for i := range a.actorOpt.M {
		for j := range a.actorOpt.M[i] {
			if a.actorOpt.M[i][j] != b.actorOpt.M[i][j] || a.actorOpt.V[i][j] != b.actorOpt.V[i][j] {
				t.Fatalf("actor Adam moments differ at %d/%d", i, j)
			}
		}
	}
	if a.totalIt != b.totalIt || a.actorOpt.Step != b.actorOpt.Step || a.criticOpt.Step != b.criticOpt.Step {
		t.Fatalf("counters differ: %d/%d/%d vs %d/%d/%d", a.totalIt, a.actorOpt.Step, a.criticOpt.Step,
			b.totalIt, b.actorOpt.Step, b.criticOpt.Step)
	}
}

// Saving after k updates, loading into a fresh agent and continuing gives
// exactly the weights of an uninterrupted run (B20, agent side).
func TestSaveLoadContinuesBitIdentically(t *testing.T) {
	spec := Spec{ObsDim: 3, ActDim: 2, MaxAction: 2, BatchSize: 16}
	data := agenttest.RandomBuffer(rand.New(rand.NewPCG(5, 5)), 200, 3, 2)

	straight, _ := New(smallConfig(), spec, rand.New(rand.NewPCG(7, 7)))
	if err := straight.Prepare(data); err != nil {
		t.Fatal(err)
	}
	rngA := rand.New(rand.NewPCG(9, 9))
	agenttest.Train(t, straight, data, rngA, straight.spec.BatchSize, 25)

	first, _ := New(smallConfig(), spec, rand.New(rand.NewPCG(7, 7)))
	rngB := rand.New(rand.NewPCG(9, 9))
	first.norm = straight.norm
	agenttest.Train(t, first, data, rngB, first.spec.BatchSize, 11)
	dir := t.TempDir()
	if err := first.Save(dir); err != nil {
		t.Fatal(err)
	}
	resumed, _ := New(smallConfig(), spec, rand.New(rand.NewPCG(100, 100)))
	if err := resumed.Load(dir); err != nil {
		t.Fatal(err)
	}
	agenttest.Train(t, resumed, data, rngB, resumed.spec.BatchSize, 14)
	paramsEqual(t, straight, resumed)
}

func TestLoadRejectsMissingCheckpoint(t *testing.T) {
	a, _ := New(smallConfig(), Spec{ObsDim: 3, ActDim: 2, MaxAction: 1, BatchSize: 4}, rand.New(rand.NewPCG(1, 1)))
	if err := a.Load(t.TempDir()); err == nil {
		t.Fatal("Load of an empty directory succeeded")
	}
}

func TestConfigValidateNamesKey(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		key    string
	}{
		{"gamma", func(c *Config) { c.Gamma = 1.5 }, "gamma"},
		{"tau", func(c *Config) { c.Tau = 0 }, "tau"},
		{"delay", func(c *Config) { c.PolicyDelay = 0 }, "policy_delay"},
		{"alpha", func(c *Config) { c.Alpha = math.NaN() }, "alpha"},
		{"hidden", func(c *Config) { c.Hidden = []int{256, 0} }, "hidden[1]"},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		tt.mutate(&c)
		err := c.Validate()
		if err == nil || !contains(err.Error(), tt.key) {
			t.Errorf("%s: Validate() = %v, want an error naming %q", tt.name, err, tt.key)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// BenchmarkUpdate measures one TD3+BC iteration at the paper's sizes on a
// HalfCheetah-shaped problem (obs 17, act 6, batch 256, 256-256 networks),
// the unit the PyTorch reference times.
func BenchmarkUpdate(b *testing.B) {
	// Products use as many goroutines as the benchmark's -cpu, as PyTorch
	// uses its --threads.
	nn.UseThreads(runtime.GOMAXPROCS(0))
	defer nn.UseThreads(1)
	rng := rand.New(rand.NewPCG(1, 2))
	buf := replay.New(100_000, 17, 6)
	tr := replay.Transition{Obs: make([]float32, 17), Action: make([]float32, 6), NextObs: make([]float32, 17)}
	for range 100_000 {
		for j := range tr.Obs {
			tr.Obs[j], tr.NextObs[j] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		for j := range tr.Action {
			tr.Action[j] = float32(2*rng.Float64() - 1)
		}
		buf.Add(tr)
	}
	agent, err := New(DefaultConfig(), Spec{ObsDim: 17, ActDim: 6, MaxAction: 1, BatchSize: 256}, rng)
	if err != nil {
		b.Fatal(err)
	}
	agenttest.BenchmarkUpdates(b, agent, buf, rng, 256, 20)
}

// In steady state an update allocates nothing: graphs, buffers, batches
// and the metrics map are all made once.
func TestUpdateDoesNotAllocate(t *testing.T) {
	if race.Enabled {
		t.Skip("-race makes sync.Pool drop items, so pooled scratch is made again")
	}
	// One action dimension (Pendulum, MountainCar) takes other paths in
	// the derived graph (a one-column slice) than several.
	for _, dims := range [][2]int{{3, 1}, {2, 1}, {5, 2}, {17, 6}} {
		rng := rand.New(rand.NewPCG(3, 3))
		buf := agenttest.RandomBuffer(rng, 500, dims[0], dims[1])
		a, err := New(smallConfig(), Spec{ObsDim: dims[0], ActDim: dims[1], MaxAction: 1,
			BatchSize: 32}, rng)
		if err != nil {
			t.Fatal(err)
		}
		if n := agenttest.UpdateAllocs(t, a, buf, rng, 32, 1); n != 0 {
			t.Errorf("obs %d, act %d: %v allocations per update, want 0", dims[0], dims[1], n)
		}
	}
}
