package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"offrl/datasets"
)

// childEnv marks a re-executed test binary that runs the command instead
// of the tests, slowed down so that it can be interrupted between parts.
const childEnv = "OFFRL_COLLECT_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		pace := func() { time.Sleep(20 * time.Millisecond) } // per 1000 transitions
		code := runPaced(ctx, os.Args[1:], os.Stdout, os.Stderr, pace)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// startChild runs the command in a re-executed test binary.
func startChild(t *testing.T, args []string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stderr
}

// waitFor polls cond every few milliseconds for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		if cond() {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// A collection into a directory, interrupted with SIGINT after its first
// part or killed with SIGKILL in the middle of a part, resumes when the
// same command is run again, and ends byte-identical to an uninterrupted
// run: every part file and manifest.json.
func TestInterruptedCollectionResumes(t *testing.T) {
	tests := []struct {
		name    string
		sig     syscall.Signal
		midPart bool // wait until the next part has been started
	}{
		{"SIGINT after the first part", syscall.SIGINT, false},
		{"SIGKILL in the middle of a part", syscall.SIGKILL, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "pendulum-medium")
			args := []string{"--env", "Pendulum-v1", "--kind", "medium", "--steps", "12000",
				"--seed", "5", "--part-rows", "2000", "--out", out}

			// The uninterrupted run, moved aside: the command line, --out
			// included, is part of the metadata, so both runs use one path.
			if code, _, stderr := runCmd(args...); code != 0 {
				t.Fatalf("uninterrupted run: exit %d: %s", code, stderr)
			}
			want := filepath.Join(dir, "want")
			if err := os.Rename(out, want); err != nil {
				t.Fatal(err)
			}

			cmd, stderr := startChild(t, args)
			partial := datasets.PartialDir(out)
			waitFor(t, "the first finished part", func() bool {
				p, err := datasets.ReadProgress(out)
				if err != nil || p.PartsDone() == 0 {
					return false
				}
				next := filepath.Join(partial, partFile(p.PartsDone()))
				_, err = os.Stat(next)
				return !tt.midPart || err == nil
			})
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			code := cmd.ProcessState.ExitCode()
			switch tt.sig {
			case syscall.SIGINT:
				if code != 130 || !strings.Contains(stderr.String(), "rerunning the same command resumes") {
					t.Fatalf("after SIGINT: exit %d (%v), stderr %q; want 130 and how to resume",
						code, err, stderr.String())
				}
			case syscall.SIGKILL:
				p, _ := datasets.ReadProgress(out)
				if _, err := os.Stat(filepath.Join(partial, partFile(p.PartsDone()))); err != nil {
					t.Fatalf("no half-written part left by the kill: %v", err)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Fatal("the interrupted run published a dataset")
			}
			p, err := datasets.ReadProgress(out)
			if err != nil || p.PartsDone() == 0 || p.PartsDone() >= 6 {
				t.Fatalf("progress after the interruption: %v, err %v; want 1 to 5 parts kept", p, err)
			}

			code, _, resumed := runCmd(args...)
			if code != 0 || !strings.Contains(resumed, "resuming collection") ||
				!strings.Contains(resumed, "done=12000") {
				t.Fatalf("resumed run: exit %d, stderr %q; want 0, saying it resumes, "+
					"with progress to done=12000", code, resumed)
			}
			sameDirs(t, want, out)
			if _, err := os.Stat(partial); err == nil {
				t.Error("the partial directory is still there after the resumed run finished")
			}
		})
	}
}

// A single .parquet file cannot resume: an interrupted one is removed, and
// the command says that a rerun starts from the beginning.
func TestInterruptedSingleFileSaysItRestarts(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "p.parquet")
	cmd, stderr := startChild(t, []string{"--env", "Pendulum-v1", "--kind", "random",
		"--steps", "50000", "--out", out})
	waitFor(t, "the temporary file", func() bool {
		m, _ := filepath.Glob(out + ".tmp-*")
		return len(m) > 0
	})
	time.Sleep(50 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 ||
		!strings.Contains(stderr.String(), "starts from the beginning") {
		t.Fatalf("exit %d, stderr %q; want 130 and that a rerun starts afresh", code, stderr.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("the interrupted single-file run left %d entries behind", len(entries))
	}
}

func partFile(i int) string { return fmt.Sprintf("part-%05d.parquet", i) }

// sameDirs fails unless directories a and b hold the same file names with
// the same bytes.
func sameDirs(t *testing.T, a, b string) {
	t.Helper()
	ea, _ := os.ReadDir(a)
	eb, _ := os.ReadDir(b)
	var na, nb []string
	for _, e := range ea {
		na = append(na, e.Name())
	}
	for _, e := range eb {
		nb = append(nb, e.Name())
	}
	if strings.Join(na, " ") != strings.Join(nb, " ") || len(na) < 3 {
		t.Fatalf("%s holds %v, %s %v; want the same parts and manifest", a, na, b, nb)
	}
	for _, n := range na {
		x, _ := os.ReadFile(filepath.Join(a, n))
		y, _ := os.ReadFile(filepath.Join(b, n))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs from an uninterrupted run's", n)
		}
	}
}
