package mujoco

import (
	"bufio"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"offrl/envs"
)

// oracleStats is one line of testdata/random-stats.txt.
type oracleStats struct {
	steps, episodes, terminations, truncations, unstable int
}

// readRandomStats parses testdata/random-stats.txt by model name.
func readRandomStats(t *testing.T) map[string]oracleStats {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "random-stats.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]oracleStats{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if len(fields) != 6 {
			t.Fatalf("random-stats.txt: bad line %q", sc.Text())
		}
		var v [5]int
		for i := range v {
			if v[i], err = strconv.Atoi(fields[i+1]); err != nil {
				t.Fatalf("random-stats.txt: %q: %v", sc.Text(), err)
			}
		}
		out[fields[0]] = oracleStats{v[0], v[1], v[2], v[3], v[4]}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// maxEpisodeSteps is each task's Gymnasium time limit, as the registry
// applies it.
var maxEpisodeSteps = map[string]int{
	"HalfCheetah-v4": HalfCheetahMaxEpisodeSteps, "Hopper-v4": HopperMaxEpisodeSteps,
	"Walker2d-v4": Walker2dMaxEpisodeSteps, "InvertedPendulum-v4": InvertedPendulumMaxEpisodeSteps,
	"InvertedDoublePendulum-v4": InvertedDoublePendulumMaxEpisodeSteps,
	"Reacher-v4":                ReacherMaxEpisodeSteps, "Swimmer-v4": SwimmerMaxEpisodeSteps,
}

// TestRandomEpisodeLengths compares the mean episode length under uniform
// random actions with MuJoCo's (testdata/random-stats.txt), counted as the
// oracle does: N env steps, a reset after every episode end except at the
// last step, mean = N / episodes started.
//
// Tolerance: both means estimate the same expectation from independent
// samples (different random streams), each with standard error about
// s/√n for n episodes of standard deviation s (s from our episodes). Their
// difference has standard error √2·s/√n; the test allows 4 of those (a
// false alarm about once in 16,000 runs per task). Tasks whose episodes
// always run to the time limit (s = 0) must match exactly.
func TestRandomEpisodeLengths(t *testing.T) {
	if testing.Short() {
		t.Skip("350,000 env steps")
	}
	stats := readRandomStats(t)
	for _, tk := range tasks {
		t.Run(tk.id, func(t *testing.T) {
			t.Parallel()
			want, ok := stats[tk.model]
			if !ok {
				t.Fatalf("random-stats.txt has no %s", tk.model)
			}
			env := envs.NewTimeLimit(mustNew(t, tk), maxEpisodeSteps[tk.id])
			rng := rand.New(rand.NewPCG(31, uint64(len(tk.id))))
			box := env.ActionSpace()
			episodes, seed := 1, uint64(0)
			if _, _, err := env.Reset(seed); err != nil {
				t.Fatal(err)
			}
			var lengths []float64
			length := 0
			for s := range want.steps {
				res, err := env.Step(randomAction(rng, box))
				if err != nil {
					t.Fatalf("step %d: %v", s, err)
				}
				length++
				if (res.Terminated || res.Truncated) && s+1 < want.steps {
					lengths = append(lengths, float64(length))
					length = 0
					episodes++
					seed++
					if _, _, err := env.Reset(seed); err != nil {
						t.Fatal(err)
					}
				}
			}
			got := float64(want.steps) / float64(episodes)
			ref := float64(want.steps) / float64(want.episodes)
			var mean, sq float64
			for _, l := range lengths {
				mean += l
			}
			mean /= float64(len(lengths))
			for _, l := range lengths {
				sq += (l - mean) * (l - mean)
			}
			sd := math.Sqrt(sq / float64(len(lengths)-1))
			tol := 4 * math.Sqrt2 * sd / math.Sqrt(float64(len(lengths)))
			t.Logf("mean length %.3f (%d episodes), MuJoCo %.3f (%d); sd %.2f, "+
				"tolerance %.3f (%.2f%%), difference %.2f%%", got, episodes, ref,
				want.episodes, sd, tol, 100*tol/ref, 100*(got-ref)/ref)
			if math.Abs(got-ref) > tol {
				t.Errorf("mean episode length %.3f, MuJoCo %.3f: differ by more than %.3f",
					got, ref, tol)
			}
		})
	}
}
