// Package app is the view command: flags, what acts (a behaviour policy,
// a trained agent, a recorded episode), GIF export and plots. It is shared
// by cmd/view, which never links the window library so that it runs on
// machines without a display, and cmd/view/view-window, which adds the
// window.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"offrl/datasets"
	"offrl/envs/registry"
	"offrl/internal/cli"
	"offrl/policies"
	"offrl/train"
	"offrl/viz"
	"offrl/viz/display"
)

const usage = `Usage: view [flags] [RUN_DIR ...]

Plays an environment with its own renderer, in a window (keys: space
pause, right arrow step, up/down speed, R reset, Escape quit) or, with
--gif, into an animated GIF without a display. What acts:

  (default)                   a behaviour policy of the toolkit (--behaviour, default random)
  --policy RUN_DIR            a trained agent's latest checkpoint (--stochastic samples it)
  --dataset FILE --episode N  an episode recorded in a dataset, replayed from its
                              recorded start (--replay actions) or shown state by
                              state as recorded (--replay states)

With --plot, draws the learning curves of the run directories given as
arguments in one PNG (--out); runs of the same algorithm and dataset are
seeds, drawn as their mean ± std.

Examples:
  xvfb-run go run ./cmd/view --env Hopper-v4
  go run ./cmd/view --gif hop.gif
  go run ./cmd/view --policy runs/pendulum-v1-td3bc-0-20261204T101500Z --gif agent.gif
  go run ./cmd/view --dataset ~/.cache/offrl/datasets/pendulum-medium-v0 --episode 3
  go run ./cmd/view --plot --out seeds.png runs/a runs/b runs/c

Flags:
`

// flags are the command line after parsing.
type flags struct {
	fs                                *flag.FlagSet
	env, behaviour, policy, dataset   string
	replay, gif, out, title           string
	screenshot                        string
	episode, episodes, maxSteps, seed int
	width, height, frames             int
	speed                             float64
	stochastic, plot, paused          bool
	args                              []string // positional: run directories for --plot
}

func parseFlags(args []string, stdout io.Writer) (*flags, bool, error) {
	f := &flags{fs: flag.NewFlagSet("view", flag.ContinueOnError)}
	fs := f.fs
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&f.env, "env", "Hopper-v4", "environment ID (ignored with --policy and --dataset, which name their own)")
	fs.StringVar(&f.behaviour, "behaviour", policies.KindRandom, "behaviour policy to show: random, medium or expert, where the toolkit has one for the env")
	fs.StringVar(&f.policy, "policy", "", "run directory of a trained agent to show")
	fs.BoolVar(&f.stochastic, "stochastic", false, "with --policy: sample the agent's behaviour distribution instead of its deterministic action")
	fs.StringVar(&f.dataset, "dataset", "", "dataset (directory, .parquet file or cached name) whose --episode to replay")
	fs.IntVar(&f.episode, "episode", 0, "with --dataset: the episode to replay, 0-based")
	fs.StringVar(&f.replay, "replay", string(viz.ReplayActions), "with --dataset: actions (simulate the recorded actions from the recorded start) or states (show each recorded state)")
	fs.IntVar(&f.seed, "seed", 0, "seed of the first episode's reset and of the policy's noise; episode k resets with seed+k")
	fs.StringVar(&f.gif, "gif", "", "write an animated GIF to this path instead of opening a window (no display needed)")
	fs.IntVar(&f.episodes, "episodes", 1, "with --gif: episodes to record (default: whole episodes until at least 4 simulated seconds, at most 50)")
	fs.IntVar(&f.maxSteps, "max-steps", 0, "with --gif: stop each episode after this many steps (0: the environment's limit)")
	fs.IntVar(&f.width, "width", 0, "frame width in pixels (default 480 for --gif, 800 for the window)")
	fs.IntVar(&f.height, "height", 0, "frame height in pixels (default 360 for --gif, 600 for the window)")
	fs.Float64Var(&f.speed, "speed", 1, "window: simulated seconds per second at start (up/down arrows change it)")
	fs.BoolVar(&f.paused, "paused", false, "window: start paused")
	fs.IntVar(&f.frames, "frames", 0, "window: quit after drawing this many frames (for scripts; 0: run until Escape)")
	fs.StringVar(&f.screenshot, "screenshot", "", "window: on exit, save the last frame the window showed as PNG here")
	fs.BoolVar(&f.plot, "plot", false, "draw the learning curves of the RUN_DIR arguments into --out instead of playing")
	fs.StringVar(&f.out, "out", "curves.png", "with --plot: the PNG to write")
	fs.StringVar(&f.title, "title", "", "with --plot: the plot's title (default: the runs' environments)")
	help, rest, err := cli.ParseWithArgs(fs, args, stdout)
	f.args = rest
	return f, help, err
}

