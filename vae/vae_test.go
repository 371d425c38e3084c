package vae

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"offrl/internal/race"

	"offrl/nn"
)

func small() Config {
	c := DefaultConfig()
	c.Hidden = []int{32, 32}
	return c
}

func newVAE(t *testing.T, cfg Config, spec Spec) *VAE {
	t.Helper()
	v, err := New(cfg, spec, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The loss terms equal their definitions computed by hand from the
// encoder's outputs and the decoder's reconstruction.
func TestLossTermsMatchHandComputation(t *testing.T) {
	spec := Spec{ObsDim: 3, ActDim: 2, MaxAction: 2, BatchSize: 5}
	v := newVAE(t, small(), spec)
	rng := rand.New(rand.NewPCG(2, 2))
	s := make([]float32, 5*3)
	a := make([]float32, 5*2)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	for i := range a {
		a[i] = float32(2*rng.Float64() - 1)
	}
	w := []float32{1, 0, 2, 1, 0.5}
	l, err := v.Update(s, a, w, rng)
	if err != nil {
		t.Fatal(err)
	}
	// Recompute from the graph's own μ, log σ and â (values before the step).
	var recon, kl float64
	hat, mu, ls := v.train.out.Value(), v.train.mean.Value(), v.train.logStd.Value()
	for i := range 5 {
		for j := range 2 {
			d := float64(hat[i*2+j] - a[i*2+j])
			recon += float64(w[i]) * d * d / 10
		}
	}
	for k := range mu {
		lv := 2 * float64(ls[k])
		kl += -0.5 * (1 + lv - float64(mu[k])*float64(mu[k]) - math.Exp(lv)) / float64(len(mu))
	}
	if math.Abs(l.Recon-recon) > 1e-5*(1+recon) {
		t.Errorf("recon %v, hand-computed %v", l.Recon, recon)
	}
	if math.Abs(l.KL-kl) > 1e-5*(1+kl) {
		t.Errorf("KL %v, hand-computed %v", l.KL, kl)
	}
	if want := recon + 0.5*kl; math.Abs(l.Loss-want) > 1e-5*(1+want) {
		t.Errorf("loss %v, want recon + ½·KL = %v", l.Loss, want)
	}
}

// Trained on a deterministic behaviour a = 0.8·tanh(s₀ − s₁) (max action
// 1), the VAE's samples without the encoder must come close to it.
func TestLearnsBehaviour(t *testing.T) {
	spec := Spec{ObsDim: 2, ActDim: 1, MaxAction: 1, BatchSize: 64}
	v := newVAE(t, small(), spec)
	rng := rand.New(rand.NewPCG(3, 3))
	s := make([]float32, 64*2)
	a := make([]float32, 64)
	behaviour := func(s []float32) float32 { return float32(0.8 * math.Tanh(float64(s[0]-s[1]))) }
	fill := func() {
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		for i := range a {
			a[i] = behaviour(s[2*i : 2*i+2])
		}
	}
	var first, last float64
	for it := range 2000 {
		fill()
		l, err := v.Update(s, a, nil, rng)
		if err != nil {
			t.Fatal(err)
		}
		if it == 0 {
			first = l.Recon
		}
		last = l.Recon
	}
	fill()
	out := v.Sample(s, 64, rng)
	var mse float64
	for i := range 64 {
		d := float64(out[i] - a[i])
		mse += d * d / 64
	}
	t.Logf("recon %.4f → %.4f; sampled actions' squared error %.4f", first, last, mse)
	if mse > 0.02 || last > first/5 {
		t.Errorf("recon %.4f → %.4f, sample error %.4f: did not learn the behaviour",
			first, last, mse)
	}
}

// A zero weight removes a row from the reconstruction: A2PR's mask.
func TestZeroWeightsIgnoreRows(t *testing.T) {
	spec := Spec{ObsDim: 2, ActDim: 1, MaxAction: 1, BatchSize: 4}
	v := newVAE(t, small(), spec)
	s := []float32{0, 0, 1, 1, 2, 2, 3, 3}
	a := []float32{0.1, 0.2, 0.3, 0.4}
	rng := rand.New(rand.NewPCG(4, 4))
	l, err := v.Update(s, a, []float32{0, 0, 0, 0}, rng)
	if err != nil {
		t.Fatal(err)
	}
	if l.Recon != 0 {
		t.Errorf("recon with all weights 0 = %v, want 0", l.Recon)
	}
}

func TestRoundTrip(t *testing.T) {
	spec := Spec{ObsDim: 2, ActDim: 1, MaxAction: 1, BatchSize: 4}
	v := newVAE(t, small(), spec)
	rng := rand.New(rand.NewPCG(5, 5))
	s := []float32{0, 0, 1, 1, 2, 2, 3, 3}
	a := []float32{0.1, 0.2, 0.3, 0.4}
	for range 3 {
		if _, err := v.Update(s, a, nil, rng); err != nil {
			t.Fatal(err)
		}
	}
	ts, meta := v.Tensors("vae_optim")
	w, err := New(small(), spec, rand.New(rand.NewPCG(9, 9)))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Restore("vae_optim", ts, meta); err != nil {
		t.Fatal(err)
	}
	r1, r2 := rand.New(rand.NewPCG(6, 6)), rand.New(rand.NewPCG(6, 6))
	l1, _ := v.Update(s, a, nil, r1)
	l2, _ := w.Update(s, a, nil, r2)
	if l1 != l2 {
		t.Errorf("after restore: %+v, original %+v", l2, l1)
	}
	delete(meta, "vae_optim.latent_dim")
	if err := w.Restore("vae_optim", ts, meta); err == nil ||
		!strings.Contains(err.Error(), "latent_dim") {
		t.Errorf("restore without latent_dim: %v", err)
	}
}

func TestValidateNamesKey(t *testing.T) {
	tests := []struct {
		mutate func(*Config)
		key    string
	}{
		{func(c *Config) { c.Hidden = nil }, "vae.hidden"},
		{func(c *Config) { c.LatentDim = -1 }, "vae.latent_dim"},
		{func(c *Config) { c.LR = 0 }, "vae.lr"},
		{func(c *Config) { c.KLWeight = math.Inf(1) }, "vae.kl_weight"},
		{func(c *Config) { c.LogStdMax = -5 }, "vae.log_std_min"},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		tt.mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.key) {
			t.Errorf("err %v, want one naming %s", err, tt.key)
		}
	}
}

// BenchmarkUpdate measures one VAE step at the reference sizes (obs 17,
// act 6, latent 12, 750-750 encoder and decoder, batch 256), the unit the
// PyTorch reference times.
func BenchmarkUpdate(b *testing.B) {
	// Products use as many goroutines as the benchmark's -cpu, as PyTorch
	// uses its --threads.
	nn.UseThreads(runtime.GOMAXPROCS(0))
	defer nn.UseThreads(1)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 100_000
	states := make([]float32, n*17)
	actions := make([]float32, n*6)
	for i := range states {
		states[i] = float32(rng.NormFloat64())
	}
	for i := range actions {
		actions[i] = float32(2*rng.Float64() - 1)
	}
	v, err := New(DefaultConfig(), Spec{ObsDim: 17, ActDim: 6, MaxAction: 1, BatchSize: 256}, rng)
	if err != nil {
		b.Fatal(err)
	}
	s, a := make([]float32, 256*17), make([]float32, 256*6)
	sample := func() {
		for k := range 256 {
			i := rng.IntN(n)
			copy(s[k*17:(k+1)*17], states[i*17:(i+1)*17])
			copy(a[k*6:(k+1)*6], actions[i*6:(i+1)*6])
		}
	}
	for range 20 {
		sample()
		v.Update(s, a, nil, rng)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		sample()
		if _, err := v.Update(s, a, nil, rng); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
}

// In steady state a training step allocates nothing.
func TestUpdateDoesNotAllocate(t *testing.T) {
	if race.Enabled {
		t.Skip("-race makes sync.Pool drop items, so pooled scratch is made again")
	}
	spec := Spec{ObsDim: 2, ActDim: 1, MaxAction: 1, BatchSize: 4}
	v := newVAE(t, small(), spec)
	rng := rand.New(rand.NewPCG(5, 5))
	s := []float32{0, 0, 1, 1, 2, 2, 3, 3}
	a := []float32{0.1, 0.2, 0.3, 0.4}
	w := []float32{1, 0, 1, 1}
	step := func() {
		if _, err := v.Update(s, a, w, rng); err != nil {
			t.Fatal(err)
		}
	}
	step()
	if n := testing.AllocsPerRun(50, step); n != 0 {
		t.Errorf("%v allocations per step, want 0", n)
	}
}

// Trained on a behaviour that picks a = +0.6 or a = −0.6 (plus noise of
// std 0.05) by a fair coin independent of the state, the VAE's samples
// without the encoder must reproduce both modes: a decoder that ignored z
// would put every sample near the conditional mean 0, between the modes.
func TestSamplesReproduceBimodalBehaviour(t *testing.T) {
	const batch, mode, noise = 64, 0.6, 0.05
	spec := Spec{ObsDim: 2, ActDim: 1, MaxAction: 1, BatchSize: batch}
	v := newVAE(t, small(), spec)
	rng := rand.New(rand.NewPCG(7, 7))
	s := make([]float32, batch*2)
	a := make([]float32, batch)
	fillStates := func() {
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
	}
	for range 4000 {
		fillStates()
		for i := range a {
			m := float64(mode)
			if rng.IntN(2) == 0 {
				m = -m
			}
			a[i] = float32(m + noise*rng.NormFloat64())
		}
		if _, err := v.Update(s, a, nil, rng); err != nil {
			t.Fatal(err)
		}
	}
	// Share of samples within 0.2 of each mode, and strictly between
	// the modes' neighbourhoods (|a| < 0.3), over fresh states.
	var pos, neg, mid, total int
	for range 50 {
		fillStates()
		for _, x := range v.Sample(s, batch, rng) {
			switch d := float64(x); {
			case math.Abs(d-mode) < 0.2:
				pos++
			case math.Abs(d+mode) < 0.2:
				neg++
			case math.Abs(d) < 0.3:
				mid++
			}
			total++
		}
	}
	share := func(n int) float64 { return float64(n) / float64(total) }
	t.Logf("%d samples: %.3f near +%.1f, %.3f near −%.1f, %.3f between (|a| < 0.3)",
		total, share(pos), mode, share(neg), mode, share(mid))
	if share(pos) < 0.25 || share(neg) < 0.25 || share(mid) > 0.25 {
		t.Errorf("shares +mode %.3f, −mode %.3f (want ≥ 0.25 each), between %.3f (want ≤ 0.25): "+
			"samples do not reproduce both modes", share(pos), share(neg), share(mid))
	}
}
