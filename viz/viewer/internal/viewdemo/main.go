// Command viewdemo plays a built-in environment with its random policy in
// the viewer window. It is the program the window tests run (they cannot
// link the viewer themselves: a test binary linking ebiten stops at start
// on a machine with no display).
//
//	viewdemo -env Hopper-v4 -seed 1 -paused -frames 600 -screenshot out.png
package main

import (
	"flag"
	"fmt"
	"os"

	"offrl/policies"
	"offrl/viz"
	"offrl/viz/viewer"
	"offrl/viz/viewer/internal/demorec"
)

func main() {
	envID := flag.String("env", "Pendulum-v1", "environment ID")
	seed := flag.Uint64("seed", 1, "seed of the first episode and of the policy's noise")
	replay := flag.Int("replay", 0, "if > 0, record this many steps of the random policy and replay them (states mode)")
	var opts viewer.Options
	flag.IntVar(&opts.Width, "width", 320, "window width in pixels")
	flag.IntVar(&opts.Height, "height", 240, "window height in pixels")
	flag.Float64Var(&opts.Speed, "speed", 1, "simulated seconds per second")
	flag.BoolVar(&opts.Paused, "paused", false, "start paused")
	flag.IntVar(&opts.Frames, "frames", 0, "quit after this many frames (0: no limit)")
	flag.StringVar(&opts.Screenshot, "screenshot", "", "write the last drawn screen here as PNG")
	flag.Parse()
	if err := run(*envID, *seed, *replay, opts); err != nil {
		fmt.Fprintf(os.Stderr, "viewdemo: %v\n", err)
		os.Exit(1)
	}
}

func run(envID string, seed uint64, replaySteps int, opts viewer.Options) error {
	p, err := player(envID, seed, replaySteps)
	if err != nil {
		return err
	}
	defer p.Close()
	opts.Title = envID
	return viewer.Run(p, opts)
}

// player plays the random policy, or replays replaySteps recorded steps of it.
func player(envID string, seed uint64, replaySteps int) (*viz.Player, error) {
	if replaySteps > 0 {
		rec, err := demorec.Random(envID, seed, replaySteps, viz.ReplayStates)
		if err != nil {
			return nil, err
		}
		return viz.NewReplay(envID, rec)
	}
	random, err := policies.ForKind(envID, "random")
	if err != nil {
		return nil, err
	}
	return viz.NewPlayer(envID, viz.BehaviourPolicy("random", random), seed)
}
