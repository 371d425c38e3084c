// Package agenttest holds the test helpers the agents share: random
// replay buffers, a training loop, the allocation count of an update and
// the update benchmark's loop.
package agenttest

import (
	"math/rand/v2"
	"testing"

	"offrl/agents"
	"offrl/replay"
)

// RandomBuffer returns n transitions of standard-normal observations and
// rewards and uniform actions in [−1, 1], with an episode end every 50
// rows.
func RandomBuffer(rng *rand.Rand, n, obsDim, actDim int) *replay.Buffer {
	buf := replay.New(n, obsDim, actDim)
	for i := range n {
		tr := replay.Transition{Obs: make([]float32, obsDim), Action: make([]float32, actDim),
			NextObs: make([]float32, obsDim), Reward: float32(rng.NormFloat64()), Terminal: i%50 == 49}
		for j := range tr.Obs {
			tr.Obs[j], tr.NextObs[j] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		for j := range tr.Action {
			tr.Action[j] = float32(2*rng.Float64() - 1)
		}
		buf.Add(tr)
	}
	return buf
}

// step samples a batch and updates a on it.
func step(t testing.TB, a agents.Agent, buf *replay.Buffer, rng *rand.Rand, batch *replay.Batch) {
	if err := buf.Sample(rng, batch); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Update(batch, rng); err != nil {
		t.Fatal(err)
	}
}

// Train runs n updates of a on batches of batchSize sampled from buf.
func Train(t testing.TB, a agents.Agent, buf *replay.Buffer, rng *rand.Rand, batchSize, n int) {
	t.Helper()
	batch := buf.NewBatch(batchSize)
	for range n {
		step(t, a, buf, rng, batch)
	}
}

// UpdateAllocs runs warm updates, then returns the allocations of one
// update on average over 50.
func UpdateAllocs(t testing.TB, a agents.Agent, buf *replay.Buffer, rng *rand.Rand, batchSize, warm int) float64 {
	t.Helper()
	batch := buf.NewBatch(batchSize)
	for range warm {
		step(t, a, buf, rng, batch)
	}
	return testing.AllocsPerRun(50, func() { step(t, a, buf, rng, batch) })
}

// BenchmarkUpdates times a's updates after warm untimed ones, reporting
// allocations and updates/s.
func BenchmarkUpdates(b *testing.B, a agents.Agent, buf *replay.Buffer, rng *rand.Rand, batchSize, warm int) {
	b.Helper()
	batch := buf.NewBatch(batchSize)
	for range warm {
		step(b, a, buf, rng, batch)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		step(b, a, buf, rng, batch)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
}
