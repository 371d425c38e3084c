package datasets

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// testMeta returns metadata for a test dataset with a pinned creation
// time, so files written from it are byte-for-byte reproducible.
func testMeta(obsDim, actDim int) Metadata {
	return Metadata{
		DatasetID:       "pendulum-expert-v0",
		EnvID:           "Pendulum-v1",
		EnvVersion:      []byte(`{"gym_semantics":"v1","engine":"test"}`),
		DatasetKind:     "expert",
		BehaviourPolicy: []byte(`{"algorithm":"scripted","stochastic":false}`),
		Seed:            []byte(`{"base":7,"per_episode":"base+episode"}`),
		Command:         "go test",
		ObsDim:          obsDim,
		ActDim:          actDim,
		RefMinScore:     -1200,
		RefMaxScore:     -150,
		RefSource:       "test",
		Dt:              0.05,
		FrameSkip:       1,
		TimeoutsMeaning: TimeoutsTimeLimit,
		CreatedBy:       "offrl test",
		CreatedAt:       "2025-01-02T03:04:05Z",
	}
}

// makeDataset builds a dataset whose episodes have the given lengths. Odd
// episodes end with a terminal, even ones with a timeout. Values come from
// a seeded generator and span several magnitudes and both signs.
func makeDataset(t testing.TB, lengths []int, obsDim, actDim int, seed uint64) *Dataset {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	d := &Dataset{Meta: testMeta(obsDim, actDim), ObsDim: obsDim, ActDim: actDim}
	for ep, n := range lengths {
		obs := randVec(rng, obsDim)
		for step := range n {
			next := randVec(rng, obsDim)
			d.EpisodeIDs = append(d.EpisodeIDs, int32(ep))
			d.Steps = append(d.Steps, int32(step))
			d.Observations = append(d.Observations, obs...)
			d.Actions = append(d.Actions, randVec(rng, actDim)...)
			d.Rewards = append(d.Rewards, float32(rng.NormFloat64()))
			d.NextObservations = append(d.NextObservations, next...)
			last := step == n-1
			d.Terminals = append(d.Terminals, last && ep%2 == 1)
			d.Timeouts = append(d.Timeouts, last && ep%2 == 0)
			obs = next
		}
	}
	return d
}

// randVec returns n values of assorted magnitudes.
func randVec(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		scale := []float64{1e-6, 1, 1e3}[rng.IntN(3)]
		v[i] = float32(rng.NormFloat64() * scale)
	}
	return v
}

// assertSameRows fails unless got and want hold the same dimensions and
// bit-identical columns.
func assertSameRows(t testing.TB, got, want *Dataset) {
	t.Helper()
	if got.ObsDim != want.ObsDim || got.ActDim != want.ActDim {
		t.Fatalf("dimensions = %d, %d, want %d, %d",
			got.ObsDim, got.ActDim, want.ObsDim, want.ActDim)
	}
	if got.Len() != want.Len() {
		t.Fatalf("Len() = %d, want %d", got.Len(), want.Len())
	}
	sameInts(t, "episode_id", got.EpisodeIDs, want.EpisodeIDs)
	sameInts(t, "step", got.Steps, want.Steps)
	sameFloats(t, "observations", got.Observations, want.Observations)
	sameFloats(t, "actions", got.Actions, want.Actions)
	sameFloats(t, "rewards", got.Rewards, want.Rewards)
	sameFloats(t, "next_observations", got.NextObservations, want.NextObservations)
	sameBools(t, "terminals", got.Terminals, want.Terminals)
	sameBools(t, "timeouts", got.Timeouts, want.Timeouts)
}

func sameInts(t testing.TB, col string, got, want []int32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("column %s: %d values, want %d", col, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("column %s value %d = %d, want %d", col, i, got[i], want[i])
		}
	}
}

func sameFloats(t testing.TB, col string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("column %s: %d values, want %d", col, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("column %s value %d = %v, want %v", col, i, got[i], want[i])
		}
	}
}

func sameBools(t testing.TB, col string, got, want []bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("column %s: %d values, want %d", col, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("column %s value %d = %v, want %v", col, i, got[i], want[i])
		}
	}
}

// dirEntries lists the names in dir, sorted.
func dirEntries(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// wantValidation fails unless err holds a *ValidationError for column
// (and row, when row ≥ 0) and its message names both.
func wantValidation(t testing.TB, err error, column string, row int64) *ValidationError {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v, want a *ValidationError for column %q", err, column)
	}
	if ve.Column != column || (row >= 0 && ve.Row != row) {
		t.Fatalf("ValidationError column %q row %d (%v), want column %q row %d",
			ve.Column, ve.Row, err, column, row)
	}
	msg := err.Error()
	namesRow := row < 0 || strings.Contains(msg, fmt.Sprintf("row %d", row))
	if !strings.Contains(msg, column) || !namesRow {
		t.Fatalf("error %q does not name column %q and row %d", msg, column, row)
	}
	return ve
}

// nan returns a quiet NaN.
func nan() float64 { return math.NaN() }
