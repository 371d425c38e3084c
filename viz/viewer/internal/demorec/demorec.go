// Package demorec records short episodes of a built-in environment's
// random policy, so that viewdemo and the window tests replay the same
// recording.
package demorec

import (
	"fmt"
	"math/rand/v2"

	"offrl/envs/registry"
	"offrl/policies"
	"offrl/viz"
)

// Random plays envID's random policy from Reset(seed) for up to steps
// steps (fewer if the episode ends first) and returns them as a
// recording replayed with mode.
func Random(envID string, seed uint64, steps int, mode viz.ReplayMode) (*viz.Recording, error) {
	env, err := registry.Make(envID)
	if err != nil {
		return nil, err
	}
	defer env.Close()
	random, err := policies.ForKind(envID, "random")
	if err != nil {
		return nil, err
	}
	obs, _, err := env.Reset(seed)
	if err != nil {
		return nil, fmt.Errorf("demorec: resetting %s: %w", envID, err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	rec := &viz.Recording{Name: "random (recorded)", Mode: mode,
		ObsDim: env.ObservationSpace().Dim(), ActDim: env.ActionSpace().Dim()}
	action := make([]float64, rec.ActDim)
	for range steps {
		random.Act(obs, rng, action)
		res, err := env.Step(action)
		if err != nil {
			return nil, fmt.Errorf("demorec: %s step %d: %w", envID, rec.Len()+1, err)
		}
		rec.Observations = appendFloat32(rec.Observations, obs)
		rec.Actions = appendFloat32(rec.Actions, action)
		rec.Rewards = append(rec.Rewards, float32(res.Reward))
		rec.NextObservations = appendFloat32(rec.NextObservations, res.Obs)
		rec.Terminals = append(rec.Terminals, res.Terminated)
		rec.Timeouts = append(rec.Timeouts, res.Truncated)
		obs = res.Obs
		if res.Terminated || res.Truncated {
			break
		}
	}
	return rec, nil
}

func appendFloat32(dst []float32, src []float64) []float32 {
	for _, v := range src {
		dst = append(dst, float32(v))
	}
	return dst
}
