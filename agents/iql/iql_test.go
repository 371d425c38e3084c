package iql

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"offrl/agents/agenttest"
	"offrl/internal/race"

	"offrl/nn"
	"offrl/replay"
)

func smallConfig() Config {
	c := DefaultConfig()
	c.Hidden = []int{16, 16}
	c.RewardTransform = "none"
	return c
}

// constant makes a network output c for every input.
func constant(m *nn.MLP, c float32) {
	last := m.Layers[len(m.Layers)-1]
	clear(last.W.Value)
	last.B.Value[0] = c
}

// threeRows is a mid-episode row, a time-limit row and a terminal row,
// each with reward 1.
func threeRows(t *testing.T) (*replay.Buffer, []replay.Transition) {
	buf := replay.New(3, 2, 1)
	rows := []replay.Transition{
		{Obs: []float32{0, 0}, Action: []float32{0.5}, NextObs: []float32{1, 1}, Reward: 1},
		{Obs: []float32{1, 1}, Action: []float32{-0.5}, NextObs: []float32{2, 2}, Reward: 1, Timeout: true},
		{Obs: []float32{2, 2}, Action: []float32{0.1}, NextObs: []float32{3, 3}, Reward: 1, Terminal: true},
	}
	for _, r := range rows {
		if err := buf.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	return buf, rows
}

func newAgent(t *testing.T, cfg Config, spec Spec) *Agent {
	t.Helper()
	a, err := New(cfg, spec, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// B39 for IQL: with V = 10 everywhere (held still by a negligible step
// size), γ = 0.99 and r = 1, the critic targets are 10.9 mid-episode, 10.9
// at a time limit and 1.0 at a terminal.
func TestCriticTargetBootstrapsThroughTimeouts(t *testing.T) {
	buf, rows := threeRows(t)
	cfg := smallConfig()
	cfg.ValueLR = 1e-30
	a := newAgent(t, cfg, Spec{ObsDim: 2, ActDim: 1, MaxAction: 1, BatchSize: 32, Steps: 100})
	constant(a.value, 10)
	batch := buf.NewBatch(32)
	rng := rand.New(rand.NewPCG(2, 2))
	if err := buf.Sample(rng, batch); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Update(batch, rng); err != nil {
		t.Fatal(err)
	}
	want := []float32{10.9, 10.9, 1.0}
	for k, i := range batch.Indices {
		if got := a.criticStep.y.Data[k]; math.Abs(float64(got-want[i])) > 1e-4 {
			t.Errorf("row %d (terminal=%v timeout=%v): target %v, want %v",
				i, rows[i].Terminal, rows[i].Timeout, got, want[i])
		}
	}
}

// The value loss is the expectile loss of eq. 5 and the actor weights are
// min(exp(β·(Q̂ − V)), 100): with Q̂ = 3 and V = 2 (u = 1 > 0) the loss is
// τ·1 = 0.7 and the weight e³; with V = 4 (u = −1) it is (1 − τ)·1 = 0.3
// and the weight e⁻³; with V = 0 the weight e⁶ is clipped to 100.
func TestExpectileLossAndWeights(t *testing.T) {
	tests := []struct {
		v          float32
		loss, wgt  float64
		clippedWgt bool
	}{
		{2, 0.7, math.Exp(3), false},
		{4, 0.3, math.Exp(-3), false},
		{0, 0.7 * 9, 100, true},
	}
	for _, tt := range tests {
		buf, _ := threeRows(t)
		cfg := smallConfig()
		cfg.ValueLR = 1e-30
		a := newAgent(t, cfg, Spec{ObsDim: 2, ActDim: 1, MaxAction: 1, BatchSize: 8, Steps: 100})
		constant(a.q1Tgt, 3)
		constant(a.q2Tgt, 5) // the minimum, 3, is used
		constant(a.value, tt.v)
		batch := buf.NewBatch(8)
		rng := rand.New(rand.NewPCG(3, 3))
		if err := buf.Sample(rng, batch); err != nil {
			t.Fatal(err)
		}
		m, err := a.Update(batch, rng)
		if err != nil {
			t.Fatal(err)
		}
		if got := m["value_loss"]; math.Abs(got-tt.loss) > 1e-4*tt.loss {
			t.Errorf("V = %v: value_loss %v, want %v", tt.v, got, tt.loss)
		}
		if got := m["weight_mean"]; math.Abs(got-tt.wgt) > 1e-4*tt.wgt {
			t.Errorf("V = %v: weight_mean %v, want %v", tt.v, got, tt.wgt)
		}
	}
}

// The actor loss equals the weighted Gaussian negative log-likelihood
// computed by hand from the actor's outputs, with log σ clipped.
func TestActorLossIsWeightedGaussianNLL(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	buf := agenttest.RandomBuffer(rng, 200, 3, 2)
	cfg := smallConfig()
	a := newAgent(t, cfg, Spec{ObsDim: 3, ActDim: 2, MaxAction: 1, BatchSize: 16, Steps: 100})
	a.logStd.Value[0], a.logStd.Value[1] = -7, 0.3 // the first is clipped to −5
	batch := buf.NewBatch(16)
	if err := buf.Sample(rng, batch); err != nil {
		t.Fatal(err)
	}
	// The weights and the actor's outputs before its step.
	f := a.actor.NewForward(16)
	mu := append([]float32(nil), f.Run(batch.Obs, 16)...)
	if _, err := a.Update(batch, rng); err != nil {
		t.Fatal(err)
	}
	logStd := []float64{-5, 0.3}
	var want float64
	for i := range 16 {
		w := float64(a.actorStep.w.Data[i*2])
		for j := range 2 {
			z := (float64(batch.Actions[i*2+j]) - float64(mu[i*2+j])) / math.Exp(logStd[j])
			want += w * (0.5*z*z + logStd[j] + 0.5*math.Log(2*math.Pi))
		}
	}
	want /= 16
	if got := float64(a.actorStep.loss.Scalar()); math.Abs(got-want) > 1e-4*math.Abs(want) {
		t.Errorf("actor loss %v, hand-computed %v", got, want)
	}
	// The clipped log-std gets no gradient; the other does.
	if g := a.logStd.Grad; g[0] != 0 || g[1] == 0 {
		t.Errorf("log-std gradients %v, want [0, non-zero]", g)
	}
}

// A one-step problem: reward −(a − a*(s))² for a* = tanh(s₀) and dataset
// actions uniform in [−1, 1]. Advantage weighting must pull the policy
// towards a*, far below the dataset's mean squared error of about 0.5.
func TestLearnsBestDatasetActions(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	buf := replay.New(4000, 2, 1)
	for range 4000 {
		s := []float32{float32(rng.NormFloat64()), float32(rng.NormFloat64())}
		act := float32(2*rng.Float64() - 1)
		best := float32(math.Tanh(float64(s[0])))
		buf.Add(replay.Transition{Obs: s, Action: []float32{act}, NextObs: s,
			Reward: -(act - best) * (act - best), Terminal: true})
	}
	cfg := smallConfig()
	cfg.Hidden = []int{32, 32}
	cfg.Expectile, cfg.Beta, cfg.ActorSchedule = 0.9, 10, "constant"
	cfg.ActorLR, cfg.ValueLR, cfg.CriticLR = 1e-3, 1e-3, 1e-3
	a := newAgent(t, cfg, Spec{ObsDim: 2, ActDim: 1, MaxAction: 1, BatchSize: 64, Steps: 3000})
	if err := a.Prepare(buf); err != nil {
		t.Fatal(err)
	}
	batch := buf.NewBatch(64)
	for range 3000 {
		if err := buf.Sample(rng, batch); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Update(batch, rng); err != nil {
			t.Fatal(err)
		}
	}
	var mse float64
	act := make([]float64, 1)
	for range 200 {
		s := []float64{rng.NormFloat64(), rng.NormFloat64()}
		a.Act(s, act)
		d := act[0] - math.Tanh(s[0])
		mse += d * d / 200
	}
	t.Logf("squared error to the best action: %.4f", mse)
	if mse > 0.1 {
		t.Errorf("policy's squared error to the best action %.3f, want < 0.1 (dataset ≈ 0.5)", mse)
	}
}

// Saving after k updates, loading into a fresh agent and continuing gives
// exactly the weights of an uninterrupted run, the decayed step size
// included.
func TestSaveLoadContinuesBitIdentically(t *testing.T) {
	spec := Spec{ObsDim: 3, ActDim: 2, MaxAction: 2, BatchSize: 8, Steps: 20}
	cfg := smallConfig()
	run := func(a *Agent, rng *rand.Rand, buf *replay.Buffer, n int) {
		batch := buf.NewBatch(8)
		for range n {
			if err := buf.Sample(rng, batch); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Update(batch, rng); err != nil {
				t.Fatal(err)
			}
		}
	}
	buf := agenttest.RandomBuffer(rand.New(rand.NewPCG(6, 6)), 100, 3, 2)
	whole := newAgent(t, cfg, spec)
	rngWhole := rand.New(rand.NewPCG(7, 7))
	run(whole, rngWhole, buf, 10)

	first := newAgent(t, cfg, spec)
	rng := rand.New(rand.NewPCG(7, 7))
	run(first, rng, buf, 4)
	dir := t.TempDir()
	if err := first.Save(dir); err != nil {
		t.Fatal(err)
	}
	second, err := New(cfg, spec, rand.New(rand.NewPCG(99, 99)))
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Load(dir); err != nil {
		t.Fatal(err)
	}
	run(second, rng, buf, 6)
	wp, sp := whole.allParams(), second.allParams()
	for i := range wp {
		for j := range wp[i].Value {
			if wp[i].Value[j] != sp[i].Value[j] {
				t.Fatalf("%s[%d]: %v uninterrupted, %v resumed", wp[i].Name, j,
					wp[i].Value[j], sp[i].Value[j])
			}
		}
	}
	if whole.actorOpt.LR != second.actorOpt.LR {
		t.Errorf("actor step size %v uninterrupted, %v resumed", whole.actorOpt.LR,
			second.actorOpt.LR)
	}
}

func TestLoadRejectsMissingCheckpoint(t *testing.T) {
	a := newAgent(t, smallConfig(), Spec{ObsDim: 2, ActDim: 1, MaxAction: 1, BatchSize: 4, Steps: 100})
	if err := a.Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), fileName) {
		t.Errorf("missing checkpoint: err %v, want one naming %s", err, fileName)
	}
}

func TestConfigValidateNamesKey(t *testing.T) {
	tests := []struct {
		mutate func(*Config)
		key    string
	}{
		{func(c *Config) { c.Expectile = 1 }, "expectile"},
		{func(c *Config) { c.Beta = math.NaN() }, "beta"},
		{func(c *Config) { c.MaxWeight = 0 }, "max_weight"},
		{func(c *Config) { c.ActorSchedule = "linear" }, "actor_schedule"},
		{func(c *Config) { c.LogStdMin = 3 }, "log_std_min"},
		{func(c *Config) { c.RewardTransform = "scale" }, "reward_transform"},
		{func(c *Config) { c.Hidden = []int{0} }, "hidden[0]"},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		tt.mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.key) {
			t.Errorf("err %v, want one naming %s", err, tt.key)
		}
	}
}

