// Package policies provides the behaviour policies that generate datasets:
// a uniform random policy, scripted experts for each task, and a noisy
// wrapper that turns an expert into a weaker "medium" policy. It also
// holds the reference returns that put raw returns on the D4RL scale.
//
//	p, err := policies.ForKind("Pendulum-v1", "medium")
//	p.Act(obs, rng, action)
//
// The package may import envs and envs/registry; envs never imports it.
package policies

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"offrl/envs"
	"offrl/envs/maze2d"
	"offrl/envs/registry"
)

// Policy maps an observation to an action.
//
// Act writes the action for obs into action, whose length is the action
// space's dimension. rng is the policy's own random stream; deterministic
// policies ignore it. Act must not keep obs or action. A Policy is not
// safe for concurrent use unless its documentation says so.
type Policy interface {
	Act(obs []float64, rng *rand.Rand, action []float64)
}

// Random acts uniformly at random in Space, independently at every step.
type Random struct {
	Space envs.Box // the action box; its bounds must be finite
}

// Act writes a uniform draw from r.Space into action.
func (r Random) Act(obs []float64, rng *rand.Rand, action []float64) {
	sampleBox(r.Space, rng, action)
}

// Noisy weakens a policy with ε-uniform noise: at each step, with
// probability Eps it takes a uniform random action from Space, otherwise
// Base's action. Eps = 0 is Base, Eps = 1 is [Random].
//
// This form of noise was chosen over Gaussian perturbation because it
// interpolates between the expert and the random policy that define the
// D4RL scale, keeps every action inside the box, and has one parameter to
// tune per task so that the medium policy scores about 33.
type Noisy struct {
	Base  Policy
	Eps   float64  // probability of a random action, in [0, 1]
	Space envs.Box // the action box; its bounds must be finite
}

// Act draws one uniform number from rng to choose between a random action
// and Base's action, then writes the chosen action into action.
func (n Noisy) Act(obs []float64, rng *rand.Rand, action []float64) {
	if rng.Float64() < n.Eps {
		sampleBox(n.Space, rng, action)
		return
	}
	n.Base.Act(obs, rng, action)
}

// sampleBox writes a uniform draw from box into x.
func sampleBox(box envs.Box, rng *rand.Rand, x []float64) {
	for i := range x {
		lo, hi := box.Low[i], box.High[i]
		x[i] = lo + float64((hi-lo)*rng.Float64())
	}
}

// Dataset kinds for which [ForKind] builds a policy.
const (
	KindRandom = "random"
	KindMedium = "medium"
	KindExpert = "expert"
)

// Sentinel errors of [ForKind].
var (
	// ErrUnknownKind reports a dataset kind that names no policy.
	ErrUnknownKind = errors.New("policies: unknown dataset kind")
	// ErrCompositeKind reports a kind that is assembled from other kinds'
	// datasets (medium-expert) rather than collected with one policy.
	ErrCompositeKind = errors.New("policies: kind is a concatenation of datasets, not a policy")
	// ErrNoPolicies reports a registered environment for which this
	// package has no behaviour policies.
	ErrNoPolicies = errors.New("policies: no behaviour policies for environment")
)

// task holds what this package knows about one environment.
type task struct {
	expert    func() Policy // nil: no scripted expert (random only)
	mediumEps float64       // Noisy.Eps of the medium policy
	reference Reference     // see reference.go
	// trained, when set, names shipped SAC policies (trained.go) that are
	// the task's medium and expert, and its measured references.
	trained *TrainedEntry
}

// init puts the shipped trained policies (trained.go) in the table.
func init() {
	for id, e := range shipped {
		t := tasks[id]
		t.trained = &e
		t.reference = Reference{EnvID: id, RandomReturn: e.RandomReturn, ExpertReturn: e.ExpertReturn,
			Episodes: e.Episodes, Source: "policies/trained/manifest.json: measured by " + e.PickCommand}
		tasks[id] = t
	}
}

