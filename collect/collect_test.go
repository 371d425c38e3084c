package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"offrl/datasets"
	"offrl/envs"
	"offrl/envs/registry"
	"offrl/replay"
)

func collectTo(t *testing.T, opts Options) *datasets.Dataset {
	t.Helper()
	if opts.Out == "" {
		opts.Out = filepath.Join(t.TempDir(), "d.parquet")
	}
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	d, err := datasets.ReadWith(opts.Out, datasets.ReadOptions{State: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("a collected dataset fails validation: %v", err)
	}
	return d
}

// The budget is exact, the cut episode ends with a timeout (it was
// truncated, not terminated), and every last next_observation is the real
// final observation, never the next episode's reset observation (B02).
func TestBudgetCutAndEpisodeBoundaries(t *testing.T) {
	d := collectTo(t, Options{EnvID: "Pendulum-v1", Kind: "medium", Steps: 450, Seed: 7})
	if d.Len() != 450 {
		t.Fatalf("%d rows, want exactly 450", d.Len())
	}
	eps := d.Episodes()
	lens := []int{}
	for _, e := range eps {
		lens = append(lens, e.End-e.Start)
	}
	if len(lens) != 3 || lens[0] != 200 || lens[1] != 200 || lens[2] != 50 {
		t.Fatalf("episode lengths %v, want [200 200 50]", lens)
	}
	if !d.Timeouts[449] || d.Terminals[449] || !d.Meta.TailTruncated {
		t.Fatalf("last row timeout %v terminal %v, tail_truncated %v; want true, false, true",
			d.Timeouts[449], d.Terminals[449], d.Meta.TailTruncated)
	}
	// Return statistics cover complete episodes only.
	want := (eps[0].Return + eps[1].Return) / 2
	if math.Abs(d.Meta.ReturnMean-want) > 1e-6*math.Abs(want) {
		t.Fatalf("return_mean %v, want %v (the cut episode excluded)", d.Meta.ReturnMean, want)
	}
	od := d.ObsDim
	for i := 0; i+1 < d.Len(); i++ {
		next := d.NextObservations[i*od : (i+1)*od]
		obs := d.Observations[(i+1)*od : (i+2)*od]
		same := next[0] == obs[0] && next[1] == obs[1] && next[2] == obs[2]
		boundary := d.Timeouts[i] || d.Terminals[i]
		if same == boundary {
			t.Fatalf("row %d: next_observations equals the following observation: %v, episode boundary: %v",
				i, same, boundary)
		}
	}
}

// A one-step dataset is valid, and its next observation is what the
// environment returned for the recorded action (B02).
func TestOneStepEpisodeRoundTrips(t *testing.T) {
	d := collectTo(t, Options{EnvID: "Pendulum-v1", Kind: "random", Steps: 1, Seed: 3})
	if d.Len() != 1 || !d.Timeouts[0] || d.Meta.NumEpisodes != 1 {
		t.Fatalf("rows %d timeout %v episodes %d; want 1, true, 1", d.Len(), d.Timeouts[0], d.Meta.NumEpisodes)
	}
	env, _ := registry.Make("Pendulum-v1")
	obs, _, _ := env.Reset(EpisodeSeed(3, 0))
	for i, v := range obs {
		if float32(v) != d.Observations[i] {
			t.Fatalf("observation %d = %v, want the reset observation %v", i, d.Observations[i], float32(v))
		}
	}
	st, err := env.Step([]float64{float64(d.Actions[0])})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range st.Obs {
		// The stored action is float32; stepping with it reproduces the
		// next observation to float32 precision.
		if math.Abs(float64(float32(v)-d.NextObservations[i])) > 1e-5 {
			t.Fatalf("next observation %d = %v, want %v", i, d.NextObservations[i], float32(v))
		}
	}
}

// medium-expert is N/2 medium transitions followed by N/2 expert ones, and
// says so in its metadata.
func TestMediumExpertConcatenates(t *testing.T) {
	d := collectTo(t, Options{EnvID: "Pendulum-v1", Kind: "medium-expert", Steps: 800, Seed: 1})
	if d.Len() != 800 || d.Meta.DatasetID != "pendulum-medium-expert-v0" {
		t.Fatalf("rows %d id %s", d.Len(), d.Meta.DatasetID)
	}
	var phases []struct {
		Kind  string `json:"kind"`
		Steps int    `json:"steps"`
	}
	if err := json.Unmarshal(d.Meta.BehaviourPolicy, &phases); err != nil {
		t.Fatal(err)
	}
	if len(phases) != 2 || phases[0].Kind != "medium" || phases[1].Kind != "expert" ||
		phases[0].Steps != 400 || phases[1].Steps != 400 {
		t.Fatalf("behaviour_policy %s, want medium 400 then expert 400", d.Meta.BehaviourPolicy)
	}
	eps := d.Episodes()
	if len(eps) != 4 || eps[1].End != 400 {
		t.Fatalf("%d episodes, the second ending at %d; want 4, and the medium half ending at row 400", len(eps), eps[1].End)
	}
	for i := range d.Len() {
		if d.EpisodeIDs[i] != int32(i/200) {
			t.Fatalf("row %d has episode_id %d, want %d", i, d.EpisodeIDs[i], i/200)
		}
	}
}

// Same command, same seed: the same bytes; another seed: other data.
func TestCollectionIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	paths := []string{filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet"), filepath.Join(dir, "c.parquet")}
	for i, p := range paths {
		seed := uint64(11)
		if i == 2 {
			seed = 12
		}
		if _, err := Run(context.Background(), Options{EnvID: "MountainCarContinuous-v0", Kind: "medium",
			Steps: 3000, Seed: seed, Out: p}); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := os.ReadFile(paths[0])
	b, _ := os.ReadFile(paths[1])
	c, _ := os.ReadFile(paths[2])
	if !bytes.Equal(a, b) {
		t.Fatal("two collections with the same seed differ")
	}
	if bytes.Equal(a, c) {
		t.Fatal("collections with different seeds are identical")
	}
}

func TestOptionsAreChecked(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.parquet")
	tests := []Options{
		{EnvID: "Nope-v1", Kind: "medium", Steps: 10, Out: out},
		{EnvID: "Pendulum-v1", Kind: "mediocre", Steps: 10, Out: out},
		{EnvID: "Pendulum-v1", Kind: "medium", Steps: 0, Out: out},
		{EnvID: "Pendulum-v1", Kind: "medium-expert", Steps: 1, Out: out},
		{EnvID: "Pendulum-v1", Kind: "medium-expert", Steps: 399, Out: out}, // no whole medium episode
		{EnvID: "Pendulum-v1", Kind: "medium", Steps: 10},
	}
	for _, o := range tests {
		if _, err := Run(context.Background(), o); !errors.Is(err, ErrOptions) {
			t.Errorf("Run(%+v) = %v, want ErrOptions", o, err)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a rejected collection left a file behind")
	}
}

// An interrupted collection leaves nothing under the final name.
func TestCancelLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "pendulum-medium-v0")
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Run(ctx, Options{EnvID: "Pendulum-v1", Kind: "medium", Steps: 50_000, Seed: 1, Out: out,
		OnProgress: func(done, _ int) {
			if done >= 5000 {
				cancel()
			}
		}})
	if err == nil {
		t.Fatal("a cancelled collection returned no error")
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a cancelled collection left a dataset under the final name")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("a cancelled collection left %d entries in the folder", len(entries))
	}
}

// B03: an episode can terminate on the very step its time limit fires.
// Both flags are kept, the writer accepts the row, and the learner does not
// bootstrap through it (terminal takes precedence).
func TestTerminalAndTimeoutOnTheSameStep(t *testing.T) {
	env, err := registry.Make("MountainCarContinuous-v0", registry.WithMaxEpisodeSteps(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.Reset(0); err != nil {
		t.Fatal(err)
	}
	obs := []float64{0.44, 0.07}
	if err := env.(envs.StateSetter).SetState(obs); err != nil {
		t.Fatal(err)
	}
	st, err := env.Step([]float64{1})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Terminated || !st.Truncated {
		t.Fatalf("terminated %v truncated %v, want both true", st.Terminated, st.Truncated)
	}

	path := filepath.Join(t.TempDir(), "both.parquet")
	meta := datasets.Metadata{DatasetID: "mountaincar-expert-v0", EnvID: "MountainCarContinuous-v0",
		DatasetKind: "expert", ObsDim: 2, ActDim: 1, MaxEpisodeSteps: 1}
	w, err := datasets.NewWriter(path, meta, datasets.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(datasets.Transition{Obs: to32(obs), Action: []float32{1}, NextObs: to32(st.Obs),
		Reward: float32(st.Reward), Terminal: st.Terminated, Timeout: st.Truncated}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := datasets.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Terminals[0] || !d.Timeouts[0] || d.Rewards[0] != float32(99.9) {
		t.Fatalf("stored terminal %v timeout %v reward %v; want true, true, 99.9", d.Terminals[0], d.Timeouts[0], d.Rewards[0])
	}
	buf, err := replay.FromDataset(d)
	if err != nil {
		t.Fatal(err)
	}
	batch := buf.NewBatch(4)
	if err := buf.Sample(rand.New(rand.NewPCG(1, 1)), batch); err != nil {
		t.Fatal(err)
	}
	if batch.Mask[0] != 0 {
		t.Fatalf("bootstrap mask %v for a terminal row that also timed out, want 0", batch.Mask[0])
	}
}

// The medium half of medium-expert keeps only complete episodes, so no
// medium episode is cut short and then counted as if it had ended.
func TestMediumExpertNeverCutsAMediumEpisode(t *testing.T) {
	d := collectTo(t, Options{EnvID: "Pendulum-v1", Kind: "medium-expert", Steps: 1100, Seed: 2})
	var lens []int
	for _, e := range d.Episodes() {
		lens = append(lens, e.End-e.Start)
	}
	want := []int{200, 200, 200, 200, 200, 100}
	if fmt.Sprint(lens) != fmt.Sprint(want) {
		t.Fatalf("episode lengths %v, want %v (400 medium rows, then 700 expert)", lens, want)
	}
	var phases []struct {
		Kind  string `json:"kind"`
		Steps int    `json:"steps"`
	}
	json.Unmarshal(d.Meta.BehaviourPolicy, &phases)
	if len(phases) != 2 || phases[0].Steps != 400 || phases[1].Steps != 700 {
		t.Fatalf("behaviour_policy %s, want medium 400 then expert 700", d.Meta.BehaviourPolicy)
	}
}

// One size per dataset name: D4RL's for the v1 tasks, 100,000 for v0.
func TestDefaultSteps(t *testing.T) {
	for _, c := range []struct {
		env, kind string
		want      int
	}{
		{"Hopper-v4", "medium", 1_000_000},
		{"Walker2d-v4", "medium-expert", 2_000_000},
		{"Pendulum-v1", "medium", 100_000},
		{"Pendulum-v1", "medium-expert", 100_000},
	} {
		if got := DefaultSteps(c.env, c.kind); got != c.want {
			t.Errorf("DefaultSteps(%s, %s) = %d, want %d", c.env, c.kind, got, c.want)
		}
	}
}
