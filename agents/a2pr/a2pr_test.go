package a2pr

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
	c.ActorHidden = []int{16, 16, 16}
	c.CriticHidden = []int{16, 16, 16, 16}
	c.ValueHidden = []int{16, 16, 16, 16}
	c.VAE.Hidden = []int{16, 16}
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

// constantNet makes a network output c for every input.
func constantNet(m *nn.MLP, c float32) {
	last := m.Layers[len(m.Layers)-1]
	clear(last.W.Value)
	last.B.Value[0] = c
}

// linearInAction makes a critic on (s, a) rows output a₀ + k for actions
// in [−1, 1]: the first hidden unit carries a₀ + 10 (positive, so the
// ReLUs pass it), every other unit is 0.
func linearInAction(m *nn.MLP, obsDim int, k float32) {
	for i, l := range m.Layers {
		clear(l.W.Value)
		clear(l.B.Value)
		switch {
		case i == 0:
			l.W.Value[obsDim*l.Out] = 1 // row a₀, column 0
			l.B.Value[0] = 10
		case i == len(m.Layers)-1:
			l.W.Value[0] = 1
			l.B.Value[0] = k - 10
		default:
			l.W.Value[0] = 1
		}
	}
}

// handBatch builds a batch of n rows of random states and actions in
// [−1, 1]; row i's terminal flag is terminal(i).
func handBatch(rng *rand.Rand, n, od, ad int, reward func(i int) float32,
	terminal func(i int) bool) *replay.Batch {
	buf := replay.New(n, od, ad)
	b := buf.NewBatch(n)
	for i := range n {
		for j := range od {
			b.Obs[i*od+j], b.NextObs[i*od+j] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		for j := range ad {
			b.Actions[i*ad+j] = float32(2*rng.Float64() - 1)
		}
		b.Rewards[i] = reward(i)
		b.Mask[i] = 1
		if terminal(i) {
			b.Mask[i] = 0
		}
		b.Indices[i] = i
	}
	return b
}

// B39: only terminals stop the bootstrap, in both TD targets. Rows
// (r=1, mid-episode), (r=1, time-limit end), (r=1, terminal), γ = 0.99:
// with the target critics stubbed to 10 (and the online ones far above),
// the critic target y and the value target t = min(y2, y) are 10.9, 10.9
// and 1.0; with the online critics stubbed to 10 (and the targets far
// above) the value target, now the online critic's TD target, is the same.
func TestTargetsBootstrapThroughTimeouts(t *testing.T) {
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
	want := []float64{10.9, 10.9, 1.0}
	far := []float64{991.0, 991.0, 1.0} // 1 + 0.99·1000
	for _, tc := range []struct {
		name           string
		target, online float32
		wantY, wantT   []float64
	}{
		{"target critics 10", 10, 1000, want, want},
		{"online critics 10", 1000, 10, far, want},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := smallConfig()
			cfg.CriticLR = 1e-12 // the online critics keep their stub through step 1
			a := newAgent(t, cfg, Spec{ObsDim: 2, ActDim: 1, MaxAction: 1, BatchSize: 32}, 1)
			constantNet(a.q1Tgt, tc.target)
			constantNet(a.q2Tgt, tc.target)
			constantNet(a.q1, tc.online)
			constantNet(a.q2, tc.online)
			batch := buf.NewBatch(32)
			rng := rand.New(rand.NewPCG(2, 2))
			if err := buf.Sample(rng, batch); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Update(batch, rng); err != nil {
				t.Fatal(err)
			}
			for k, i := range batch.Indices {
				y, v := float64(a.scratch.y[k]), float64(a.val.t.Data[k])
				if math.Abs(y-tc.wantY[i]) > 1e-4 || math.Abs(v-tc.wantT[i]) > 1e-4 {
					t.Errorf("row %d (terminal=%v timeout=%v): critic target %v, value target %v; want %v, %v",
						i, rows[i].Terminal, rows[i].Timeout, y, v, tc.wantY[i], tc.wantT[i])
				}
			}
		})
	}
}

