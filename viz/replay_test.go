package viz

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"offrl/collect"
	"offrl/datasets"
	"offrl/envs"
	"offrl/envs/registry"
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

// replayOf returns the recording of episode k of d in mode and a player
// replaying it, closed when the test ends.
func replayOf(t *testing.T, d *datasets.Dataset, k int, mode ReplayMode) (*Recording, *Player) {
	t.Helper()
	rec, err := RecordingFromDataset(d, k, mode)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewReplay(d.Meta.EnvID, rec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return rec, p
}

// Replaying the recorded actions from the recorded start gives back the
// recorded rewards: the simulation is the one that made the data, up to
// the float32 rounding of the stored start.
func TestReplayOfActionsReproducesTheEpisode(t *testing.T) {
	d := pendulumDataset(t)
	rec, p := replayOf(t, d, 2, ReplayActions)
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
	rec, p := replayOf(t, d, 1, ReplayStates)
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

// hopperDataset collects 3,000 Hopper random transitions with their
// simulator states.
func hopperDataset(t *testing.T) *datasets.Dataset {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hopper-random-v0.parquet")
	if _, err := collect.Run(context.Background(), collect.Options{EnvID: "Hopper-v4",
		Kind: "random", Steps: 3000, Seed: 2, Out: path}); err != nil {
		t.Fatal(err)
	}
	d, err := datasets.ReadWith(path, datasets.ReadOptions{State: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.NQ == 0 {
		t.Fatal("the Hopper dataset has no state columns")
	}
	return d
}

// longestEpisode returns the index of d's longest episode.
func longestEpisode(d *datasets.Dataset) int {
	best, n := 0, 0
	for k, ep := range d.Episodes() {
		if ep.End-ep.Start > n {
			best, n = k, ep.End-ep.Start
		}
	}
	return best
}

// Replaying a collected Hopper episode's actions from the stored state
// repeats it exactly: collection steps the float32 actions it stores.
func TestReplayFromStoredStateFollowsTheRecording(t *testing.T) {
	d := hopperDataset(t)
	k := longestEpisode(d)
	rec, err := RecordingFromDataset(d, k, ReplayActions)
	if err != nil {
		t.Fatal(err)
	}
	if rec.NQ != 6 || len(rec.Qpos) != rec.Len()*6 {
		t.Fatalf("recording carries nq %d and %d qpos values for %d steps", rec.NQ, len(rec.Qpos), rec.Len())
	}
	if drift := replayDrift(t, rec); drift != 0 {
		t.Fatalf("drift %.3g over %d steps from the stored state, want 0", drift, rec.Len())
	}
}

// hopperRollout records an episode of Hopper as a dataset would store it,
// with actions that float32 holds exactly, so that a replay steps the very
// actions of the recording: qpos/qvel before each step, observations and
// rewards rounded to float32.
func hopperRollout(t *testing.T, steps int) *Recording {
	t.Helper()
	env, err := registry.Make("Hopper-v4")
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	obs, _, err := env.Reset(11)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 0))
	rec := &Recording{Name: "hopper rollout", Mode: ReplayActions, ObsDim: 11, ActDim: 3, NQ: 6, NV: 6}
	act := make([]float64, 3)
	for range steps {
		s := env.(envs.StateSetter).State()
		rec.Qpos, rec.Qvel = append(rec.Qpos, s[:6]...), append(rec.Qvel, s[6:]...)
		for j := range act {
			act[j] = float64(float32(0.4 * (2*rng.Float64() - 1)))
			rec.Actions = append(rec.Actions, float32(act[j]))
		}
		st, err := env.Step(act)
		if err != nil {
			t.Fatal(err)
		}
		for j := range obs {
			rec.Observations = append(rec.Observations, float32(obs[j]))
			rec.NextObservations = append(rec.NextObservations, float32(st.Obs[j]))
		}
		rec.Rewards = append(rec.Rewards, float32(st.Reward))
		rec.Terminals = append(rec.Terminals, st.Terminated)
		rec.Timeouts = append(rec.Timeouts, st.Truncated)
		obs = st.Obs
		if st.Terminated || st.Truncated {
			break
		}
	}
	return rec
}

// With the very actions recorded, a replay from the stored state has zero
// drift at every step, while one from the state rebuilt from the float32
// observation drifts (the observation rounds the velocities and omits x).
func TestReplayFromStoredStateIsExact(t *testing.T) {
	rec := hopperRollout(t, 400)
	if rec.Len() < 50 {
		t.Fatalf("the rollout lasted %d steps; want a longer one to measure drift", rec.Len())
	}
	exact := replayDrift(t, rec)
	rebuilt := *rec
	rebuilt.NQ, rebuilt.NV, rebuilt.Qpos, rebuilt.Qvel = 0, 0, nil, nil
	approx := replayDrift(t, &rebuilt)
	t.Logf("%d steps: drift %.3g from the stored state, %.3g from the observation",
		rec.Len(), exact, approx)
	if exact != 0 || approx == 0 {
		t.Fatalf("drift %.3g from the stored state, %.3g from the observation; want 0 and more than 0",
			exact, approx)
	}
}

// replayDrift replays rec's actions to the end and returns the drift.
func replayDrift(t *testing.T, rec *Recording) float64 {
	t.Helper()
	p, err := NewReplay("Hopper-v4", rec)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	replayAll(t, p)
	if p.Step() != rec.Len() {
		t.Fatalf("replayed %d steps of %d (%s)", p.Step(), rec.Len(), p.Status())
	}
	return p.Drift()
}

// Replaying states sets each stored state exactly: the simulator holds the
// recorded qpos/qvel of the next row after every step.
func TestReplayOfStoredStates(t *testing.T) {
	d := hopperDataset(t)
	k := longestEpisode(d)
	rec, p := replayOf(t, d, k, ReplayStates)
	for s := 0; s+1 < rec.Len(); s++ {
		if err := p.Advance(); err != nil {
			t.Fatal(err)
		}
		got := p.env.(envs.StateSetter).State()
		for j := range rec.NQ {
			if got[j] != rec.Qpos[(s+1)*rec.NQ+j] {
				t.Fatalf("after step %d qpos %v, recorded %v", s+1, got[:rec.NQ],
					rec.Qpos[(s+1)*rec.NQ:(s+2)*rec.NQ])
			}
		}
	}
	bad := *rec
	bad.Qpos = bad.Qpos[:len(bad.Qpos)-1]
	if _, err := NewReplay("Hopper-v4", &bad); err == nil || !strings.Contains(err.Error(), "nq 6") {
		t.Fatalf("recording with a short qpos: %v", err)
	}
	if _, err := NewReplay("Walker2d-v4", rec); err == nil {
		t.Fatal("a Hopper recording replayed in Walker2d")
	}
}
