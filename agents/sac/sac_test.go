package sac

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"offrl/agents/agenttest"
	"offrl/internal/race"
	"offrl/nn"
	"offrl/policies"
	"offrl/replay"
)

func smallConfig() Config {
	c := DefaultConfig()
	c.Hidden = []int{16, 16}
	return c
}

func newAgent(t testing.TB, cfg Config, spec Spec, seed uint64) *Agent {
	t.Helper()
	a, err := New(cfg, spec, rand.New(rand.NewPCG(seed, seed)))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The log-density of a = tanh(u), u ~ N(μ, σ²), is the derivative of its
// distribution function P(tanh U ≤ a) = Φ((atanh a − μ)/σ); LogProb must
// agree with a central difference of it.
func TestLogProbMatchesNumericalDensity(t *testing.T) {
	phi := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	for _, tc := range []struct{ mu, logStd, u float64 }{
		{0, 0, 0.3}, {0.5, -1, 0.2}, {-1, 0.5, -2.5}, {2, -2, 2.4}, {0, 1, -0.01},
	} {
		sigma := math.Exp(tc.logStd)
		eps := (tc.u - tc.mu) / sigma
		a, h := math.Tanh(tc.u), 1e-6
		cdf := func(a float64) float64 { return phi((math.Atanh(a) - tc.mu) / sigma) }
		want := math.Log((cdf(a+h) - cdf(a-h)) / (2 * h))
		if got := LogProb(tc.u, eps, tc.logStd); math.Abs(got-want) > 1e-4 {
			t.Errorf("LogProb(u=%v, μ=%v, log σ=%v) = %v, numerical log-density %v",
				tc.u, tc.mu, tc.logStd, got, want)
		}
	}
}

// Far into the tails the naive log(1 − tanh(u)²) is log 0 = −Inf; the
// stable form must stay finite and match the asymptote 2·(log 2 − |u|).
func TestLogProbStaysFiniteForLargeU(t *testing.T) {
	for _, u := range []float64{20, -20, 60, -300} {
		naive := math.Log(1 - math.Tanh(u)*math.Tanh(u))
		got := LogProb(u, 0, 0) // ε = 0, log σ = 0: only the squash term varies
		want := -logSqrt2Pi - 2*(math.Ln2-math.Abs(u))
		if math.IsInf(got, 0) || math.IsNaN(got) || math.Abs(got-want) > 1e-9*math.Abs(want) {
			t.Errorf("LogProb(u=%v) = %v, want %v (the naive form gives %v)", u, got, want, naive)
		}
	}
}

// fillRandom gives every input of the actor graph a value and returns the
// observations it used.
func fillActorInputs(a *Agent, rng *rand.Rand, alpha float32) {
	for i := range a.actor.s.Data {
		a.actor.s.Data[i] = float32(rng.NormFloat64())
	}
	for i := range a.actor.eps.Data {
		a.actor.eps.Data[i] = float32(rng.NormFloat64())
		a.actor.alpha.Data[i] = alpha
	}
}

// The compiled actor graph's log π (float32, in the graph) must equal the
// float64 LogProb on the same μ, σ and ε that the critic target uses.
func TestActorGraphLogProbMatchesLogProb(t *testing.T) {
	spec := Spec{ObsDim: 3, ActDim: 2, MaxAction: 2, BatchSize: 8}
	a := newAgent(t, smallConfig(), spec, 1)
	fillActorInputs(a, rand.New(rand.NewPCG(2, 2)), 1)
	if err := a.actor.prog.Run(); err != nil {
		t.Fatal(err)
	}
	f := a.newPolicyForward(spec.BatchSize)
	h := f.trunk.Run(a.actor.s.Data, spec.BatchSize)
	mu, ls := f.mu.Run(h, spec.BatchSize), f.logStd.Run(h, spec.BatchSize)
	var want float64
	for k := range mu {
		eps := float64(a.actor.eps.Data[k])
		u := float64(mu[k]) + math.Exp(float64(ls[k]))*eps
		want += LogProb(u, eps, float64(ls[k]))
	}
	want /= float64(spec.BatchSize)
	if got := float64(a.actor.logPi.Scalar()); math.Abs(got-want) > 1e-4*(1+math.Abs(want)) {
		t.Fatalf("actor graph mean log π = %v, float64 LogProb gives %v", got, want)
	}
}

// The actor's gradient, derived by the graph, must agree with a central
// difference of its loss in a few parameters of each head and the trunk.
func TestActorGradientMatchesFiniteDifference(t *testing.T) {
	spec := Spec{ObsDim: 3, ActDim: 2, MaxAction: 2, BatchSize: 16}
	a := newAgent(t, smallConfig(), spec, 3)
	fillActorInputs(a, rand.New(rand.NewPCG(4, 4)), 0.7)
	loss := func() float64 {
		if err := a.actor.prog.Run(); err != nil {
			t.Fatal(err)
		}
		return float64(a.actor.loss.Scalar())
	}
	loss()
	for _, p := range []*nn.Param{a.muHead.Layers[0].B, a.logStdHead.Layers[0].B,
		a.logStdHead.Layers[0].W, a.trunk.Layers[0].W} {
		loss()
		grad := append([]float32(nil), p.Grad...)
		for _, j := range []int{0, len(p.Value) - 1} {
			orig, h := p.Value[j], float32(1e-2)
			p.Value[j] = orig + h
			up := loss()
			p.Value[j] = orig - h
			down := loss()
			p.Value[j] = orig
			num := (up - down) / (2 * float64(h))
			if math.Abs(num-float64(grad[j])) > 2e-3+0.05*math.Abs(num) {
				t.Errorf("∂L_π/∂%s[%d]: graph %v, finite difference %v", p.Name, j, grad[j], num)
			}
		}
	}
}

// constantCritic makes a network output c for every input.
func constantCritic(m *nn.MLP, c float32) {
	last := m.Layers[len(m.Layers)-1]
	clear(last.W.Value)
	last.B.Value[0] = c
}

func threeRowBuffer(t *testing.T) (*replay.Buffer, []replay.Transition) {
	buf := replay.New(3, 2, 1)
	rows := []replay.Transition{
		{Obs: []float32{0, 0}, Action: []float32{0}, NextObs: []float32{1, 1}, Reward: 1},
		{Obs: []float32{1, 1}, Action: []float32{0}, NextObs: []float32{2, 2}, Reward: 1,
			Timeout: true},
		{Obs: []float32{2, 2}, Action: []float32{0}, NextObs: []float32{3, 3}, Reward: 1,
			Terminal: true},
	}
	for _, r := range rows {
		if err := buf.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	return buf, rows
}

// B39: only terminals stop the bootstrap. With target critics that return
// 10 everywhere, γ = 0.99, r = 1 and a negligible α the targets are 10.9
// for a mid-episode row, 10.9 for a time-limit row and 1.0 for a terminal
// row; with α = 1 the entropy bonus enters exactly where the mask is 1.
func TestCriticTargetBootstrapsThroughTimeouts(t *testing.T) {
	for _, alpha := range []float64{1e-30, 1} {
		cfg := smallConfig()
		cfg.InitAlpha = alpha
		a := newAgent(t, cfg, Spec{ObsDim: 2, ActDim: 1, MaxAction: 1, BatchSize: 32}, 1)
		constantCritic(a.q1Tgt, 10)
		constantCritic(a.q2Tgt, 10)
		buf, rows := threeRowBuffer(t)
		batch := buf.NewBatch(32)
		rng := rand.New(rand.NewPCG(2, 2))
		if err := buf.Sample(rng, batch); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Update(batch, rng); err != nil {
			t.Fatal(err)
		}
		mask := []float64{1, 1, 0}
		for k, i := range batch.Indices {
			want := 1 + 0.99*mask[i]*(10-alpha*float64(a.scratch.nextLogP[k]))
			if alpha < 1e-20 {
				want = []float64{10.9, 10.9, 1.0}[i]
			}
			if got := float64(a.critic.y.Data[k]); math.Abs(got-want) > 1e-5*math.Abs(want) {
				t.Errorf("α=%v row %d (terminal=%v timeout=%v): target %v, want %v",
					alpha, i, rows[i].Terminal, rows[i].Timeout, got, want)
			}
		}
	}
}

// The temperature moves towards the target entropy: up when the policy's
// entropy is below H̄, down when above.
func TestAlphaMovesTowardsTargetEntropy(t *testing.T) {
	spec := Spec{ObsDim: 3, ActDim: 2, MaxAction: 1, BatchSize: 32}
	data := agenttest.RandomBuffer(rand.New(rand.NewPCG(5, 5)), 300, 3, 2)
	for _, tc := range []struct {
		perDim float64
		up     bool
	}{{5, true}, {-20, false}} {
		cfg := smallConfig()
		cfg.TargetEntropyPerDim = tc.perDim
		a := newAgent(t, cfg, spec, 6)
		agenttest.Train(t, a, data, rand.New(rand.NewPCG(7, 7)), a.spec.BatchSize, 30)
		entropy := a.last["entropy"]
		if got := a.Alpha(); (got > 1) != tc.up || got == 1 {
			t.Errorf("H̄ = %v with entropy %v: α went from 1 to %v, want it to go %s",
				a.TargetEntropy(), entropy, got, map[bool]string{true: "up", false: "down"}[tc.up])
		}
	}
}

// A policy with diverged weights must report an error from Sample, not
// hand NaN to the environment or crash.
func TestSampleRefusesNaN(t *testing.T) {
	a := newAgent(t, smallConfig(), Spec{ObsDim: 3, ActDim: 1, MaxAction: 2, BatchSize: 4}, 1)
	rng := rand.New(rand.NewPCG(1, 2))
	act := make([]float64, 1)
	if err := a.Sample([]float64{0.1, 0.2, 0.3}, act, rng); err != nil ||
		math.Abs(act[0]) > 2 {
		t.Fatalf("Sample = %v, action %v; want a finite action in [−2, 2]", err, act)
	}
	if err := a.Sample([]float64{math.NaN(), 0, 0}, act, rng); err == nil {
		t.Error("Sample of a NaN observation gave no error")
	}
	a.muHead.Layers[0].B.Value[0] = float32(math.NaN())
	err := a.Sample([]float64{0.1, 0.2, 0.3}, act, rng)
	if err == nil || !strings.Contains(err.Error(), "action[0]") {
		t.Fatalf("Sample with NaN weights = %v, want an error naming action[0]", err)
	}
}

// Act is the deterministic max_action·tanh(μ(s)); Sample spreads around it.
func TestActIsTheSquashedMean(t *testing.T) {
	a := newAgent(t, smallConfig(), Spec{ObsDim: 3, ActDim: 2, MaxAction: 2, BatchSize: 4}, 9)
	obs := []float64{0.3, -0.2, 0.5}
	got := make([]float64, 2)
	a.Act(obs, got)
	f := a.newPolicyForward(1)
	x := []float32{0.3, -0.2, 0.5}
	mu := f.mu.Run(f.trunk.Run(x, 1), 1)
	for i := range got {
		if want := 2 * math.Tanh(float64(mu[i])); got[i] != want {
			t.Errorf("Act[%d] = %v, want 2·tanh(μ) = %v", i, got[i], want)
		}
	}
}

func paramsEqual(t *testing.T, a, b *Agent) {
	t.Helper()
	pa, pb := a.allParams(), b.allParams()
	for i, p := range pa {
		for j := range p.Value {
			if math.Float32bits(p.Value[j]) != math.Float32bits(pb[i].Value[j]) {
				t.Fatalf("%s[%d]: %v vs %v", p.Name, j, p.Value[j], pb[i].Value[j])
			}
		}
	}
	for i, o := range a.optims() {
		prefix := o.Prefix
		oa, ob := o.State.(*nn.Adam), b.optims()[i].State.(*nn.Adam)
		for i := range oa.M {
			for j := range oa.M[i] {
				if oa.M[i][j] != ob.M[i][j] || oa.V[i][j] != ob.V[i][j] {
					t.Fatalf("%s moments differ at %d/%d", prefix, i, j)
				}
			}
		}
		if oa.Step != ob.Step {
			t.Fatalf("%s steps %d vs %d", prefix, oa.Step, ob.Step)
		}
	}
	if a.totalIt != b.totalIt {
		t.Fatalf("iterations %d vs %d", a.totalIt, b.totalIt)
	}
}

// Saving after k updates, loading into a fresh agent and continuing gives
// exactly the weights, log α and Adam moments of an uninterrupted run (B20).
func TestSaveLoadContinuesBitIdentically(t *testing.T) {
	spec := Spec{ObsDim: 3, ActDim: 2, MaxAction: 2, BatchSize: 16}
	data := agenttest.RandomBuffer(rand.New(rand.NewPCG(5, 5)), 200, 3, 2)
	straight := newAgent(t, smallConfig(), spec, 7)
	agenttest.Train(t, straight, data, rand.New(rand.NewPCG(9, 9)), straight.spec.BatchSize, 25)

	first := newAgent(t, smallConfig(), spec, 7)
	rng := rand.New(rand.NewPCG(9, 9))
	agenttest.Train(t, first, data, rng, first.spec.BatchSize, 11)
	dir := t.TempDir()
	if err := first.Save(dir); err != nil {
		t.Fatal(err)
	}
	resumed := newAgent(t, smallConfig(), spec, 100)
	if err := resumed.Load(dir); err != nil {
		t.Fatal(err)
	}
	agenttest.Train(t, resumed, data, rng, resumed.spec.BatchSize, 14)
	paramsEqual(t, straight, resumed)
}

func TestLoadRejectsOtherAgentsAndMissingFiles(t *testing.T) {
	a := newAgent(t, smallConfig(), Spec{ObsDim: 3, ActDim: 2, MaxAction: 1, BatchSize: 4}, 1)
	if err := a.Load(t.TempDir()); err == nil {
		t.Fatal("Load of an empty directory succeeded")
	}
	dir := t.TempDir()
	if err := a.Save(dir); err != nil {
		t.Fatal(err)
	}
	wider := newAgent(t, smallConfig(), Spec{ObsDim: 4, ActDim: 2, MaxAction: 1, BatchSize: 4}, 1)
	if err := wider.Load(dir); err == nil {
		t.Fatal("an agent with 4-wide observations loaded a 3-wide checkpoint")
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
		{"actor lr", func(c *Config) { c.ActorLR = math.NaN() }, "actor_lr"},
		{"alpha lr", func(c *Config) { c.AlphaLR = -1 }, "alpha_lr"},
		{"init alpha", func(c *Config) { c.InitAlpha = 0 }, "init_alpha"},
		{"entropy", func(c *Config) { c.TargetEntropyPerDim = math.Inf(-1) }, "target_entropy"},
		{"log std", func(c *Config) { c.LogStdMin = 3 }, "log_std_min"},
		{"hidden", func(c *Config) { c.Hidden = []int{256, 0} }, "hidden[1]"},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		tt.mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.key) {
			t.Errorf("%s: Validate() = %v, want an error naming %q", tt.name, err, tt.key)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("DefaultConfig().Validate() = %v", err)
	}
}

// In steady state an update allocates nothing.
func TestUpdateDoesNotAllocate(t *testing.T) {
	if race.Enabled {
		t.Skip("-race makes sync.Pool drop items, so pooled scratch is made again")
	}
	for _, dims := range [][2]int{{3, 1}, {5, 2}, {11, 3}} {
		rng := rand.New(rand.NewPCG(3, 3))
		buf := agenttest.RandomBuffer(rng, 500, dims[0], dims[1])
		a := newAgent(t, smallConfig(), Spec{ObsDim: dims[0], ActDim: dims[1], MaxAction: 1,
			BatchSize: 32}, 3)
		if n := agenttest.UpdateAllocs(t, a, buf, rng, 32, 1); n != 0 {
			t.Errorf("obs %d, act %d: %v allocations per update, want 0", dims[0], dims[1], n)
		}
	}
}

// BenchmarkUpdate measures one SAC iteration at the standard sizes on a
// Hopper-shaped problem (obs 11, act 3, batch 256, 256-256 networks).
func BenchmarkUpdate(b *testing.B) {
	nn.UseThreads(runtime.GOMAXPROCS(0))
	defer nn.UseThreads(1)
	rng := rand.New(rand.NewPCG(1, 2))
	buf := agenttest.RandomBuffer(rng, 100_000, 11, 3)
	a := newAgent(b, DefaultConfig(), Spec{ObsDim: 11, ActDim: 3, MaxAction: 1,
		BatchSize: 256}, 1)
	agenttest.BenchmarkUpdates(b, a, buf, rng, 256, 20)
}

// A policy file acts exactly as the agent it came from: the same mean
// action, and the same samples from the same random stream.
func TestSavePolicyActsAsTheAgent(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cfg := DefaultConfig()
	cfg.Hidden = []int{16, 16}
	a, err := New(cfg, Spec{ObsDim: 4, ActDim: 2, MaxAction: 2, BatchSize: 8}, rng)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "policy.safetensors")
	if err := a.SavePolicy(path); err != nil {
		t.Fatal(err)
	}
	b, err := policies.LoadTanhGaussian(path)
	if err != nil {
		t.Fatal(err)
	}
	obs := []float64{0.3, -1, 2, 0.5}
	x, y := make([]float64, 2), make([]float64, 2)
	a.Act(obs, x)
	b.Deterministic = true
	b.Act(obs, nil, y)
	if x[0] != y[0] || x[1] != y[1] {
		t.Fatalf("Act %v, policy file %v", x, y)
	}
	b.Deterministic = false
	for seed := range uint64(5) {
		if err := a.Sample(obs, x, rand.New(rand.NewPCG(seed, 2))); err != nil {
			t.Fatal(err)
		}
		b.Act(obs, rand.New(rand.NewPCG(seed, 2)), y)
		if x[0] != y[0] || x[1] != y[1] {
			t.Fatalf("Sample %v, policy file %v", x, y)
		}
	}
	if b.Spec().MaxAction != 2 || b.Meta()["total_it"] != "0" {
		t.Fatalf("spec %+v meta %v", b.Spec(), b.Meta())
	}
	dir := t.TempDir()
	if err := a.Save(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := policies.LoadTanhGaussian(filepath.Join(dir, fileName)); err == nil ||
		!strings.Contains(err.Error(), "policy file") {
		t.Fatalf("a full checkpoint loaded as a policy file: %v", err)
	}
}