// WindowOptions are the window's settings from the command line.
type WindowOptions struct {
	Title         string
	Width, Height int
	Speed         float64
	Paused        bool
	Frames        int
	Screenshot    string
	// Done closes when the command is interrupted (Ctrl-C, SIGTERM): the
	// window must close then and Window return an error.
	Done <-chan struct{}
}

// Window shows a player in a window until the user quits.
type Window func(p *viz.Player, opts WindowOptions) error

// Launcher says how a window is shown: in this process (Window), or by
// handing the whole command line to another program (Delegate) — what
// cmd/view does, since it must not link the window library.
type Launcher struct {
	Window   Window
	Delegate func(ctx context.Context, args []string) error
}

// ExitError is a Delegate's report that the other program failed with
// Code after printing its own message: Run exits with Code and prints
// nothing more.
type ExitError struct{ Code int }

func (e ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Run runs the command with args (without the program name) and returns
// its exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, l Launcher) int {
	f, help, err := parseFlags(args, stdout)
	if help {
		return cli.ExitOK
	}
	if err == nil {
		err = f.check()
	}
	if err != nil {
		fmt.Fprintf(stderr, "view: %v (see --help)\n", err)
		return cli.ExitUsage
	}
	if f.plot {
		err = plotRuns(f, stdout)
	} else {
		err = play(ctx, f, args, l, stdout)
	}
	var exit ExitError
	if errors.As(err, &exit) {
		return exit.Code
	}
	if err != nil {
		fmt.Fprintf(stderr, "view: %v\n", err)
		if ctx.Err() != nil {
			return cli.ExitInterrupted
		}
		return cli.ExitCode(err)
	}
	return cli.ExitOK
}