// The per-sample rule on hand-picked values: ties go to ã, the weight is a
// sum of two indicators (2·mask when both hold, not mask), and the VAE
// indicator is ≥ while the data indicator is strict.
func TestSelectTarget(t *testing.T) {
	const m = 0.4
	g := nn.NewGraph()
	qVAE, qData, v := g.Input("q_vae", 1, 1), g.Input("q_data", 1, 1), g.Input("v", 1, 1)
	selNode, cNode := selectTarget(qVAE.Node, qData.Node, v.Node, m)
	prog, err := g.Compile(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name           string
		qVAE, qData, v float32
		wantVAE, wantC float32
	}{
		{"both positive, vae better", 3, 2, 1, 1, 2 * m},
		{"both positive, data better", 2, 3, 1, 0, 2 * m},
		{"neither", 0.5, 0.2, 1, 1, 0},
		{"neither, data better", 0.2, 0.5, 1, 0, 0},
		{"only data positive", 0.5, 2, 1, 0, m},
		{"only vae positive", 2, 0.5, 1, 1, m},
		{"tie goes to vae", 2, 2, 1, 1, 2 * m},
		{"Q1(s,ã) = V counts, Q1(s,a) = V does not", 1, 1, 1, 1, m},
	} {
		qVAE.Data[0], qData.Data[0], v.Data[0] = tc.qVAE, tc.qData, tc.v
		if err := prog.Run(); err != nil {
			t.Fatal(err)
		}
		sel, c := selNode.Value()[0], cNode.Value()[0]
		if sel != tc.wantVAE || math.Abs(float64(c-tc.wantC)) > 1e-7 {
			t.Errorf("%s: selection %v weight %v, want %v %v", tc.name, sel, c, tc.wantVAE, tc.wantC)
		}
	}
}

