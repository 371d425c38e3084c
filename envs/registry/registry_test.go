package registry_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"offrl/envs"
	"offrl/envs/pendulum"
	"offrl/envs/registry"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		id   string
		want registry.Spec
	}{
		{"Pendulum-v1", registry.Spec{ID: "Pendulum-v1", Task: "pendulum", MaxEpisodeSteps: 200, DT: 0.05}},
		{"MountainCarContinuous-v0", registry.Spec{
			ID: "MountainCarContinuous-v0", Task: "mountaincar", MaxEpisodeSteps: 999, DT: 1}},
		{"HalfCheetah-v4", registry.Spec{
			ID: "HalfCheetah-v4", Task: "halfcheetah", MaxEpisodeSteps: 1000, DT: 0.05, FrameSkip: 5}},
		{"Hopper-v4", registry.Spec{
			ID: "Hopper-v4", Task: "hopper", MaxEpisodeSteps: 1000, DT: 0.008, FrameSkip: 4}},
		{"Walker2d-v4", registry.Spec{
			ID: "Walker2d-v4", Task: "walker2d", MaxEpisodeSteps: 1000, DT: 0.008, FrameSkip: 4}},
		{"InvertedPendulum-v4", registry.Spec{ID: "InvertedPendulum-v4",
			Task: "invertedpendulum", MaxEpisodeSteps: 1000, DT: 0.04, FrameSkip: 2}},
		{"InvertedDoublePendulum-v4", registry.Spec{ID: "InvertedDoublePendulum-v4",
			Task: "inverteddoublependulum", MaxEpisodeSteps: 1000, DT: 0.05,
			FrameSkip: 5}},
		{"Reacher-v4", registry.Spec{
			ID: "Reacher-v4", Task: "reacher", MaxEpisodeSteps: 50, DT: 0.02, FrameSkip: 2}},
		{"Swimmer-v4", registry.Spec{
			ID: "Swimmer-v4", Task: "swimmer", MaxEpisodeSteps: 1000, DT: 0.04, FrameSkip: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got, err := registry.Lookup(tt.id)
			if err != nil || got != tt.want {
				t.Errorf("Lookup(%q) = %+v, %v; want %+v, nil", tt.id, got, err, tt.want)
			}
		})
	}
}

func TestUnknownID(t *testing.T) {
	for _, id := range []string{"", "pendulum-v1", "Hopper-v99"} {
		_, err := registry.Lookup(id)
		if !errors.Is(err, envs.ErrUnknownEnv) {
			t.Errorf("Lookup(%q) = %v, want an error wrapping ErrUnknownEnv", id, err)
			continue
		}
		for _, known := range registry.IDs() {
			if !strings.Contains(err.Error(), known) {
				t.Errorf("Lookup(%q) error %q does not list %q", id, err, known)
			}
		}
		if _, err := registry.Make(id); !errors.Is(err, envs.ErrUnknownEnv) {
			t.Errorf("Make(%q) = %v, want an error wrapping ErrUnknownEnv", id, err)
		}
	}
}

func TestIDsSorted(t *testing.T) {
	want := []string{"HalfCheetah-v4", "Hopper-v4", "InvertedDoublePendulum-v4",
		"InvertedPendulum-v4", "MountainCarContinuous-v0", "Pendulum-v1", "Reacher-v4",
		"Swimmer-v4", "Walker2d-v4", "maze2d-large-dense-v1", "maze2d-large-v1",
		"maze2d-medium-dense-v1", "maze2d-medium-v1", "maze2d-open-v0", "maze2d-umaze-dense-v1",
		"maze2d-umaze-v1"}
	got := registry.IDs()
	if !slices.Equal(got, want) {
		t.Fatalf("IDs() = %v, want %v", got, want)
	}
	got[0] = "changed"
	if registry.IDs()[0] != want[0] {
		t.Errorf("changing the slice from IDs() changed the table")
	}
}

