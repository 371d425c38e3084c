package policies

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"offrl/datasets"
	"offrl/envs"
	"offrl/envs/registry"
)

// Reference holds the returns that anchor the D4RL normalised score of one
// environment: a uniform random policy scores 0 and the expert 100.
type Reference struct {
	EnvID        string
	RandomReturn float64 // mean undiscounted return of [Random]
	ExpertReturn float64 // mean undiscounted return of the task's expert
	Episodes     int     // episodes behind each mean
	Source       string  // how the numbers were obtained and how to reproduce them
}

// referenceSource describes how the reference constants below were
// measured.
const referenceSource = "policies.MeasureReturn(envID, policy, 100, 0): " +
	"100 full-length episodes via registry.Make, reset seeds 0..99; " +
	"reproduce with: go test ./policies -run TestReferenceReturns -v"

// The reference returns, measured once with MeasureReturn over reset
// seeds 0..99 (episodes = 100, seed = 0) on linux/amd64 with Go 1.26, and
// re-measured by TestReferenceReturns, which logs the values it gets
// (go test ./policies -run TestReferenceReturns -v). Standard deviations
// over the 100 episodes: Pendulum random 294.4, expert 88.2; MountainCar
// random 1.20, expert 0.23. The random MountainCar policy never reached
// the goal in these episodes; the expert always did.
var (
	pendulumReference = Reference{
		EnvID:        "Pendulum-v1",
		RandomReturn: -1224.461713,
		ExpertReturn: -158.409122,
		Episodes:     100,
		Source:       referenceSource,
	}
	mountainCarReference = Reference{
		EnvID:        "MountainCarContinuous-v0",
		RandomReturn: -33.365675,
		ExpertReturn: 92.028,
		Episodes:     100,
		Source:       referenceSource,
	}
)

// d4rlReference is a MuJoCo locomotion task's REF_MIN_SCORE and
// REF_MAX_SCORE from D4RL (d4rl/infos.py; the same for every dataset kind
// and version), the scale every published D4RL score uses. They were
// measured by D4RL on MuJoCo, not by this toolkit, so Episodes is 0.
func d4rlReference(envID string, random, expert float64) Reference {
	return Reference{EnvID: envID, RandomReturn: random, ExpertReturn: expert,
		Source: "D4RL d4rl/infos.py REF_MIN_SCORE and REF_MAX_SCORE (measured on MuJoCo; " +
			"envs/physics matches MuJoCo 2.2.2, see its README)"}
}

// The medium policies' ε (see [Noisy]), tuned so that the medium policy's
// normalised score is about 33. Measured with MeasureReturn and the
// references above (TestMediumScore checks [30, 36] over 1000 episodes):
//
//	Pendulum-v1      ε = 0.78:  score 34.4 (seeds 0..99), 33.7 (0..999),
//	                            34.0 (5000 episodes from seed 100000)
//	MountainCar      ε = 0.925: score 30.5 (seeds 0..99), 32.5 (0..999),
//	                            34.8 (5000 episodes from seed 100000)
//
// MountainCar's score is steep in ε (38.7 at 0.92, 17.9 at 0.94) and its
// returns are bimodal (reach the flag or not, std ≈ 55), because the
// expert still pumps energy with a few correct pushes: only when more
// than nine actions in ten are random does it often fail. Its medium
// dataset is therefore mostly random actions with a ~40% success rate.
const (
	pendulumMediumEps    = 0.78
	mountainCarMediumEps = 0.925
)

// ReferenceFor returns the reference returns of envID, or an error
// wrapping [envs.ErrUnknownEnv] or [ErrNoPolicies].
func ReferenceFor(envID string) (Reference, error) {
	if _, err := registry.Lookup(envID); err != nil {
		return Reference{}, fmt.Errorf("policies: %w", err)
	}
	t, ok := tasks[envID]
	if !ok {
		return Reference{}, fmt.Errorf("%w %q", ErrNoPolicies, envID)
	}
	return t.reference, nil
}

// NormalizedScore is [datasets.NormalizedScore] against ref's returns: 0
// for the random policy, 100 for the expert.
func NormalizedScore(ret float64, ref Reference) float64 {
	return datasets.NormalizedScore(ret, ref.RandomReturn, ref.ExpertReturn)
}

// policyStream is the PCG stream of the generators handed to policies by
// MeasureReturn, apart from the environments' own reset streams.
const policyStream = 0x706f6c696379 // "policy" in ASCII

// MeasureReturn runs p for episodes full episodes of envID, built by
// [registry.Make] with its registered time limit, and returns the mean and
// the population standard deviation (dividing by episodes) of the
// undiscounted returns.
//
// Episode i (from 0) resets the environment with seed+i and gives p a
// generator seeded with seed+i on its own stream, so results do not depend
// on how many episodes ran before. Equal arguments give equal results.
// episodes < 1 is an error naming the value; environment errors are
// wrapped with the episode and step.
func MeasureReturn(envID string, p Policy, episodes int, seed uint64) (
	mean, std float64, err error) {
	if episodes < 1 {
		return 0, 0, fmt.Errorf("policies: measuring %s: episodes = %d, must be ≥ 1",
			envID, episodes)
	}
	env, err := registry.Make(envID)
	if err != nil {
		return 0, 0, fmt.Errorf("policies: measuring: %w", err)
	}
	defer func() {
		if cerr := env.Close(); cerr != nil {
			mean, std = 0, 0
			err = errors.Join(err, fmt.Errorf("policies: closing %s: %w", envID, cerr))
		}
	}()

	returns := make([]float64, episodes)
	action := make([]float64, env.ActionSpace().Dim())
	for i := range returns {
		s := seed + uint64(i)
		returns[i], err = runEpisode(env, p, s, rand.New(rand.NewPCG(s, policyStream)), action)
		if err != nil {
			return 0, 0, fmt.Errorf("policies: measuring %s episode %d: %w", envID, i, err)
		}
	}

	for _, r := range returns {
		mean += r
	}
	mean /= float64(episodes)
	for _, r := range returns {
		std += float64((r - mean) * (r - mean))
	}
	return mean, math.Sqrt(std / float64(episodes)), nil
}

// runEpisode resets env with seed and steps it with p until the episode
// ends, returning the sum of rewards. action is scratch space.
func runEpisode(env envs.Env, p Policy, seed uint64, rng *rand.Rand,
	action []float64) (float64, error) {
	obs, _, err := env.Reset(seed)
	if err != nil {
		return 0, err
	}
	total := 0.0
	for step := 1; ; step++ {
		p.Act(obs, rng, action)
		res, err := env.Step(action)
		if err != nil {
			return 0, fmt.Errorf("step %d: %w", step, err)
		}
		total += res.Reward
		if res.Terminated || res.Truncated {
			return total, nil
		}
		obs = res.Obs
	}
}
