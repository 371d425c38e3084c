package physics

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkStep measures env steps per second (Gymnasium frame skip) with
// uniform random actions over the ctrlrange, resetting to qpos0 plus
// U(±0.01) noise every episode (1000 steps; 50 for reacher), for
// comparison with `mjoracle bench` (tools/mjoracle/README.md). There are
// no terminations here, so unlike the oracle's pendulum runs the pendulums
// spend most steps fallen over against or past their limits.
func BenchmarkStep(b *testing.B) {
	skips := map[string]int{"inverted_pendulum": 2, "inverted_double_pendulum": 5,
		"reacher": 2, "swimmer": 4}
	for _, name := range smoothModels {
		b.Run(name, func(b *testing.B) {
			m, err := Load(name)
			if err != nil {
				b.Fatal(err)
			}
			d := NewData(m)
			rng := rand.New(rand.NewPCG(7, 8))
			episode := 1000
			if name == "reacher" {
				episode = 50
			}
			reset := func() {
				d.Reset()
				for i := range d.Qpos {
					d.Qpos[i] += 0.02 * (rng.Float64() - 0.5)
				}
			}
			reset()
			fs := skips[name]
			b.ResetTimer()
			for i := range b.N {
				if i%episode == 0 && i > 0 {
					reset()
				}
				for a := range d.Ctrl {
					r := m.Actuators[a].CtrlRange
					d.Ctrl[a] = r[0] + (r[1]-r[0])*rng.Float64()
				}
				if err := Step(d, fs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
		})
	}
}