func TestMakeTimeLimit(t *testing.T) {
	tests := []struct {
		id       string
		opts     []registry.Option
		wantStep int
	}{
		{"Pendulum-v1", nil, 200},
		{"MountainCarContinuous-v0", nil, 999},
		{"Pendulum-v1", []registry.Option{registry.WithMaxEpisodeSteps(7)}, 7},
		{"MountainCarContinuous-v0", []registry.Option{registry.WithMaxEpisodeSteps(1)}, 1},
		{"Hopper-v4", nil, 1000},
		{"Reacher-v4", nil, 50},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			env, err := registry.Make(tt.id, tt.opts...)
			if err != nil {
				t.Fatalf("Make(%q) = %v", tt.id, err)
			}
			tl, ok := env.(*envs.TimeLimit)
			if !ok {
				t.Fatalf("Make(%q) = %T, want *envs.TimeLimit", tt.id, env)
			}
			if tl.MaxEpisodeSteps() != tt.wantStep {
				t.Errorf("MaxEpisodeSteps() = %d, want %d", tl.MaxEpisodeSteps(), tt.wantStep)
			}
		})
	}
}

func TestWithMaxEpisodeStepsRejects(t *testing.T) {
	for _, n := range []int{0, -5} {
		_, err := registry.Make("Pendulum-v1", registry.WithMaxEpisodeSteps(n))
		if err == nil || !strings.Contains(err.Error(), "max episode steps = "+strconv.Itoa(n)) {
			t.Errorf("Make with WithMaxEpisodeSteps(%d) = %v, want an error naming %d", n, err, n)
		}
	}
}

func TestRegistryRegister(t *testing.T) {
	newPendulum := func() (envs.Env, error) { return pendulum.New(), nil }
	short := registry.Entry{
		Spec: registry.Spec{ID: "ShortPendulum-v0", Task: "short-pendulum", MaxEpisodeSteps: 50, DT: 0.05},
		New:  newPendulum,
	}
	tests := []struct {
		name    string
		entry   registry.Entry
		wantErr string // "" for success
	}{
		{"new ID", short, ""},
		{"duplicate built-in", registry.Entry{
			Spec: registry.Spec{ID: "Pendulum-v1", MaxEpisodeSteps: 1, DT: 1}, New: newPendulum},
			`"Pendulum-v1" is already registered`},
		{"empty ID", registry.Entry{Spec: registry.Spec{MaxEpisodeSteps: 1, DT: 1}, New: newPendulum},
			"ID is empty"},
		{"nil constructor", registry.Entry{Spec: registry.Spec{ID: "X-v0", MaxEpisodeSteps: 1, DT: 1}},
			"constructor is nil"},
		{"zero steps", registry.Entry{Spec: registry.Spec{ID: "X-v0", DT: 1}, New: newPendulum},
			"MaxEpisodeSteps = 0"},
		{"negative dt", registry.Entry{
			Spec: registry.Spec{ID: "X-v0", MaxEpisodeSteps: 1, DT: -1}, New: newPendulum},
			"DT = -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := registry.New()
			err := r.Register(tt.entry)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Register(%+v) = %v, want nil", tt.entry.Spec, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Register(%+v) = %v, want an error containing %q",
					tt.entry.Spec, err, tt.wantErr)
			}
		})
	}

	r := registry.New()
	if err := r.Register(short); err != nil {
		t.Fatal(err)
	}
	if got := r.IDs(); !slices.Contains(got, "ShortPendulum-v0") || len(got) != len(registry.IDs())+1 {
		t.Errorf("IDs() = %v, want the built-ins and ShortPendulum-v0", got)
	}
	if slices.Contains(registry.IDs(), "ShortPendulum-v0") {
		t.Errorf("Register on a Registry changed the package table")
	}
	env, err := r.Make("ShortPendulum-v0")
	if err != nil {
		t.Fatal(err)
	}
	if tl := env.(*envs.TimeLimit); tl.MaxEpisodeSteps() != 50 {
		t.Errorf("MaxEpisodeSteps() = %d, want 50", tl.MaxEpisodeSteps())
	}

	var empty registry.Registry
	if _, err := empty.Lookup("Pendulum-v1"); !errors.Is(err, envs.ErrUnknownEnv) {
		t.Errorf("zero Registry Lookup = %v, want ErrUnknownEnv", err)
	}
	if err := empty.Register(short); err != nil {
		t.Errorf("zero Registry Register = %v, want nil", err)
	}
}

