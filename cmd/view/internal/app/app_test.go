package app

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"offrl/collect"
	"offrl/internal/testfs"
	"offrl/train"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = Run(context.Background(), args, &o, &e, Launcher{Delegate: noWindow})
	return code, o.String(), e.String()
}

func TestHelpExitsZero(t *testing.T) {
	code, stdout, _ := runCmd(t, "--help")
	if code != 0 || !strings.Contains(stdout, "--gif") || !strings.Contains(stdout, "--plot") {
		t.Fatalf("exit %d, help %q", code, stdout)
	}
}

func TestBadInputExitsTwoWithOneLine(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown env", []string{"--env", "Nope-v0", "--gif", "x.gif"}, "Nope-v0"},
		{"policy and dataset", []string{"--policy", "a", "--dataset", "b"}, "give one"},
		{"episode without dataset", []string{"--episode", "2"}, "--dataset"},
		{"plot without runs", []string{"--plot"}, "run directories"},
		{"stray argument", []string{"runs/x"}, "--plot"},
		{"bad speed", []string{"--speed", "0"}, "--speed"},
		{"no such behaviour", []string{"--env", "Reacher-v4", "--behaviour", "medium", "--gif", "x.gif"}, "medium"},
		{"replay mode", []string{"--dataset", "d", "--replay", "frames"}, "frames"},
		{"tiny height", []string{"--gif", "x.gif", "--height", "1"}, "--height 1"},
		{"negative max steps", []string{"--gif", "x.gif", "--max-steps", "-3"}, "--max-steps -3"},
		{"gif into a directory", []string{"--gif", "."}, "--gif ."},
		{"gif into a missing folder", []string{"--gif", "no/such/x.gif"}, "does not exist"},
		{"gif with another extension", []string{"--gif", "x.png"}, ".gif"},
		{"empty plot output", []string{"--plot", "--out", "", "r"}, "--out is empty"},
		{"plot as gif", []string{"--plot", "--out", "x.gif", "r"}, ".png"},
		{"plot with gif", []string{"--plot", "--gif", "x.gif", "r"}, "--gif"},
		{"env with policy", []string{"--policy", "r", "--env", "Hopper-v4"}, "--env"},
		{"episodes of a replay", []string{"--dataset", "d", "--gif", "x.gif", "--episodes", "3"}, "--episodes"},
		{"window flag with gif", []string{"--gif", "x.gif", "--frames", "3"}, "window"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			code, _, stderr := runCmd(t, c.args...)
			if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and one line naming %q", code, stderr, c.want)
			}
		})
	}
}

func TestGIFOfABehaviourPolicy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pendulum.gif")
	code, stdout, stderr := runCmd(t, "--env", "Pendulum-v1", "--behaviour", "expert", "--gif", path,
		"--episodes", "2", "--max-steps", "30", "--width", "64", "--height", "48")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Two episodes of 30 steps, a frame a step plus each reset frame.
	if n := len(testfs.DecodeGIF(t, path).Image); n != 62 {
		t.Fatalf("%d frames, want 62", n)
	}
	if !strings.Contains(stdout, "60 steps") {
		t.Fatalf("stdout %q", stdout)
	}
}

// A trained agent (deterministic and sampled) and a recorded episode both
// play to a GIF, and the runs plot together.
func TestAgentReplayAndPlot(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "pendulum-medium-v0")
	if _, err := collect.Run(context.Background(), collect.Options{
		EnvID: "Pendulum-v1", Kind: "medium", Steps: 1000, Seed: 3, Out: data}); err != nil {
		t.Fatal(err)
	}
	var runs []string
	for seed := range 2 {
		cfg := train.DefaultConfig()
		cfg.Dataset, cfg.Steps, cfg.EvalEvery, cfg.LogEvery, cfg.EvalEpisodes, cfg.BatchSize = data, 40, 20, 10, 1, 16
		cfg.TD3BC.Hidden = []int{16}
		cfg.Seed = uint64(seed)
		runDir := filepath.Join(dir, "run"+string(rune('a'+seed)))
		if _, err := train.Run(context.Background(), cfg, runDir, train.Options{}); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, runDir)
	}
	for _, mode := range []string{"", "--stochastic"} {
		path := filepath.Join(dir, "agent"+mode+".gif")
		args := []string{"--policy", runs[0], "--gif", path, "--max-steps", "10", "--width", "32", "--height", "32"}
		if mode != "" {
			args = append(args, mode)
		}
		if code, _, stderr := runCmd(t, args...); code != 0 {
			t.Fatalf("%s: exit %d: %s", mode, code, stderr)
		}
		if n := len(testfs.DecodeGIF(t, path).Image); n != 11 {
			t.Fatalf("%s: %d frames, want 11", mode, n)
		}
	}
	for _, mode := range []string{"actions", "states"} {
		path := filepath.Join(dir, mode+".gif")
		code, stdout, stderr := runCmd(t, "--dataset", data, "--episode", "1", "--replay", mode, "--gif", path,
			"--width", "32", "--height", "32")
		if code != 0 {
			t.Fatalf("replay %s: exit %d: %s", mode, code, stderr)
		}
		if n := len(testfs.DecodeGIF(t, path).Image); n != 201 {
			t.Fatalf("replay %s: %d frames, want 201", mode, n)
		}
		if (mode == "actions") != strings.Contains(stdout, "largest gap") {
			t.Fatalf("replay %s: stdout %q", mode, stdout)
		}
	}
	out := filepath.Join(dir, "seeds.png")
	code, stdout, stderr := runCmd(t, "--plot", runs[0], "--out", out, runs[1])
	if code != 0 || !strings.Contains(stdout, "2 runs") {
		t.Fatalf("plot: exit %d: %s %s", code, stdout, stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
}

// noWindow stands for the window program in these tests, which never
// reach it: they write GIFs and plots or stop at bad flags.
func noWindow(context.Context, []string) error {
	return errors.New("the tests of package app open no window")
}
