// Package eval runs deterministic evaluation episodes in parallel and
// summarises their returns; [datasets.NormalizedScore] puts a return on the
// D4RL scale.
//
//	res, err := eval.Run(ctx, newEnv, agent, eval.Options{Episodes: 10, Seed: seed + 100})
//	score := datasets.NormalizedScore(res.ReturnMean, meta.RefMinScore, meta.RefMaxScore)
package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"offrl/envs"
)

// Policy maps an observation to an action. Act must be safe for
// concurrent use: episodes run in parallel goroutines.
type Policy interface {
	Act(obs []float64, action []float64)
}

// Options controls an evaluation.
type Options struct {
	Episodes int    // number of episodes; episode i resets with Seed+i
	Seed     uint64 // seed of the first episode
	Workers  int    // goroutines; 0 means GOMAXPROCS
}

// Result summarises the episodes of one evaluation. Returns and Lengths
// are in episode order, whatever the scheduling, so results are
// deterministic.
type Result struct {
	Returns    []float64 `json:"returns"`
	Lengths    []int     `json:"lengths"`
	ReturnMean float64   `json:"return_mean"`
	ReturnStd  float64   `json:"return_std"` // population standard deviation
	ReturnMin  float64   `json:"return_min"`
	ReturnMax  float64   `json:"return_max"`
}

// Run plays opts.Episodes episodes of the policy, each in an environment
// from newEnv, until termination or truncation. It stops early with the
// context's error when ctx is cancelled.
func Run(ctx context.Context, newEnv func() (envs.Env, error), p Policy,
	opts Options) (Result, error) {
	if opts.Episodes < 1 {
		return Result{}, fmt.Errorf("eval: %d episodes, want at least 1", opts.Episodes)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, opts.Episodes)

	res := Result{Returns: make([]float64, opts.Episodes), Lengths: make([]int, opts.Episodes)}
	errs := make([]error, opts.Episodes)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			env, err := newEnv()
			if err != nil {
				for i := range next {
					errs[i] = err
				}
				return
			}
			defer env.Close()
			for i := range next {
				res.Returns[i], res.Lengths[i], errs[i] = episode(ctx, env, p, opts.Seed+uint64(i))
			}
		}()
	}
	for i := range opts.Episodes {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Result{}, err
	}
	res.summarise()
	return res, nil
}

// episode plays one episode and returns its undiscounted return and length.
func episode(ctx context.Context, env envs.Env, p Policy, seed uint64) (float64, int, error) {
	obs, _, err := env.Reset(seed)
	if err != nil {
		return 0, 0, fmt.Errorf("eval: reset with seed %d: %w", seed, err)
	}
	action := make([]float64, env.ActionSpace().Dim())
	ret := 0.0
	for steps := 1; ; steps++ {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		p.Act(obs, action)
		st, err := env.Step(action)
		if err != nil {
			return 0, 0, fmt.Errorf("eval: episode with seed %d, step %d: %w", seed, steps, err)
		}
		ret += st.Reward
		if st.Terminated || st.Truncated {
			return ret, steps, nil
		}
		obs = st.Obs
	}
}

func (r *Result) summarise() {
	n := float64(len(r.Returns))
	r.ReturnMin, r.ReturnMax = math.Inf(1), math.Inf(-1)
	sum := 0.0
	for _, x := range r.Returns {
		sum += x
		r.ReturnMin = math.Min(r.ReturnMin, x)
		r.ReturnMax = math.Max(r.ReturnMax, x)
	}
	r.ReturnMean = sum / n
	ss := 0.0
	for _, x := range r.Returns {
		ss += (x - r.ReturnMean) * (x - r.ReturnMean)
	}
	r.ReturnStd = math.Sqrt(ss / n)
}