// check rejects flag combinations that mean nothing.
func (f *flags) check() error {
	if f.plot {
		for _, name := range []string{"gif", "policy", "dataset", "env", "episodes", "screenshot"} {
			if f.set(name) {
				return fmt.Errorf("--%s does not go with --plot, which only draws run directories", name)
			}
		}
		if len(f.args) == 0 {
			return errors.New("--plot needs one or more run directories as arguments")
		}
		return checkOutput("--out", f.out, ".png")
	}
	if len(f.args) > 0 {
		return fmt.Errorf("unexpected argument %q (run directories are for --plot; a trained agent is --policy DIR)", f.args[0])
	}
	if f.set("out") || f.set("title") {
		return errors.New("--out and --title are for --plot; a GIF's path is --gif PATH")
	}
	if f.policy != "" && f.dataset != "" {
		return errors.New("--policy and --dataset both choose what acts; give one")
	}
	if (f.policy != "" || f.dataset != "") && f.set("env") {
		return errors.New("--env cannot be combined with --policy or --dataset, which play the environment they were made in")
	}
	if f.dataset == "" && (f.set("episode") || f.set("replay")) {
		return errors.New("--episode and --replay need --dataset")
	}
	if f.dataset != "" && f.set("episodes") {
		return errors.New("--episodes does not go with --dataset: a replay shows the one --episode")
	}
	if m := viz.ReplayMode(f.replay); m != viz.ReplayActions && m != viz.ReplayStates {
		return fmt.Errorf("--replay %q, want %q or %q", f.replay, viz.ReplayActions, viz.ReplayStates)
	}
	if f.policy == "" && f.set("stochastic") {
		return errors.New("--stochastic needs --policy")
	}
	if (f.policy != "" || f.dataset != "") && f.set("behaviour") {
		return errors.New("--behaviour chooses a built-in policy; it cannot be combined with --policy or --dataset")
	}
	if f.gif == "" && (f.set("episodes") || f.set("max-steps")) {
		return errors.New("--episodes and --max-steps need --gif")
	}
	if f.gif != "" && (f.set("speed") || f.set("paused") || f.set("frames") || f.set("screenshot")) {
		return errors.New("--speed, --paused, --frames and --screenshot are for the window, not --gif")
	}
	for _, c := range []struct {
		name       string
		value, min int
	}{{"episodes", f.episodes, 1}, {"max-steps", f.maxSteps, 0}, {"seed", f.seed, 0},
		{"episode", f.episode, 0}, {"frames", f.frames, 0}} {
		if c.value < c.min {
			return fmt.Errorf("--%s %d, want at least %d", c.name, c.value, c.min)
		}
	}
	for _, c := range []struct {
		name  string
		value int
	}{{"width", f.width}, {"height", f.height}} {
		if f.set(c.name) && (c.value < 16 || c.value > 4096) {
			return fmt.Errorf("--%s %d, want 16 to 4096 pixels", c.name, c.value)
		}
	}
	if !(f.speed > 0) || f.speed > 1000 {
		return fmt.Errorf("--speed %v, want more than 0 and at most 1000", f.speed)
	}
	if f.gif != "" {
		if err := checkOutput("--gif", f.gif, ".gif"); err != nil {
			return err
		}
	}
	if f.screenshot != "" {
		return checkOutput("--screenshot", f.screenshot, ".png")
	}
	return nil
}

// checkOutput refuses an output path that cannot be written as a file
// with the given extension before any work is done: empty, an existing
// directory, a missing folder, or another extension.
func checkOutput(flagName, path, ext string) error {
	if path == "" {
		return fmt.Errorf("%s is empty, want a %s file path", flagName, ext)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s %s is a directory, want a file path", flagName, path)
	}
	if !strings.EqualFold(filepath.Ext(path), ext) {
		return fmt.Errorf("%s %s: want a path ending in %s (the file is written as %s)", flagName, path, ext,
			strings.TrimPrefix(ext, "."))
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
		return fmt.Errorf("%s %s: its folder %s does not exist", flagName, path, filepath.Dir(path))
	}
	return nil
}

// newPlayer builds what --env/--behaviour, --policy or --dataset asks for.
func newPlayer(f *flags) (*viz.Player, error) {
	switch {
	case f.policy != "":
		agent, info, err := train.LoadAgent(f.policy)
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("%s step %d", info.Algo, info.Step)
		p, err := viz.AgentPolicy(name, agent, !f.stochastic)
		if err != nil {
			return nil, err
		}
		return viz.NewPlayer(info.EnvID, p, uint64(f.seed))
	case f.dataset != "":
		dir, err := datasets.CacheDir()
		if err != nil {
			return nil, err
		}
		path, err := datasets.Resolve(f.dataset, dir)
		if err != nil {
			return nil, cli.Usage(fmt.Errorf("--dataset: %w", err))
		}
		// The state columns, where the dataset has them, let the replay
		// start from the exact recorded state.
		d, err := datasets.ReadWith(path, datasets.ReadOptions{State: true})
		if err != nil {
			return nil, err
		}
		if _, err := registry.Lookup(d.Meta.EnvID); err != nil {
			return nil, cli.Usage(fmt.Errorf("--dataset %s was collected on env_id %q, which is not a built-in "+
				"environment; view replays datasets of the toolkit's environments", path, d.Meta.EnvID))
		}
		rec, err := viz.RecordingFromDataset(d, f.episode, viz.ReplayMode(f.replay))
		if err != nil {
			return nil, cli.Usage(err)
		}
		return viz.NewReplay(d.Meta.EnvID, rec)
	}
	if _, err := registry.Lookup(f.env); err != nil {
		return nil, cli.Usage(fmt.Errorf("--env: %w", err))
	}
	bp, err := policies.ForKind(f.env, f.behaviour)
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("--behaviour: %w", err))
	}
	return viz.NewPlayer(f.env, viz.BehaviourPolicy(f.behaviour, bp), uint64(f.seed))
}

