package replay

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func fill(t *testing.T, b *Buffer, n int) {
	t.Helper()
	for i := range n {
		v := float32(i)
		err := b.Add(Transition{
			Obs: []float32{v, -v}, Action: []float32{v / 10}, NextObs: []float32{v + 1, -v - 1},
			Reward: v, Terminal: i%3 == 2, Timeout: i%3 == 1,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestSampleIsSeededAndConsistent(t *testing.T) {
	b := New(100, 2, 1)
	fill(t, b, 30)
	b1, b2 := b.NewBatch(64), b.NewBatch(64)
	if err := b.Sample(rand.New(rand.NewPCG(1, 2)), b1); err != nil {
		t.Fatal(err)
	}
	if err := b.Sample(rand.New(rand.NewPCG(1, 2)), b2); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b1.Indices, b2.Indices) || !slices.Equal(b1.Obs, b2.Obs) {
		t.Fatal("equal seeds gave different batches")
	}
	for k, i := range b1.Indices {
		if i >= 30 {
			t.Fatalf("sampled row %d of 30", i)
		}
		if b1.Obs[2*k] != float32(i) || b1.NextObs[2*k] != float32(i+1) || b1.Rewards[k] != float32(i) {
			t.Fatalf("row %d: obs %v next %v reward %v do not belong together",
				i, b1.Obs[2*k:2*k+2], b1.NextObs[2*k:2*k+2], b1.Rewards[k])
		}
	}
}

// Only terminals stop the bootstrap; a timeout row keeps mask 1 (B39).
func TestMaskUsesTerminalsOnly(t *testing.T) {
	b := New(3, 1, 1)
	rows := []Transition{
		{Obs: []float32{0}, Action: []float32{0}, NextObs: []float32{1}, Reward: 1},
		{Obs: []float32{1}, Action: []float32{0}, NextObs: []float32{2}, Reward: 1, Timeout: true},
		{Obs: []float32{2}, Action: []float32{0}, NextObs: []float32{3}, Reward: 1, Terminal: true},
	}
	for _, r := range rows {
		if err := b.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	batch := b.NewBatch(200)
	if err := b.Sample(rand.New(rand.NewPCG(3, 4)), batch); err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 1, 0}
	for k, i := range batch.Indices {
		if batch.Mask[k] != want[i] {
			t.Fatalf("row %d mask %v, want %v", i, batch.Mask[k], want[i])
		}
	}
}

func TestRingOverwritesOldest(t *testing.T) {
	b := New(4, 2, 1)
	fill(t, b, 6)
	if b.Len() != 4 {
		t.Fatalf("Len = %d, want 4", b.Len())
	}
	got := []float32{b.obs[0], b.obs[2], b.obs[4], b.obs[6]}
	if !slices.Equal(got, []float32{4, 5, 2, 3}) {
		t.Fatalf("stored obs %v, want [4 5 2 3]", got)
	}
}

func TestAddRejectsBadInput(t *testing.T) {
	b := New(4, 2, 1)
	tests := []struct {
		name string
		tr   Transition
	}{
		{"short obs", Transition{Obs: []float32{1}, Action: []float32{0}, NextObs: []float32{0, 0}}},
		{"NaN action", Transition{Obs: []float32{1, 2}, Action: []float32{float32(math.NaN())}, NextObs: []float32{0, 0}}},
		{"Inf reward", Transition{Obs: []float32{1, 2}, Action: []float32{0}, NextObs: []float32{0, 0},
			Reward: float32(math.Inf(1))}},
	}
	for _, tt := range tests {
		if err := b.Add(tt.tr); err == nil {
			t.Errorf("%s: Add accepted it", tt.name)
		}
	}
	if b.Len() != 0 {
		t.Fatalf("Len = %d after rejected adds, want 0", b.Len())
	}
}

func TestStateStatsAndNormalize(t *testing.T) {
	b := New(10, 2, 1)
	fill(t, b, 4) // obs column 0 = 0,1,2,3
	mean, std := b.StateStats(1e-3)
	if mean[0] != 1.5 || mean[1] != -1.5 {
		t.Fatalf("mean %v, want [1.5 -1.5]", mean)
	}
	wantStd := float32(math.Sqrt(1.25) + 1e-3)
	if math.Abs(float64(std[0]-wantStd)) > 1e-6 {
		t.Fatalf("std %v, want %v", std[0], wantStd)
	}
	b.NormalizeStates(mean, std)
	if got := b.obs[0]; math.Abs(float64(got-(-1.5/wantStd))) > 1e-6 {
		t.Fatalf("normalised obs %v, want %v", got, -1.5/wantStd)
	}
}

func BenchmarkSample256(b *testing.B) {
	buf := New(1_000_000, 17, 6)
	rng := rand.New(rand.NewPCG(1, 1))
	tr := Transition{Obs: make([]float32, 17), Action: make([]float32, 6), NextObs: make([]float32, 17)}
	for range 100_000 {
		buf.Add(tr)
	}
	batch := buf.NewBatch(256)
	b.ReportAllocs()
	for b.Loop() {
		buf.Sample(rng, batch)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "batches/s")
}
