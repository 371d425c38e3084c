package mujoco

import (
	"bufio"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"offrl/envs"
	"offrl/envs/envtest"
	"offrl/envs/physics"
)

// task is one environment under test with the facts the tests check.
type task struct {
	id        string
	model     string // model and golden file stem
	newEnv    func() (taskEnv, error)
	frameSkip int
	dt        float64
	obsDim    int
	actLow    float64 // every action component has the same bounds
	actHigh   float64
}

// taskEnv is what every task type provides.
type taskEnv interface {
	envs.Env
	envs.StateSetter
	envs.StateRebuilder
	envs.Renderer
	DT() float64
	FrameSkip() int
	Model() *physics.Model
	core() *base
}

// wrap adapts a concrete constructor to func() (taskEnv, error).
func wrap[E taskEnv](f func() (E, error)) func() (taskEnv, error) {
	return func() (taskEnv, error) { return f() }
}

var tasks = []task{
	{"HalfCheetah-v4", "half_cheetah", wrap(NewHalfCheetah), 5, HalfCheetahDT, 17, -1, 1},
	{"Hopper-v4", "hopper", wrap(NewHopper), 4, HopperDT, 11, -1, 1},
	{"Walker2d-v4", "walker2d", wrap(NewWalker2d), 4, Walker2dDT, 17, -1, 1},
	{"InvertedPendulum-v4", "inverted_pendulum", wrap(NewInvertedPendulum), 2,
		InvertedPendulumDT, 4, -3, 3},
	{"InvertedDoublePendulum-v4", "inverted_double_pendulum",
		wrap(NewInvertedDoublePendulum), 5, InvertedDoublePendulumDT, 11, -1, 1},
	{"Reacher-v4", "reacher", wrap(NewReacher), 2, ReacherDT, 11, -1, 1},
	{"Swimmer-v4", "swimmer", wrap(NewSwimmer), 4, SwimmerDT, 8, -1, 1},
}

// mustNew builds tk's environment or fails the test.
func mustNew(t testing.TB, tk task) taskEnv {
	t.Helper()
	env, err := tk.newEnv()
	if err != nil {
		t.Fatalf("%s: constructor: %v", tk.id, err)
	}
	return env
}

func TestContract(t *testing.T) {
	for _, tk := range tasks {
		t.Run(tk.id, func(t *testing.T) {
			envtest.Check(t, func() envs.Env { return mustNew(t, tk) })
		})
	}
}

func TestSpacesAndTiming(t *testing.T) {
	for _, tk := range tasks {
		t.Run(tk.id, func(t *testing.T) {
			env := mustNew(t, tk)
			m := env.Model()
			if got := m.Option.Timestep * float64(tk.frameSkip); got != tk.dt || env.DT() != tk.dt {
				t.Errorf("timestep·frameSkip = %v, DT() = %v, want the constant %v",
					got, env.DT(), tk.dt)
			}
			if env.FrameSkip() != tk.frameSkip {
				t.Errorf("FrameSkip() = %d, want %d", env.FrameSkip(), tk.frameSkip)
			}
			obs := env.ObservationSpace()
			if obs.Dim() != tk.obsDim {
				t.Errorf("observation dim %d, want %d", obs.Dim(), tk.obsDim)
			}
			for i := range obs.Low {
				if !math.IsInf(obs.Low[i], -1) || !math.IsInf(obs.High[i], 1) {
					t.Errorf("observation bound %d = [%v, %v], want unbounded",
						i, obs.Low[i], obs.High[i])
				}
			}
			act := env.ActionSpace()
			if act.Dim() != m.Nu {
				t.Errorf("action dim %d, want nu = %d", act.Dim(), m.Nu)
			}
			for i := range act.Low {
				if act.Low[i] != tk.actLow || act.High[i] != tk.actHigh {
					t.Errorf("action bound %d = [%v, %v], want [%v, %v]",
						i, act.Low[i], act.High[i], tk.actLow, tk.actHigh)
				}
			}
			act.Low[0] = 99
			if env.ActionSpace().Low[0] == 99 {
				t.Errorf("ActionSpace returned the environment's own slice")
			}
		})
	}
}

// readRows reads a golden file's numeric rows, skipping '#' lines.
func readRows(t *testing.T, path string) [][]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]float64
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || line == "qpos0" {
			continue
		}
		fields := strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' })
		row := make([]float64, len(fields))
		for i, s := range fields {
			if row[i], err = strconv.ParseFloat(s, 64); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// mustSet sets env's state or fails the test.
func mustSet(t *testing.T, env envs.StateSetter, state []float64) {
	t.Helper()
	if err := env.SetState(state); err != nil {
		t.Fatalf("SetState(%v) = %v", state, err)
	}
}

// mustStep steps env or fails the test.
func mustStep(t *testing.T, env envs.Env, action []float64) envs.StepResult {
	t.Helper()
	res, err := env.Step(action)
	if err != nil {
		t.Fatalf("Step(%v) = %v", action, err)
	}
	return res
}

// near reports whether |a − b| ≤ tol.
func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestInvalidActionNamesTask(t *testing.T) {
	for _, tk := range tasks {
		env := mustNew(t, tk)
		if _, _, err := env.Reset(1); err != nil {
			t.Fatal(err)
		}
		_, err := env.Step([]float64{math.NaN()})
		if !errors.Is(err, envs.ErrInvalidAction) || !strings.Contains(err.Error(), tk.id) {
			t.Errorf("%s: Step(NaN) = %v, want ErrInvalidAction naming the task", tk.id, err)
		}
	}
}

func TestDivergenceIsErrorNamingTask(t *testing.T) {
	for _, tk := range tasks {
		t.Run(tk.id, func(t *testing.T) {
			env := mustNew(t, tk)
			if _, _, err := env.Reset(1); err != nil {
				t.Fatal(err)
			}
			action := make([]float64, env.ActionSpace().Dim())
			for _, mag := range []float64{1e100, 1e130, 1e150, 1e160, 1e200, 1e300} {
				state := env.State()
				for i := env.Model().Nq; i < len(state); i++ {
					state[i] = mag // huge velocities
				}
				before := env.State()
				if err := env.SetState(state); err != nil {
					if !strings.Contains(err.Error(), tk.id) {
						t.Errorf("SetState error %q does not name %s", err, tk.id)
					}
					if !equal(env.State(), before) {
						t.Fatalf("failed SetState changed the state to %v", env.State())
					}
					continue
				}
				_, err := env.Step(action)
				if err == nil {
					continue
				}
				if !strings.Contains(err.Error(), tk.id) {
					t.Errorf("Step error %q does not name %s", err, tk.id)
				}
				if !equal(env.State(), state) {
					t.Fatalf("state after the failed step = %v, want it restored", env.State())
				}
				return
			}
			t.Skip("no state magnitude made the step diverge")
		})
	}
}

// goldenPath returns the path of a golden file in testdata.
func goldenPath(model, name string) string {
	return filepath.Join("testdata", model+"."+name)
}