// On a hand-made batch with Q1(s, a) = a₀ and V ≡ 0 stubbed, the actor's
// selection, weights and L_bc match a float64 computation from the actor's
// output π_s and the VAE's ã, and the batch covers c = 0 and c = 2·mask
// and both choices of target.
func TestActorBCLossMatchesHandComputation(t *testing.T) {
	const od, ad, n = 3, 2, 64
	cfg := smallConfig()
	cfg.PolicyFreq, cfg.Mask = 1, 0.4
	cfg.CriticLR, cfg.ValueLR = 1e-12, 1e-12 // the stubs hold through steps 1 and 2
	a := newAgent(t, cfg, Spec{ObsDim: od, ActDim: ad, MaxAction: 1, BatchSize: n}, 3)
	linearInAction(a.q1, od, 0)
	constantNet(a.value, 0)
	rng := rand.New(rand.NewPCG(4, 4))
	batch := handBatch(rng, n, od, ad, func(int) float32 { return 0 }, func(int) bool { return false })
	if _, err := a.Update(batch, rng); err != nil {
		t.Fatal(err)
	}
	pi, recon := a.policy.pi.Value(), a.policy.recon.Value()
	var lbc, share, weight float64
	counts := map[string]int{}
	for i := range n {
		qVAE, qData := float64(recon[i*ad]), float64(batch.Actions[i*ad]) // Q1 = a₀, V = 0
		vaeChosen := qVAE >= qData
		c := 0.4 * (b2f(qVAE >= 0) + b2f(qData > 0))
		if a.policy.c.Value()[i] != float32(c) || (a.policy.selVAE.Value()[i] == 1) != vaeChosen {
			t.Fatalf("row %d: agent chose ã=%v with c=%v, want ã=%v c=%v", i,
				a.policy.selVAE.Value()[i], a.policy.c.Value()[i], vaeChosen, c)
		}
		counts[map[float64]string{0: "c=0", 0.4: "c=mask", 0.8: "c=2mask"}[c]]++
		counts[map[bool]string{true: "vae", false: "data"}[vaeChosen]]++
		share += b2f(vaeChosen) / n
		weight += c / n
		for j := range ad {
			target := float64(batch.Actions[i*ad+j])
			if vaeChosen {
				target = float64(recon[i*ad+j])
			}
			d := float64(pi[i*ad+j]) - target
			lbc += c * d * d / (n * ad)
		}
	}
	t.Logf("cases: %v", counts)
	for _, k := range []string{"c=0", "c=2mask", "vae", "data"} {
		if counts[k] == 0 {
			t.Errorf("the batch has no row with %s; the test covers too little", k)
		}
	}
	if got := float64(a.policy.bc.Scalar()); math.Abs(got-lbc) > 1e-5*math.Max(1, lbc) {
		t.Errorf("L_bc = %v, hand computation %v", got, lbc)
	}
	if got := a.last["adv_vae_share"]; math.Abs(got-share) > 1e-9 {
		t.Errorf("adv_vae_share = %v, want %v", got, share)
	}
	if got := a.last["bc_weight_mean"]; math.Abs(got-weight) > 1e-6 {
		t.Errorf("bc_weight_mean = %v, want %v", got, weight)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// actorGrads reruns the actor program on its current inputs and returns
// the loss and a copy of the actor's gradients.
func actorGrads(t *testing.T, a *Agent) (float64, [][]float32) {
	t.Helper()
	if err := a.policy.prog.Run(); err != nil {
		t.Fatal(err)
	}
	var gs [][]float32
	for _, p := range a.actor.Params() {
		gs = append(gs, append([]float32(nil), p.Grad...))
	}
	return float64(a.policy.loss.Scalar()), gs
}

// finiteDiff is the central difference of the actor program's loss in
// parameter p, element j.
func finiteDiff(t *testing.T, a *Agent, p, j int, h float32) float64 {
	t.Helper()
	v := a.actor.Params()[p].Value
	old := v[j]
	v[j] = old + h
	lp, _ := actorGrads(t, a)
	v[j] = old - h
	lm, _ := actorGrads(t, a)
	v[j] = old
	return (lp - lm) / float64(2*h)
}

// heldTargetDiff is the central difference, in actor parameter p, element
// j, of L_bc = mean_(b,j) c⊙(π(s) − â*)² with â* and c held at the actor
// program's last values (the loss of detach_target; −λ·mean Q1 is left
// out, so the critic must be constant), π(s) from a forward pass.
func heldTargetDiff(t *testing.T, a *Agent, p, j int, h float32) float64 {
	t.Helper()
	n, ad, q := a.spec.BatchSize, a.spec.ActDim, &a.policy
	recon := append([]float32(nil), q.recon.Value()...)
	sel := append([]float32(nil), q.selVAE.Value()...)
	c := append([]float32(nil), q.c.Value()...)
	f := a.actor.NewForward(n)
	loss := func() float64 {
		var l float64
		for k, x := range f.Run(q.s.Data, n) {
			i := k / ad
			target := float64(q.a.Data[k])
			if sel[i] == 1 {
				target = float64(recon[k])
			}
			d := float64(x)*a.spec.MaxAction - target
			l += float64(c[i]) * d * d / float64(n*ad)
		}
		return l
	}
	v := a.actor.Params()[p].Value
	old := v[j]
	v[j] = old + h
	lp := loss()
	v[j] = old - h
	lm := loss()
	v[j] = old
	return (lp - lm) / float64(2*h)
}

// The BC target ã = VAE(s, π(s)) is not detached by default: the actor's
// gradient includes the path through the VAE (and matches finite
// differences of the loss, which moves ã with π), and differs from the
// gradient with detach_target, which matches finite differences with ã
// held fixed. The critic is constant, so Q1(s, π) adds no gradient, and
// V ≡ 5 < Q1 ≡ 10 makes ã the target of every row with c = 2·mask.
func TestGradientReachesActorThroughVAE(t *testing.T) {
	const od, ad, n = 3, 2, 32
	spec := Spec{ObsDim: od, ActDim: ad, MaxAction: 1, BatchSize: n}
	mk := func(detach bool) *Agent {
		cfg := smallConfig()
		cfg.PolicyFreq, cfg.Mask, cfg.DetachTarget = 1, 1, detach
		cfg.CriticLR, cfg.ValueLR = 1e-12, 1e-12
		a := newAgent(t, cfg, spec, 5)
		constantNet(a.q1, 10)
		constantNet(a.q2, 10)
		constantNet(a.value, 5)
		// A steeper VAE (weights ×3) makes ∂ã/∂π of order one, so that
		// the path through it is clearly visible.
		for _, p := range a.vae.Params() {
			for i := range p.Value {
				p.Value[i] *= 3
			}
		}
		return a
	}
	full, det := mk(false), mk(true)
	batch := handBatch(rand.New(rand.NewPCG(6, 6)), n, od, ad, func(int) float32 { return 0 },
		func(int) bool { return false })
	if _, err := full.Update(batch, rand.New(rand.NewPCG(7, 7))); err != nil {
		t.Fatal(err)
	}
	if share := full.last["adv_vae_share"]; share != 1 {
		t.Fatalf("adv_vae_share = %v, want 1 (every row selects ã)", share)
	}
	// Give the detached agent the same weights and inputs (the same ε, so
	// the same ã).
	for _, p := range [][2]nn.Params{{det.actor.Params(), full.actor.Params()},
		{det.vae.Params(), full.vae.Params()}, {det.q1.Params(), full.q1.Params()}} {
		if err := p[0].CopyFrom(p[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, in := range [][2]*nn.Input{{det.policy.s, full.policy.s}, {det.policy.a, full.policy.a},
		{det.policy.eps, full.policy.eps}, {det.policy.qData, full.policy.qData},
		{det.policy.vs, full.policy.vs}} {
		copy(in[0].Data, in[1].Data)
	}
	lFull, gFull := actorGrads(t, full)
	lDet, gDet := actorGrads(t, det)
	if math.Abs(lFull-lDet) > 1e-5*math.Abs(lFull) {
		t.Fatalf("losses differ: %v (through VAE) vs %v (detached); the inputs are not the same",
			lFull, lDet)
	}
	var diff, norm float64
	for i := range gFull {
		for j := range gFull[i] {
			d := float64(gFull[i][j] - gDet[i][j])
			diff += d * d
			norm += float64(gDet[i][j]) * float64(gDet[i][j])
		}
	}
	t.Logf("|g_full − g_detached| / |g_detached| = %.3g", math.Sqrt(diff/norm))
	if math.Sqrt(diff/norm) < 0.01 {
		t.Errorf("gradient through ã is negligible: relative difference %.3g", math.Sqrt(diff/norm))
	}
	// Finite differences on the largest gradients of the last layer's
	// weights (every row contributes there).
	last := len(full.actor.Params()) - 2
	for _, c := range []struct {
		name string
		a    *Agent
		g    []float32
		fd   func(*testing.T, *Agent, int, int, float32) float64
	}{{"through VAE", full, gFull[last], finiteDiff}, {"detached", det, gDet[last], heldTargetDiff}} {
		j := 0
		for k, v := range c.g {
			if math.Abs(float64(v)) > math.Abs(float64(c.g[j])) {
				j = k
			}
		}
		fd := c.fd(t, c.a, last, j, 1e-3)
		t.Logf("%s: gradient %v, finite difference %v (through VAE %v, detached %v)",
			c.name, c.g[j], fd, gFull[last][j], gDet[last][j])
		if math.Abs(fd-float64(c.g[j])) > 0.01*math.Abs(fd)+1e-4 {
			t.Errorf("%s: gradient %v, finite difference %v", c.name, c.g[j], fd)
		}
	}
}

// The actor's advantages use V(s) from before the value step of the same
// iteration.
func TestActorUsesPreUpdateValue(t *testing.T) {
	const od, ad, n = 3, 1, 32
	cfg := smallConfig()
	cfg.PolicyFreq, cfg.ValueLR = 1, 0.05
	a := newAgent(t, cfg, Spec{ObsDim: od, ActDim: ad, MaxAction: 1, BatchSize: n}, 8)
	batch := handBatch(rand.New(rand.NewPCG(9, 9)), n, od, ad, func(int) float32 { return 3 },
		func(int) bool { return false })
	f := a.value.NewForward(n)
	before := append([]float32(nil), f.Run(batch.Obs, n)...)
	if _, err := a.Update(batch, rand.New(rand.NewPCG(10, 10))); err != nil {
		t.Fatal(err)
	}
	after := f.Run(batch.Obs, n)
	var moved float64
	for i := range n {
		if d := math.Abs(float64(a.scratch.vs[i] - before[i])); d > 1e-5 {
			t.Fatalf("row %d: V_s used %v, V before the step %v", i, a.scratch.vs[i], before[i])
		}
		moved = math.Max(moved, math.Abs(float64(after[i]-before[i])))
	}
	if moved < 1e-3 {
		t.Fatalf("the value step moved V by only %v; the test cannot tell before from after", moved)
	}
	// And the weights c were computed from it.
	for i := range n {
		qVAE, qData := float64(a.policy.qVAE.Value()[i]), float64(a.scratch.qData[i])
		c := float32(cfg.Mask * (b2f(qVAE >= float64(before[i])) + b2f(qData > float64(before[i]))))
		if math.Abs(float64(c-a.policy.c.Value()[i])) > 1e-7 {
			t.Errorf("row %d: weight %v, want %v from the pre-update V", i, a.policy.c.Value()[i], c)
		}
	}
}

func sameBits(t *testing.T, what string, x, y []float32) {
	t.Helper()
	for j := range x {
		if math.Float32bits(x[j]) != math.Float32bits(y[j]) {
			t.Fatalf("%s[%d]: %v vs %v", what, j, x[j], y[j])
		}
	}
}

func agentsEqual(t *testing.T, a, b *Agent) {
	t.Helper()
	pa, pb := append(nn.Params{}, a.vae.Params()...), append(nn.Params{}, b.vae.Params()...)
	for k, m := range a.nets() {
		pa, pb = append(pa, m.Params()...), append(pb, b.nets()[k].Params()...)
	}
	for i := range pa {
		sameBits(t, pa[i].Name, pa[i].Value, pb[i].Value)
	}
	type named struct {
		prefix string
		opt    *nn.Adam
	}
	oa := []named{{"actor", a.actorOpt}, {"critic", a.criticOpt}, {"value", a.valueOpt}, {"vae", a.vae.Optimizer()}}
	ob := []named{{"actor", b.actorOpt}, {"critic", b.criticOpt}, {"value", b.valueOpt}, {"vae", b.vae.Optimizer()}}
	for k := range oa {
		if oa[k].opt.Step != ob[k].opt.Step {
			t.Fatalf("%s step %d vs %d", oa[k].prefix, oa[k].opt.Step, ob[k].opt.Step)
		}
		for i := range oa[k].opt.M {
			sameBits(t, oa[k].prefix+" m", oa[k].opt.M[i], ob[k].opt.M[i])
			sameBits(t, oa[k].prefix+" v", oa[k].opt.V[i], ob[k].opt.V[i])
		}
	}
	sameBits(t, "state_mean", a.norm.Mean, b.norm.Mean)
	sameBits(t, "state_std", a.norm.Std, b.norm.Std)
	if a.totalIt != b.totalIt {
		t.Fatalf("total_it %d vs %d", a.totalIt, b.totalIt)
	}
}

// Saving after k updates (k odd, so the resumed run starts with an actor
// step), loading into a fresh agent and continuing gives exactly the state
// of an uninterrupted run (B20, agent side).
func TestSaveLoadContinuesBitIdentically(t *testing.T) {
	spec := Spec{ObsDim: 3, ActDim: 2, MaxAction: 2, BatchSize: 16}
	data := agenttest.RandomBuffer(rand.New(rand.NewPCG(5, 5)), 200, 3, 2)

	straight := newAgent(t, smallConfig(), spec, 7)
	if err := straight.Prepare(data); err != nil {
		t.Fatal(err)
	}
	rngA := rand.New(rand.NewPCG(9, 9))
	agenttest.Train(t, straight, data, rngA, straight.spec.BatchSize, 25)

	first := newAgent(t, smallConfig(), spec, 7)
	first.norm = straight.norm
	rngB := rand.New(rand.NewPCG(9, 9))
	agenttest.Train(t, first, data, rngB, first.spec.BatchSize, 11)
	dir := t.TempDir()
	if err := first.Save(dir); err != nil {
		t.Fatal(err)
	}
	resumed := newAgent(t, smallConfig(), spec, 100)
	if err := resumed.Load(dir); err != nil {
		t.Fatal(err)
	}
	agenttest.Train(t, resumed, data, rngB, resumed.spec.BatchSize, 14)
	agentsEqual(t, straight, resumed)
	for _, k := range straight.MetricNames() {
		if straight.last[k] != resumed.last[k] {
			t.Errorf("metric %s: %v vs %v", k, straight.last[k], resumed.last[k])
		}
	}
}

func TestLoadRejectsMissingCheckpoint(t *testing.T) {
	a := newAgent(t, smallConfig(), Spec{ObsDim: 3, ActDim: 2, MaxAction: 1, BatchSize: 4}, 1)
	if err := a.Load(t.TempDir()); err == nil {
		t.Fatal("Load of an empty directory succeeded")
	}
}

func TestConfigValidateNamesKey(t *testing.T) {
	tests := []struct {
		mutate func(*Config)
		key    string
	}{
		{func(c *Config) { c.Gamma = 1.5 }, "gamma"},
		{func(c *Config) { c.Tau = 0 }, "tau"},
		{func(c *Config) { c.PolicyFreq = 0 }, "policy_freq"},
		{func(c *Config) { c.Alpha = math.NaN() }, "alpha"},
		{func(c *Config) { c.Mask = -1 }, "mask"},
		{func(c *Config) { c.VAEWeight = math.Inf(1) }, "vae_weight"},
		{func(c *Config) { c.ValueLR = 0 }, "value_lr"},
		{func(c *Config) { c.ActorHidden = []int{256, 0} }, "actor_hidden[1]"},
		{func(c *Config) { c.CriticHidden = nil }, "critic_hidden"},
		{func(c *Config) { c.VAE.LR = 0 }, "vae.lr"},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		tt.mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.key) {
			t.Errorf("Validate() = %v, want an error naming %q", err, tt.key)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// Sample stays within the bounds and around Act's action.
func TestSampleAddsBoundedNoise(t *testing.T) {
	a := newAgent(t, smallConfig(), Spec{ObsDim: 3, ActDim: 2, MaxAction: 2, BatchSize: 4}, 1)
	rng := rand.New(rand.NewPCG(1, 2))
	obs := []float64{0.1, -0.2, 0.3}
	act, smp := make([]float64, 2), make([]float64, 2)
	a.Act(obs, act)
	var differ bool
	for range 100 {
		if err := a.Sample(obs, smp, rng); err != nil {
			t.Fatal(err)
		}
		for i := range smp {
			if math.Abs(smp[i]) > 2 || math.Abs(smp[i]-act[i]) > 2*0.1*2*6 {
				t.Fatalf("sample %v, act %v", smp, act)
			}
			differ = differ || smp[i] != act[i]
		}
	}
	if !differ {
		t.Error("Sample never differs from Act")
	}
	if err := a.Sample([]float64{math.NaN(), 0, 0}, smp, rng); err == nil {
		t.Error("Sample accepted a NaN observation")
	}
}

// BenchmarkUpdate measures one A2PR iteration at the reference sizes on a
// Hopper-shaped problem (obs 11, act 3, batch 256; actor 256×3, critics
// and value 256×4, VAE 750-750).
func BenchmarkUpdate(b *testing.B) {
	nn.UseThreads(runtime.GOMAXPROCS(0))
	defer nn.UseThreads(1)
	rng := rand.New(rand.NewPCG(1, 2))
	buf := agenttest.RandomBuffer(rng, 20_000, 11, 3)
	a := newAgent(b, DefaultConfig(), Spec{ObsDim: 11, ActDim: 3, MaxAction: 1, BatchSize: 256}, 1)
	agenttest.BenchmarkUpdates(b, a, buf, rng, 256, 4)
}

// In steady state an update allocates nothing.
func TestUpdateDoesNotAllocate(t *testing.T) {
	if race.Enabled {
		t.Skip("-race makes sync.Pool drop items, so pooled scratch is made again")
	}
	for _, dims := range [][2]int{{3, 1}, {5, 2}, {11, 3}} {
		rng := rand.New(rand.NewPCG(3, 3))
		buf := agenttest.RandomBuffer(rng, 500, dims[0], dims[1])
		for _, detach := range []bool{false, true} {
			cfg := smallConfig()
			cfg.DetachTarget = detach
			a := newAgent(t, cfg, Spec{ObsDim: dims[0], ActDim: dims[1], MaxAction: 1, BatchSize: 32}, 3)
			if n := agenttest.UpdateAllocs(t, a, buf, rng, 32, 2); n != 0 {
				t.Errorf("obs %d, act %d, detach %v: %v allocations per update, want 0",
					dims[0], dims[1], detach, n)
			}
		}
	}
}
