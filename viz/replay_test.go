package viz

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"offrl/collect"
	"offrl/datasets"
)

var (
	pendulumOnce sync.Once
	pendulumData *datasets.Dataset
	pendulumErr  error
)

// pendulumDataset collects 1,000 Pendulum medium transitions (5 episodes)
// once per test binary.
func pendulumDataset(t *testing.T) *datasets.Dataset {
	t.Helper()
	pendulumOnce.Do(func() {
		path := filepath.Join(t.TempDir(), "pendulum-medium-v0.parquet")
		if _, pendulumErr = collect.Run(context.Background(), collect.Options{EnvID: "Pendulum-v1",
			Kind: "medium", Steps: 1000, Seed: 4, Out: path}); pendulumErr == nil {
			pendulumData, pendulumErr = datasets.Read(path)
		}
	})
	if pendulumErr != nil {
		t.Fatal(pendulumErr)
	}
	return pendulumData
}

func replayAll(t *testing.T, p *Player) {
	t.Helper()
	for !p.Done() {
		if err := p.Advance(); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Advance(); !errors.Is(err, ErrReplayOver) {
		t.Fatalf("Advance after the end: %v, want ErrReplayOver", err)
	}
}

// Replaying the recorded actions from the recorded start gives back the
// recorded rewards: the simulation is the one that made the data, up to
// the float32 rounding of the stored start.
func TestReplayOfActionsReproducesTheEpisode(t *testing.T) {
	d := pendulumDataset(t)
	rec, err := RecordingFromDataset(d, 2, ReplayActions)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewReplay(d.Meta.EnvID, rec)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	replayAll(t, p)
	want := 0.0
	for _, r := range rec.Rewards {
		want += float64(r)
	}
	if p.Step() != rec.Len() || math.Abs(p.Return()-want) > 1e-3*math.Abs(want) {
		t.Fatalf("replayed %d steps, return %v; recorded %d, %v", p.Step(), p.Return(), rec.Len(), want)
	}
	if p.Drift() > 1e-3 {
		t.Fatalf("drift %v from the recording, want below 1e-3", p.Drift())
	}
	if !strings.Contains(p.Status(), "episode 2 (recorded actions)") || !strings.Contains(p.Status(), "truncated") {
		t.Fatalf("status %q", p.Status())
	}
}

// Replaying states shows each recorded observation exactly (to float32).
func TestReplayOfStatesFollowsTheRecording(t *testing.T) {
	d := pendulumDataset(t)
	rec, err := RecordingFromDataset(d, 1, ReplayStates)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewReplay(d.Meta.EnvID, rec)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for k := 0; !p.Done(); k++ {
		if err := p.Advance(); err != nil {
			t.Fatal(err)
		}
		next := rec.NextObservations[k*rec.ObsDim : (k+1)*rec.ObsDim]
		if gap := maxNormDiff(p.obs, next); gap > 1e-6 {
			t.Fatalf("step %d shows %v, recorded %v", k+1, p.obs, next)
		}
	}
	if p.Step() != rec.Len() {
		t.Fatalf("%d steps shown, %d recorded", p.Step(), rec.Len())
	}
}

func TestReplayRefusesWhatItCannotShow(t *testing.T) {
	d := pendulumDataset(t)
	if _, err := RecordingFromDataset(d, 99, ReplayActions); err == nil || !strings.Contains(err.Error(), "0 to 4") {
		t.Fatalf("episode 99: %v, want the range 0 to 4 named", err)
	}
	if _, err := RecordingFromDataset(d, 0, "frames"); err == nil {
		t.Fatal("mode frames accepted")
	}
	rec, _ := RecordingFromDataset(d, 0, ReplayActions)
	if _, err := NewReplay("Hopper-v4", rec); err == nil || !strings.Contains(err.Error(), "Hopper-v4 has 11") {
		t.Fatalf("pendulum episode in Hopper: %v", err)
	}
	rec.NextObservations = append([]float32(nil), rec.NextObservations...)
	rec.Observations = append([]float32(nil), rec.Observations...)
	rec.Observations[0] = float32(math.NaN())
	if _, err := NewReplay("Pendulum-v1", rec); err == nil || !strings.Contains(err.Error(), "first observation") {
		t.Fatalf("NaN start: %v", err)
	}
}
