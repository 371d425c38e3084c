package physics

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkStep measures env steps per second (Gymnasium frame skip) with
// uniform random actions over the ctrlrange, for comparison with
// `mjoracle bench` (tools/mjoracle/README.md). The contact-free models
// reset to qpos0 plus U(±0.01) noise every episode (1000 steps; 50 for
// reacher) and never terminate, so unlike the oracle's pendulum runs the
// pendulums spend most steps fallen over against or past their limits.
// The contact models follow the oracle's tasks: Gymnasium v4 reset noise
// (HalfCheetah qpos += U(±0.1), qvel = 0.1·N(0,1); Hopper and Walker2d
// qpos += U(±0.005), qvel = U(±0.005)) through SetState, 1000-step
// episodes, and Hopper's and Walker2d's termination rules after each step.
func BenchmarkStep(b *testing.B) {
	skips := map[string]int{"inverted_pendulum": 2, "inverted_double_pendulum": 5,
		"reacher": 2, "swimmer": 4, "half_cheetah": 5, "hopper": 4, "walker2d": 4}
	for _, name := range append(append([]string(nil), smoothModels...), contactModels...) {
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
			qpos, qvel := make([]float64, m.Nq), make([]float64, m.Nv)
			reset := func() {
				switch name {
				case "half_cheetah", "hopper", "walker2d":
					w := 0.005
					if name == "half_cheetah" {
						w = 0.1
					}
					for i := range qpos {
						qpos[i] = m.Qpos0[i] + w*(2*rng.Float64()-1)
					}
					for i := range qvel {
						if name == "half_cheetah" {
							qvel[i] = 0.1 * rng.NormFloat64()
						} else {
							qvel[i] = w * (2*rng.Float64() - 1)
						}
					}
					if err := d.SetState(qpos, qvel); err != nil {
						b.Fatal(err)
					}
				default:
					d.Reset()
					for i := range d.Qpos {
						d.Qpos[i] += 0.02 * (rng.Float64() - 0.5)
					}
				}
			}
			reset()
			fs := skips[name]
			steps := 0
			b.ResetTimer()
			for range b.N {
				if steps == episode || terminated(name, d) {
					reset()
					steps = 0
				}
				for a := range d.Ctrl {
					r := m.Actuators[a].CtrlRange
					d.Ctrl[a] = r[0] + (r[1]-r[0])*rng.Float64()
				}
				if err := Step(d, fs); err != nil {
					b.Fatal(err)
				}
				steps++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
		})
	}
}

// terminated is Gymnasium v4's termination rule of Hopper and Walker2d
// (false for the other models here).
func terminated(name string, d *Data) bool {
	q := d.Qpos
	switch name {
	case "hopper":
		for _, v := range q[2:] {
			if v <= -100 || v >= 100 {
				return true
			}
		}
		for _, v := range d.Qvel {
			if v <= -100 || v >= 100 {
				return true
			}
		}
		return !(q[1] > 0.7 && q[2] > -0.2 && q[2] < 0.2)
	case "walker2d":
		return !(q[1] > 0.8 && q[1] < 2 && q[2] > -1 && q[2] < 1)
	}
	return false
}