// Prepare scales rewards by 1000/(max − min trajectory return) and
// actions to [−1, 1] units, clipped inside the bound.
func TestPrepare(t *testing.T) {
	buf := replay.New(4, 1, 1)
	rows := []replay.Transition{
		{Obs: []float32{0}, Action: []float32{2}, NextObs: []float32{1}, Reward: 1},
		{Obs: []float32{1}, Action: []float32{-1}, NextObs: []float32{2}, Reward: 1, Timeout: true},
		{Obs: []float32{5}, Action: []float32{0.5}, NextObs: []float32{6}, Reward: 4},
		{Obs: []float32{6}, Action: []float32{0}, NextObs: []float32{7}, Reward: 1},
	}
	for _, r := range rows {
		buf.Add(r)
	}
	cfg := smallConfig()
	cfg.RewardTransform = "returns"
	a := newAgent(t, cfg, Spec{ObsDim: 1, ActDim: 1, MaxAction: 2, BatchSize: 4, Steps: 100})
	if err := a.Prepare(buf); err != nil {
		t.Fatal(err)
	}
	// Returns 2 and 5: the scale is 1000/3.
	batch := buf.NewBatch(4)
	rng := rand.New(rand.NewPCG(8, 8))
	buf.Sample(rng, batch)
	for k, i := range batch.Indices {
		if want := rows[i].Reward * 1000 / 3; math.Abs(float64(batch.Rewards[k]-want)) > 1e-3 {
			t.Errorf("row %d reward %v, want %v", i, batch.Rewards[k], want)
		}
		want := min(max(rows[i].Action[0]/2, -(1-1e-5)), 1-1e-5)
		if batch.Actions[k] != want {
			t.Errorf("row %d action %v, want %v", i, batch.Actions[k], want)
		}
	}
}