// tasks is the table of environments with behaviour policies. It is
// written here, completed by init from the shipped trained policies, and
// never changed after.
var tasks = map[string]task{
	"Pendulum-v1": {
		expert:    func() Policy { return PendulumExpert{} },
		mediumEps: pendulumMediumEps,
		reference: pendulumReference,
	},
	"MountainCarContinuous-v0": {
		expert:    func() Policy { return MountainCarExpert{} },
		mediumEps: mountainCarMediumEps,
		reference: mountainCarReference,
	},
	// The MuJoCo locomotion tasks have D4RL's reference returns (their
	// physics matches MuJoCo's, see envs/physics) but no behaviour
	// policies beyond random yet: those are trained agents, not scripts.
	"maze2d-open-v0":         mazeTask("maze2d-open-v0", maze2d.Open, 11.77, 105.50),
	"maze2d-umaze-v1":        mazeTask("maze2d-umaze-v1", maze2d.UMaze, 32.23, 226.40),
	"maze2d-medium-v1":       mazeTask("maze2d-medium-v1", maze2d.MediumMaze, 20.54, 430.08),
	"maze2d-large-v1":        mazeTask("maze2d-large-v1", maze2d.LargeMaze, 17.17, 557.90),
	"maze2d-umaze-dense-v1":  mazeTask("maze2d-umaze-dense-v1", maze2d.UMaze, 73.88, 238.16),
	"maze2d-medium-dense-v1": mazeTask("maze2d-medium-dense-v1", maze2d.MediumMaze, 47.63, 444.33),
	"maze2d-large-dense-v1":  mazeTask("maze2d-large-dense-v1", maze2d.LargeMaze, 46.25, 577.32),
	"HalfCheetah-v4":         {reference: d4rlReference("HalfCheetah-v4", -280.178953, 12135.0)},
	"Hopper-v4":              {reference: d4rlReference("Hopper-v4", -20.272305, 3234.3)},
	"Walker2d-v4":            {reference: d4rlReference("Walker2d-v4", 1.629008, 4592.3)},
	// The MuJoCo control tasks outside D4RL have scripted experts (see
	// their files) and reference returns of our own; no medium policy is
	// tuned for them yet.
	"InvertedPendulum-v4": {
		expert:    func() Policy { return InvertedPendulumExpert{} },
		reference: invertedPendulumReference,
	},
	"InvertedDoublePendulum-v4": {
		expert:    func() Policy { return InvertedDoublePendulumExpert{} },
		reference: invertedDoublePendulumReference,
	},
	"Reacher-v4": {
		expert:    func() Policy { return ReacherExpert{} },
		reference: reacherReference,
	},
	"Swimmer-v4": {
		// A new one per call: the gait keeps its phase.
		expert:    func() Policy { return NewSwimmerExpert() },
		reference: swimmerReference,
	},
}

// ForKind returns the behaviour policy that collects datasets of kind
// ("random", "medium" or "expert") for the environment envID:
//
//   - random: [Random] over the action space;
//   - expert: the task's scripted expert ([PendulumExpert],
//     [MountainCarExpert], [InvertedPendulumExpert],
//     [InvertedDoublePendulumExpert], [ReacherExpert], [SwimmerExpert],
//     D4RL's waypoint controller for the mazes);
//   - medium: the expert inside [Noisy], with the task's ε tuned so that
//     the normalised score is about 33.
//
// "medium-expert" is an error wrapping [ErrCompositeKind]: the collector
// concatenates the medium and expert datasets. Another kind is an error
// wrapping [ErrUnknownKind]; an unknown envID one wrapping
// [envs.ErrUnknownEnv], and a registered environment without scripted
// policies one wrapping [ErrNoPolicies] for kinds other than random,
// which every registered environment has.
func ForKind(envID, kind string) (Policy, error) {
	if _, err := registry.Lookup(envID); err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	if kind == KindRandom {
		// Random needs only the action space, so every registered
		// environment has it.
		space, err := actionSpace(envID)
		if err != nil {
			return nil, err
		}
		return Random{Space: space}, nil
	}
	t, ok := tasks[envID]
	if ok && t.trained != nil {
		file := map[string]string{KindExpert: t.trained.Expert.File, KindMedium: t.trained.Medium.File}[kind]
		if file != "" {
			p, err := loadShipped(file)
			if err != nil {
				return nil, err
			}
			return p, nil
		}
	}
	if !ok || t.expert == nil {
		return nil, fmt.Errorf("%w %q for kind %q (only %q exists for it so far)",
			ErrNoPolicies, envID, kind, KindRandom)
	}
	switch kind {
	case KindExpert:
		return t.expert(), nil
	case KindMedium:
		if t.mediumEps == 0 {
			return nil, fmt.Errorf("%w %q for kind %q (no medium policy is tuned for it yet)",
				ErrNoPolicies, envID, kind)
		}
		space, err := actionSpace(envID)
		if err != nil {
			return nil, err
		}
		return Noisy{Base: t.expert(), Eps: t.mediumEps, Space: space}, nil
	case "medium-expert":
		return nil, fmt.Errorf("kind %q for %s: collect %q and %q and concatenate them: %w",
			kind, envID, KindMedium, KindExpert, ErrCompositeKind)
	}
	return nil, fmt.Errorf("kind %q for %s, want one of %s: %w", kind, envID,
		strings.Join([]string{KindRandom, KindMedium, KindExpert}, ", "), ErrUnknownKind)
}

// actionSpace returns the action box of envID, read from an instance that
// is closed again at once.
func actionSpace(envID string) (envs.Box, error) {
	env, err := registry.Make(envID)
	if err != nil {
		return envs.Box{}, fmt.Errorf("policies: %w", err)
	}
	space := env.ActionSpace()
	if err := env.Close(); err != nil {
		return envs.Box{}, fmt.Errorf("policies: closing %s: %w", envID, err)
	}
	return space, nil
}

// mazeTask is a D4RL point-mass maze with D4RL's waypoint controller as its
// expert and our own reference returns (random and controller, 100
// episodes each, measured with MeasureReturn; TestReferenceReturns checks
// them). D4RL's constants (d4rl/infos.py) are lower for the controller,
// see envs/maze2d/README.md. No medium policy is tuned for the mazes.
func mazeTask(id, layout string, random, expert float64) task {
	return task{
		expert: func() Policy {
			c, err := maze2d.NewWaypointController(layout)
			if err != nil {
				panic(fmt.Sprintf("policies: built-in maze layout of %s: %v", id, err))
			}
			return c
		},
		reference: Reference{EnvID: id, RandomReturn: random, ExpertReturn: expert,
			Episodes: 100, Source: referenceSource},
	}
}
