package collect

import (
	"math"
	"testing"

	"offrl/envs"
	"offrl/envs/registry"
)

// The stored qpos/qvel restore a transition exactly: on a fresh
// environment, setting a row's state and stepping its action gives the
// row's next observation and reward as stored (float32), bit for bit,
// because collection steps the float32 action it stores. Rows are also
// checked to chain: the state a step reaches is the state stored before
// the episode's next row, bit for bit.
func TestStoredStateRestoresTransitions(t *testing.T) {
	tests := []struct {
		env, kind string
		steps     int
		nq, nv    int
	}{
		{"Hopper-v4", "random", 1500, 6, 6},
		{"maze2d-umaze-v1", "expert", 1500, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			d := collectTo(t, Options{EnvID: tt.env, Kind: tt.kind, Steps: tt.steps, Seed: 3})
			if d.NQ != tt.nq || d.NV != tt.nv || d.Meta.NQ != tt.nq || d.Meta.NV != tt.nv {
				t.Fatalf("nq, nv = %d, %d (metadata %d, %d), want %d, %d",
					d.NQ, d.NV, d.Meta.NQ, d.Meta.NV, tt.nq, tt.nv)
			}
			env, err := registry.Make(tt.env)
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			if nq, nv, ok := envs.StateDimsOf(env); !ok || nq != tt.nq || nv != tt.nv {
				t.Fatalf("StateDimsOf(%s) = %d, %d, %v", tt.env, nq, nv, ok)
			}
			od, ad := d.ObsDim, d.ActDim
			act := make([]float64, ad)
			worst := 0.0
			checked := 0
			for i := 0; i < d.Len(); i += 37 {
				if _, _, err := env.Reset(uint64(i)); err != nil {
					t.Fatal(err)
				}
				if err := env.(envs.StateSetter).SetState(d.State(i)); err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
				for j := range act {
					act[j] = float64(d.Actions[i*ad+j])
				}
				st, err := env.Step(act)
				if err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
				want := d.NextObservations[i*od : (i+1)*od]
				// Collection steps the float32 action it stores, so the
				// restored step is the recorded one exactly.
				for j, x := range st.Obs {
					gap := math.Abs(x-float64(want[j])) / math.Max(1, math.Abs(float64(want[j])))
					worst = math.Max(worst, gap)
					if float32(x) != want[j] {
						t.Fatalf("row %d next_observations[%d]: restored %v, stored %v", i, j, x, want[j])
					}
				}
				if r := d.Rewards[i]; float32(st.Reward) != r {
					t.Fatalf("row %d reward: restored %v, stored %v", i, st.Reward, r)
				}
				if st.Terminated != d.Terminals[i] {
					t.Fatalf("row %d: restored terminated %v, stored %v", i, st.Terminated, d.Terminals[i])
				}
				// The stored state before the next row of the episode is
				// the state this step reached, bit for bit.
				if i+1 < d.Len() && !d.Terminals[i] && !d.Timeouts[i] {
					got, next := env.(envs.StateSetter).State(), d.State(i+1)
					for j := range got {
						if got[j] != next[j] {
							t.Fatalf("row %d: state after the step %v, row %d stores %v", i, got, i+1, next)
						}
					}
				}
				checked++
			}
			t.Logf("%s: %d rows restored, worst relative gap %.3g", tt.env, checked, worst)
		})
	}
}

// Classic control stores no state: its datasets keep their layout.
func TestClassicControlHasNoStateColumns(t *testing.T) {
	d := collectTo(t, Options{EnvID: "Pendulum-v1", Kind: "random", Steps: 50, Seed: 1})
	if d.NQ != 0 || d.Qpos != nil || d.Meta.NQ != 0 {
		t.Fatalf("Pendulum dataset has nq %d (metadata %d), want no state columns", d.NQ, d.Meta.NQ)
	}
}