// BenchmarkUpdate measures one IQL iteration (value, actor, critic and
// target steps) at the paper's sizes on a HalfCheetah-shaped problem
// (obs 17, act 6, batch 256, 256-256 networks), the unit the PyTorch
// reference times.
func BenchmarkUpdate(b *testing.B) {
	// Products use as many goroutines as the benchmark's -cpu, as PyTorch
	// uses its --threads.
	nn.UseThreads(runtime.GOMAXPROCS(0))
	defer nn.UseThreads(1)
	rng := rand.New(rand.NewPCG(1, 2))
	buf := agenttest.RandomBuffer(rng, 100_000, 17, 6)
	agent, err := New(DefaultConfig(), Spec{ObsDim: 17, ActDim: 6, MaxAction: 1, BatchSize: 256, Steps: 1_000_000}, rng)
	if err != nil {
		b.Fatal(err)
	}
	agenttest.BenchmarkUpdates(b, agent, buf, rng, 256, 20)
}

// In steady state an update allocates nothing.
func TestUpdateDoesNotAllocate(t *testing.T) {
	if race.Enabled {
		t.Skip("-race makes sync.Pool drop items, so pooled scratch is made again")
	}
	for _, dims := range [][2]int{{3, 1}, {2, 1}, {5, 2}, {17, 6}} {
		rng := rand.New(rand.NewPCG(3, 3))
		buf := agenttest.RandomBuffer(rng, 500, dims[0], dims[1])
		a := newAgent(t, smallConfig(), Spec{ObsDim: dims[0], ActDim: dims[1], MaxAction: 1,
			BatchSize: 32, Steps: 1000})
		if n := agenttest.UpdateAllocs(t, a, buf, rng, 32, 1); n != 0 {
			t.Errorf("obs %d, act %d: %v allocations per update, want 0", dims[0], dims[1], n)
		}
	}
}
