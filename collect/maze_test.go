package collect

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"offrl/datasets"
	"offrl/envs/maze2d"
)

// An expert maze collection is one continuous run of the waypoint
// controller, cut into segments at goal switches as D4RL's
// scripts/generation/generate_maze2d_datasets.py does, with the flags,
// continuity and rewards the toolkit chose for it.
func TestMazeExpertIsOneGoalSwitchingRun(t *testing.T) {
	tests := []struct {
		env    string
		layout string
		dense  bool
		limit  int
	}{
		{"maze2d-umaze-v1", maze2d.UMaze, false, 300},
		{"maze2d-umaze-dense-v1", maze2d.UMaze, true, 300},
		{"maze2d-large-v1", maze2d.LargeMaze, false, 800},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			const steps = 3000
			d := collectTo(t, Options{EnvID: tt.env, Kind: "expert", Steps: steps, Seed: 5})
			if d.Len() != steps {
				t.Fatalf("%d rows, want %d", d.Len(), steps)
			}
			m := d.Meta
			if m.TimeoutsMeaning != datasets.TimeoutsGoalSwitch || m.NumTerminals != 0 ||
				!m.TailTruncated || m.MaxEpisodeSteps != tt.limit {
				t.Fatalf("timeouts_meaning %q terminals %d tail_truncated %v limit %d",
					m.TimeoutsMeaning, m.NumTerminals, m.TailTruncated, m.MaxEpisodeSteps)
			}
			if !bytes.Contains(m.BehaviourPolicy, []byte(`"reward_state":"post_step"`)) {
				t.Errorf("behaviour_policy %s does not record post-step rewards", m.BehaviourPolicy)
			}
			l, err := maze2d.ParseLayout(tt.layout)
			if err != nil {
				t.Fatal(err)
			}
			checkMazeRun(t, d, l, tt.dense, tt.limit)
		})
	}
}

// checkMazeRun checks the rows of a maze expert collection.
func checkMazeRun(t *testing.T, d *datasets.Dataset, l *maze2d.Layout, dense bool, limit int) {
	t.Helper()
	od, n := d.ObsDim, d.Len()
	obs := func(i int) []float32 { return d.Observations[i*od : (i+1)*od] }
	next := func(i int) []float32 { return d.NextObservations[i*od : (i+1)*od] }
	goal := l.Goal()
	switches, segment := 0, 0
	for i := range n {
		segment++
		if d.Terminals[i] {
			t.Fatalf("row %d has terminals=true; nothing in a maze run is absorbing", i)
		}
		if i+1 < n {
			for j := range od {
				if math.Float32bits(next(i)[j]) != math.Float32bits(obs(i + 1)[j]) {
					t.Fatalf("row %d: next_observations %v, but row %d observes %v",
						i, next(i), i+1, obs(i+1))
				}
			}
		}
		// The live environment's reward at the post-step position,
		// against the maze's fixed goal.
		dist := math.Hypot(float64(next(i)[0])-float64(goal.I),
			float64(next(i)[1])-float64(goal.J))
		want, tol := 0.0, 1e-6
		switch {
		case dense:
			want, tol = math.Exp(-dist), 1e-5
		case math.Abs(dist-maze2d.GoalRadius) < 1e-5:
			want, tol = float64(d.Rewards[i]), 0 // too close to the edge to tell in float32
		case dist <= maze2d.GoalRadius:
			want = 1
		}
		if math.Abs(float64(d.Rewards[i])-want) > tol {
			t.Fatalf("row %d: reward %v, want %v at distance %v from the goal",
				i, d.Rewards[i], want, dist)
		}
		if segment > limit {
			t.Fatalf("row %d: %d rows since the last goal switch, limit %d", i, segment, limit)
		}
		if !d.Timeouts[i] || i == n-1 {
			continue
		}
		// A switch before the limit means the controller had solved its
		// target: within 0.1 of a free cell's centre with a per-step
		// displacement below 0.1, at the row's (pre-step) observation.
		if segment < limit {
			x, y := float64(obs(i)[0]), float64(obs(i)[1])
			ci, cj := math.RoundToEven(x), math.RoundToEven(y)
			if l.Wall(int(ci), int(cj)) || math.Hypot(x-ci, y-cj) >= maze2d.SolveThreshold+1e-6 {
				t.Fatalf("row %d ends a %d-row segment at (%v, %v), not at a cell centre",
					i, segment, x, y)
			}
			if i > 0 {
				moved := math.Hypot(x-float64(obs(i - 1)[0]), y-float64(obs(i - 1)[1]))
				if moved >= maze2d.VelThreshold+1e-6 {
					t.Fatalf("row %d ends a segment while moving %v per step", i, moved)
				}
			}
		}
		switches++
		segment = 0
	}
	if switches < 5 {
		t.Fatalf("%d goal switches in %d rows; the controller barely reaches its targets",
			switches, n)
	}
}

// The same seed gives the same bytes; another seed other data.
func TestMazeRunIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, seed uint64) []byte {
		out := filepath.Join(dir, name+".parquet")
		collectTo(t, Options{EnvID: "maze2d-umaze-v1", Kind: "expert", Steps: 3000,
			Seed: seed, Out: out})
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := write("a", 11), write("b", 11), write("c", 12)
	if !bytes.Equal(a, b) {
		t.Fatal("two collections with seed 11 differ")
	}
	if bytes.Equal(a, c) {
		t.Fatal("seeds 11 and 12 give the same file")
	}
}

// Random maze data stays episodic: resets and time-limit timeouts.
func TestMazeRandomStaysEpisodic(t *testing.T) {
	d := collectTo(t, Options{EnvID: "maze2d-umaze-v1", Kind: "random", Steps: 700, Seed: 2})
	if d.Meta.TimeoutsMeaning != datasets.TimeoutsTimeLimit {
		t.Fatalf("timeouts_meaning %q, want %q", d.Meta.TimeoutsMeaning, datasets.TimeoutsTimeLimit)
	}
	if !d.Timeouts[299] || !d.Timeouts[599] || d.Meta.NumTimeouts != 3 {
		t.Fatalf("timeouts at 299 %v, 599 %v, count %d; want episodes of 300",
			d.Timeouts[299], d.Timeouts[599], d.Meta.NumTimeouts)
	}
}

// An interrupted maze run resumes, by replaying the run, to files
// byte-identical to an uninterrupted one.
func TestInterruptedMazeRunResumesByteIdentical(t *testing.T) {
	dir := t.TempDir()
	opts := Options{EnvID: "maze2d-umaze-v1", Kind: "expert", Steps: 5000, Seed: 3,
		PartRows: 700, Command: "collect test"}
	want := opts
	want.Out = filepath.Join(dir, "want")
	d := collectTo(t, want)
	l, _ := maze2d.ParseLayout(maze2d.UMaze)
	checkMazeRun(t, d, l, false, 300)

	got := opts
	got.Out = filepath.Join(dir, "got")
	ctx, cancel := context.WithCancel(context.Background())
	got.OnProgress = func(done, _ int) {
		if done >= 3000 {
			cancel()
		}
	}
	if _, err := Run(ctx, got); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Run = %v, want context.Canceled", err)
	}
	if p, err := datasets.ReadProgress(got.Out); err != nil || p.PartsDone() == 0 {
		t.Fatalf("no progress kept: %v", err)
	}
	got.OnProgress = nil
	if _, err := Run(context.Background(), got); err != nil {
		t.Fatalf("resumed Run: %v", err)
	}
	sameFiles(t, want.Out, got.Out)
}
