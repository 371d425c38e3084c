package mujoco

import (
	"bufio"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"offrl/envs"
)

// oracleStats is what testdata/random-stats.txt says about one model: the
// episode counters and, from its "stats" line, the --stats keys by name.
type oracleStats struct {
	steps, episodes, terminations, truncations, unstable int
	stats                                                map[string]float64
}

// readRandomStats parses testdata/random-stats.txt by model name. Counter
// lines are "model env_steps episodes terminations truncations unstable";
// statistics lines are "stats model key value key value ...".
func readRandomStats(t *testing.T) map[string]oracleStats {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "random-stats.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]oracleStats{}
	extra := map[string]map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if fields[0] == "stats" {
			if len(fields)%2 != 0 {
				t.Fatalf("random-stats.txt: bad stats line %q", sc.Text())
			}
			kv := map[string]float64{}
			for i := 2; i < len(fields); i += 2 {
				if kv[fields[i]], err = strconv.ParseFloat(fields[i+1], 64); err != nil {
					t.Fatalf("random-stats.txt: %q: %v", sc.Text(), err)
				}
			}
			extra[fields[1]] = kv
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
		out[fields[0]] = oracleStats{v[0], v[1], v[2], v[3], v[4], nil}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for model, kv := range extra {
		s := out[model]
		s.stats = kv
		out[model] = s
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

// episodeSums holds one episode's step count and the sums and sums of
// squares of the post-step qpos[1] (index 0) and qvel[0] (index 1).
type episodeSums struct {
	n    float64
	s, q [2]float64
}

// randomRun is the outcome of N env steps of uniform random actions, counted
// as mjoracle bench counts them: a reset after every episode end except at
// the last step.
type randomRun struct {
	episodes int           // episodes started
	lengths  []float64     // lengths of the episodes that ended before the last step
	returns  []float64     // returns of every episode that ended (complete episodes)
	sums     []episodeSums // one per episode started
}

var (
	randomRunsMu sync.Mutex
	randomRuns   = map[string]*randomRun{}
)

// runRandom runs (once per task and test binary) tk's environment under its
// time limit for steps env steps of uniform random actions from its own
// seeded stream, resetting with seeds 0, 1, 2, ...
func runRandom(t *testing.T, tk task, steps int) *randomRun {
	t.Helper()
	randomRunsMu.Lock()
	r, ok := randomRuns[tk.id]
	randomRunsMu.Unlock()
	if ok {
		return r
	}
	inner := mustNew(t, tk)
	env := envs.NewTimeLimit(inner, maxEpisodeSteps[tk.id])
	d := inner.core().d
	rng := rand.New(rand.NewPCG(31, uint64(len(tk.id))))
	box := env.ActionSpace()
	seed := uint64(0)
	if _, _, err := env.Reset(seed); err != nil {
		t.Fatal(err)
	}
	r = &randomRun{episodes: 1, sums: []episodeSums{{}}}
	length, ret := 0, 0.0
	for s := range steps {
		res, err := env.Step(randomAction(rng, box))
		if err != nil {
			t.Fatalf("step %d: %v", s, err)
		}
		length++
		ret += res.Reward
		e := &r.sums[len(r.sums)-1]
		e.n++
		for k, y := range [2]float64{d.Qpos[1], d.Qvel[0]} {
			e.s[k] += y
			e.q[k] += y * y
		}
		if !res.Terminated && !res.Truncated {
			continue
		}
		r.returns = append(r.returns, ret)
		ret = 0
		if s+1 < steps {
			r.lengths = append(r.lengths, float64(length))
			length = 0
			r.episodes++
			r.sums = append(r.sums, episodeSums{})
			seed++
			if _, _, err := env.Reset(seed); err != nil {
				t.Fatal(err)
			}
		}
	}
	randomRunsMu.Lock()
	randomRuns[tk.id] = r
	randomRunsMu.Unlock()
	return r
}

// meanSD returns the mean and the sample standard deviation of x.
func meanSD(x []float64) (mean, sd float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	var sq float64
	for _, v := range x {
		sq += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(sq / float64(len(x)-1))
}

// clusterStats returns the mean and standard deviation of quantity k over
// all steps, each with a standard error that takes episodes as the
// independent samples (the ratio-estimator error Σ(S_i − m·n_i)²/(Σn_i)²,
// likewise for the squared deviations, the latter turned into the error of
// the standard deviation by the delta method). Steps within an episode are
// strongly correlated; episodes are not, so this does not overstate the
// precision. mjoracle computes the same (cluster_stats in mjoracle.c).
func clusterStats(eps []episodeSums, k int) (mean, meanSE, sd, sdSE float64) {
	var n, s, q float64
	for _, e := range eps {
		n, s, q = n+e.n, s+e.s[k], q+e.q[k]
	}
	mean = s / n
	v := math.Max(q/n-mean*mean, 0)
	var em, ev float64
	for _, e := range eps {
		dm := e.s[k] - mean*e.n
		dv := e.q[k] - 2*mean*e.s[k] + mean*mean*e.n - v*e.n
		em += dm * dm
		ev += dv * dv
	}
	corr := float64(len(eps)) / float64(len(eps)-1)
	sd = math.Sqrt(v)
	meanSE = math.Sqrt(em*corr) / n
	if sd > 0 {
		sdSE = math.Sqrt(ev*corr) / n / (2 * sd)
	}
	return mean, meanSE, sd, sdSE
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
			r := runRandom(t, tk, want.steps)
			got := float64(want.steps) / float64(r.episodes)
			ref := float64(want.steps) / float64(want.episodes)
			_, sd := meanSD(r.lengths)
			tol := 4 * math.Sqrt2 * sd / math.Sqrt(float64(len(r.lengths)))
			t.Logf("mean length %.3f (%d episodes), MuJoCo %.3f (%d); sd %.2f, "+
				"tolerance %.3f (%.2f%%), difference %.2f%%", got, r.episodes, ref,
				want.episodes, sd, tol, 100*tol/ref, 100*(got-ref)/ref)
			if math.Abs(got-ref) > tol {
				t.Errorf("mean episode length %.3f, MuJoCo %.3f: differ by more than %.3f",
					got, ref, tol)
			}
		})
	}
}

// TestRandomPolicyStats compares summary statistics of the uniform random
// policy with MuJoCo's (the "stats" lines of testdata/random-stats.txt):
// the mean Gymnasium v4 return of complete episodes, and over all steps
// the mean and standard deviation of qpos[1] (root height for HalfCheetah,
// Hopper and Walker2d) and qvel[0] (root or cart x velocity).
//
// Tolerance: 4 standard errors of the difference, √(se_ours² + se_MuJoCo²),
// each side's error from its own samples: std/√n over episodes for the
// return, and for the per-step statistics the episode-cluster error of
// clusterStats. Returns that are the same in every episode (se 0 on both
// sides) must match to rounding.
func TestRandomPolicyStats(t *testing.T) {
	if testing.Short() {
		t.Skip("350,000 env steps")
	}
	stats := readRandomStats(t)
	for _, tk := range tasks {
		t.Run(tk.id, func(t *testing.T) {
			t.Parallel()
			want, ok := stats[tk.model]
			if !ok || want.stats == nil {
				t.Fatalf("random-stats.txt has no stats for %s", tk.model)
			}
			key := func(k string) float64 {
				v, ok := want.stats[k]
				if !ok {
					t.Fatalf("random-stats.txt: %s has no %s", tk.model, k)
				}
				return v
			}
			r := runRandom(t, tk, want.steps)
			retMean, retSD := meanSD(r.returns)
			type stat struct {
				name         string
				got, gotSE   float64
				want, wantSE float64
			}
			list := []stat{{"return mean", retMean, retSD / math.Sqrt(float64(len(r.returns))),
				key("return_mean"),
				key("return_std") / math.Sqrt(key("return_episodes"))}}
			for k, q := range []string{"qpos1", "qvel0"} {
				m, mSE, sd, sdSE := clusterStats(r.sums, k)
				list = append(list,
					stat{q + " mean", m, mSE, key(q + "_mean"), key(q + "_mean_se")},
					stat{q + " std", sd, sdSE, key(q + "_std"), key(q + "_std_se")})
			}
			for _, s := range list {
				tol := 4 * math.Hypot(s.gotSE, s.wantSE)
				tol = math.Max(tol, 1e-9*math.Max(1, math.Abs(s.want)))
				rel := 100 * (s.got - s.want) / math.Abs(s.want)
				t.Logf("%-11s offrl %.5g, MuJoCo %.5g, difference %.3g (%.2f%%), "+
					"tolerance %.3g", s.name, s.got, s.want, s.got-s.want, rel, tol)
				if math.Abs(s.got-s.want) > tol {
					t.Errorf("%s: offrl %.6g, MuJoCo %.6g: differ by more than %.3g",
						s.name, s.got, s.want, tol)
				}
			}
		})
	}
}