func TestEveryIDMakesAndSteps(t *testing.T) {
	for _, id := range registry.IDs() {
		t.Run(id, func(t *testing.T) {
			env, err := registry.Make(id)
			if err != nil {
				t.Fatalf("Make(%q) = %v", id, err)
			}
			defer env.Close()
			obs, _, err := env.Reset(0)
			if err != nil || len(obs) != env.ObservationSpace().Dim() {
				t.Fatalf("Reset(0) = %v, %v; want %d values", obs, err,
					env.ObservationSpace().Dim())
			}
			if _, err := env.Step(make([]float64, env.ActionSpace().Dim())); err != nil {
				t.Errorf("Step(zero action) = %v", err)
			}
		})
	}
}

// TestEveryIDRebuildsState checks that every built-in environment, as Make
// returns it (in a time limit), rebuilds a state from its first
// observation that SetState accepts, and rejects a short observation. The
// envtest check in each task package tests the rebuilt states themselves.
func TestEveryIDRebuildsState(t *testing.T) {
	for _, id := range registry.IDs() {
		t.Run(id, func(t *testing.T) {
			env, err := registry.Make(id)
			if err != nil {
				t.Fatalf("Make(%q) = %v", id, err)
			}
			defer env.Close()
			rb, ok := env.(envs.StateRebuilder)
			if !ok {
				t.Fatalf("Make(%q) returned %T, want an envs.StateRebuilder", id, env)
			}
			obs, _, err := env.Reset(4)
			if err != nil {
				t.Fatalf("Reset(4) = %v", err)
			}
			state, err := rb.StateFromObservation(obs)
			if err != nil {
				t.Fatalf("StateFromObservation(%v) = %v, want no error", obs, err)
			}
			if err := env.(envs.StateSetter).SetState(state); err != nil {
				t.Fatalf("SetState(%v) = %v, want nil", state, err)
			}
			if _, err := rb.StateFromObservation(obs[1:]); err == nil {
				t.Errorf("StateFromObservation(%v) = nil error, want a length error", obs[1:])
			}
		})
	}
}

// Every registered physics task reports its qpos/qvel layout through the
// time limit, matching the length of its state; classic control reports
// none (D4RL stores no qpos/qvel for it; see envs.StateLayout).
func TestStateLayouts(t *testing.T) {
	for _, id := range registry.IDs() {
		t.Run(id, func(t *testing.T) {
			env, err := registry.Make(id)
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			nq, nv, ok := envs.StateDimsOf(env)
			classic := strings.HasPrefix(id, "Pendulum") || strings.HasPrefix(id, "MountainCar")
			if classic {
				if ok {
					t.Fatalf("%s reports nq %d, nv %d; classic control has no state layout", id, nq, nv)
				}
				return
			}
			if !ok {
				t.Fatalf("%s has no state layout", id)
			}
			if _, _, err := env.Reset(1); err != nil {
				t.Fatal(err)
			}
			if n := len(env.(envs.StateSetter).State()); n != nq+nv {
				t.Fatalf("%s: nq %d + nv %d, but State has %d values", id, nq, nv, n)
			}
			if strings.HasPrefix(id, "maze2d") && (nq != 2 || nv != 2) {
				t.Fatalf("%s: nq %d, nv %d, want 2, 2", id, nq, nv)
			}
		})
	}
}