// defaultGIFSeconds is the simulated time a GIF covers at least when
// --episodes is not given.
const defaultGIFSeconds = 4

// set reports whether the flag was given on the command line.
func (f *flags) set(name string) bool {
	return cli.IsSet(f.fs, name)
}

// play shows the player in a window or writes it to --gif.
func play(ctx context.Context, f *flags, args []string, l Launcher, stdout io.Writer) error {
	if f.gif == "" && l.Window == nil {
		// Fail on a missing display before starting the window program.
		if err := display.Check(); err != nil {
			return err
		}
		return l.Delegate(ctx, args)
	}
	p, err := newPlayer(f)
	if err != nil {
		return err
	}
	defer p.Close()
	if f.gif == "" {
		return l.Window(p, WindowOptions{Title: "offrl view: " + p.EnvID(),
			Width: orDefault(f.width, 800), Height: orDefault(f.height, 600), Speed: f.speed,
			Paused: f.paused, Frames: f.frames, Screenshot: f.screenshot, Done: ctx.Done()})
	}
	w, h := orDefault(f.width, 480), orDefault(f.height, 360)
	opts := viz.GIFOptions{Width: w, Height: h, Episodes: f.episodes, MaxSteps: f.maxSteps, Status: true}
	if !f.set("episodes") && !f.set("max-steps") {
		// One episode of a random Hopper lasts a tenth of a second: by
		// default record whole episodes until there are a few seconds.
		opts.MinSeconds = defaultGIFSeconds
	}
	st, err := viz.WriteGIF(ctx, f.gif, p, opts)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted; no GIF was written to %s: %w", f.gif, err)
		}
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d frames (every %d steps, %d/100 s each), %d steps, returns %s\n",
		f.gif, st.Frames, st.StepsPer, st.DelayCs, st.Steps, formatReturns(st.Returns))
	if f.dataset != "" && f.replay == string(viz.ReplayActions) {
		fmt.Fprintf(stdout, "largest gap between simulated and recorded observations: %.3g\n", p.Drift())
	}
	return nil
}

func orDefault(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

func formatReturns(rs []float64) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%.1f", r)
	}
	return strings.Join(parts, ", ")
}

// plotRuns overlays the run directories' learning curves in --out.
func plotRuns(f *flags, stdout io.Writer) error {
	var runs []*viz.Run
	seen := map[string]bool{}
	envSet := map[string]bool{}
	var envsSeen []string
	for _, dir := range f.args {
		abs, _ := filepath.Abs(dir)
		if seen[abs] {
			return cli.Usage(fmt.Errorf("run directory %s is given twice", dir))
		}
		seen[abs] = true
		r, err := viz.ReadRun(dir)
		if err != nil {
			return err
		}
		runs = append(runs, r)
		if !envSet[r.EnvID] {
			envSet[r.EnvID] = true
			envsSeen = append(envsSeen, r.EnvID)
		}
	}
	title := f.title
	if title == "" {
		title = strings.Join(envsSeen, ", ")
	}
	if err := viz.WriteOverlayPNG(f.out, title, runs); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d runs\n", f.out, len(runs))
	return nil
}
