package envs

import (
	"errors"
	"image"
	"testing"
)

// countingEnv is a minimal Env for wrapper tests: its one state variable
// counts steps since Reset, and it terminates on step terminateAt (never
// when 0).
type countingEnv struct {
	steps       int
	terminateAt int
	closed      int
}

func (c *countingEnv) Reset(seed uint64) ([]float64, Info, error) {
	c.steps = 0
	return []float64{0}, nil, nil
}

func (c *countingEnv) Step(action []float64) (StepResult, error) {
	if err := CheckAction(c.ActionSpace(), action); err != nil {
		return StepResult{}, err
	}
	c.steps++
	return StepResult{
		Obs:        []float64{float64(c.steps)},
		Terminated: c.steps == c.terminateAt,
	}, nil
}

func (c *countingEnv) ObservationSpace() Box {
	return Box{Low: []float64{0}, High: []float64{1e9}}
}

func (c *countingEnv) ActionSpace() Box { return Box{Low: []float64{-1}, High: []float64{1}} }

func (c *countingEnv) Close() error { c.closed++; return nil }

// fullEnv adds state setting and rendering to countingEnv.
type fullEnv struct{ countingEnv }

func (f *fullEnv) State() []float64 { return []float64{float64(f.steps)} }

func (f *fullEnv) SetState(s []float64) error { f.steps = int(s[0]); return nil }

func (f *fullEnv) Render(w, h int) (image.Image, error) {
	return image.NewRGBA(image.Rect(0, 0, w, h)), nil
}

func TestTimeLimitFlags(t *testing.T) {
	tests := []struct {
		name           string
		maxSteps       int
		terminateAt    int
		wantSteps      int // steps until the episode ends
		wantTerminated bool
		wantTruncated  bool
	}{
		{"truncated at the limit", 5, 0, 5, false, true},
		{"limit of one step", 1, 0, 1, false, true},
		{"terminated before the limit", 5, 3, 3, true, false},
		{"both on the same step", 4, 4, 4, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := NewTimeLimit(&countingEnv{terminateAt: tt.terminateAt}, tt.maxSteps)
			for episode := range 2 {
				if _, _, err := tl.Reset(uint64(episode)); err != nil {
					t.Fatal(err)
				}
				for step := 1; step <= tt.wantSteps; step++ {
					res, err := tl.Step([]float64{0})
					if err != nil {
						t.Fatalf("episode %d step %d: %v", episode, step, err)
					}
					last := step == tt.wantSteps
					wantTerm, wantTrunc := last && tt.wantTerminated, last && tt.wantTruncated
					if res.Terminated != wantTerm || res.Truncated != wantTrunc {
						t.Fatalf("episode %d step %d: terminated %v truncated %v, want %v %v",
							episode, step, res.Terminated, res.Truncated, wantTerm, wantTrunc)
					}
					if tl.ElapsedSteps() != step {
						t.Fatalf("ElapsedSteps() = %d, want %d", tl.ElapsedSteps(), step)
					}
				}
				if _, err := tl.Step([]float64{0}); !errors.Is(err, ErrNeedsReset) {
					t.Errorf("Step after the end = %v, want ErrNeedsReset", err)
				}
			}
		})
	}
}

func TestTimeLimitStepBeforeReset(t *testing.T) {
	tl := NewTimeLimit(&countingEnv{}, 3)
	if _, err := tl.Step([]float64{0}); !errors.Is(err, ErrNeedsReset) {
		t.Errorf("Step before Reset = %v, want ErrNeedsReset", err)
	}
}

func TestTimeLimitInvalidActionNotCounted(t *testing.T) {
	inner := &countingEnv{}
	tl := NewTimeLimit(inner, 2)
	if _, _, err := tl.Reset(0); err != nil {
		t.Fatal(err)
	}
	if _, err := tl.Step(nil); !errors.Is(err, ErrInvalidAction) {
		t.Fatalf("Step(nil) = %v, want ErrInvalidAction", err)
	}
	if tl.ElapsedSteps() != 0 {
		t.Errorf("ElapsedSteps() after a rejected action = %d, want 0", tl.ElapsedSteps())
	}
	res, _ := tl.Step([]float64{0})
	if res.Truncated {
		t.Errorf("step 1 of 2 truncated; a rejected action must not count")
	}
}

func TestTimeLimitForwarding(t *testing.T) {
	t.Run("capable inner env", func(t *testing.T) {
		inner := &fullEnv{}
		tl := NewTimeLimit(inner, 10)
		if tl.Unwrap() != Env(inner) {
			t.Errorf("Unwrap() = %v, want the inner env", tl.Unwrap())
		}
		if err := tl.SetState([]float64{4}); err != nil || tl.State()[0] != 4 {
			t.Errorf("SetState/State = %v, %v; want 4, nil", tl.State(), err)
		}
		img, err := tl.Render(8, 6)
		if err != nil || img.Bounds().Dx() != 8 || img.Bounds().Dy() != 6 {
			t.Errorf("Render(8, 6) = %v, %v", img, err)
		}
		if tl.ObservationSpace().Dim() != 1 || tl.ActionSpace().Dim() != 1 {
			t.Errorf("spaces not forwarded")
		}
		if err := tl.Close(); err != nil || inner.closed != 1 {
			t.Errorf("Close() = %v with %d inner closes, want nil and 1", err, inner.closed)
		}
	})
	t.Run("plain inner env", func(t *testing.T) {
		tl := NewTimeLimit(&countingEnv{}, 10)
		if s := tl.State(); s != nil {
			t.Errorf("State() = %v, want nil", s)
		}
		if err := tl.SetState([]float64{1}); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("SetState = %v, want ErrUnsupported", err)
		}
		if _, err := tl.Render(4, 4); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("Render = %v, want ErrUnsupported", err)
		}
	})
}

func TestNewTimeLimitPanics(t *testing.T) {
	tests := []struct {
		name     string
		env      Env
		maxSteps int
	}{
		{"zero steps", &countingEnv{}, 0},
		{"negative steps", &countingEnv{}, -3},
		{"nil env", nil, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("NewTimeLimit(%v, %d) did not panic", tt.env, tt.maxSteps)
				}
			}()
			NewTimeLimit(tt.env, tt.maxSteps)
		})
	}
}

// rebuildingEnv adds StateFromObservation to countingEnv: the state is the
// observed step count.
type rebuildingEnv struct{ countingEnv }

func (r *rebuildingEnv) StateFromObservation(obs []float64) ([]float64, error) {
	if err := CheckObservation(1, obs); err != nil {
		return nil, err
	}
	return []float64{obs[0]}, nil
}

func TestTimeLimitForwardsStateFromObservation(t *testing.T) {
	tl := NewTimeLimit(&rebuildingEnv{}, 10)
	got, err := tl.StateFromObservation([]float64{3})
	if err != nil || len(got) != 1 || got[0] != 3 {
		t.Errorf("StateFromObservation([3]) = %v, %v; want [3], nil", got, err)
	}
	if _, err := tl.StateFromObservation([]float64{1, 2}); err == nil {
		t.Errorf("StateFromObservation([1 2]) = nil error, want the inner env's length error")
	}

	plain := NewTimeLimit(&countingEnv{}, 10)
	if s, err := plain.StateFromObservation([]float64{3}); s != nil ||
		!errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("StateFromObservation on a plain env = %v, %v; want nil, ErrUnsupported", s, err)
	}
}
