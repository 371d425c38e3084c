package windowtest

import (
	"bytes"
	"errors"
	"fmt"
	"offrl/internal/testfs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runClean runs prog with only PATH and HOME from this environment plus
// extra, and returns its exit code, stdout and stderr.
func runClean(t *testing.T, prog string, extra ...string) (int, string, string) {
	t.Helper()
	return runCleanArgs(t, prog, []string{"--env", "Hopper-v4", "--frames", "5"}, extra...)
}

// runCleanArgs is runClean with the program's arguments.
func runCleanArgs(t *testing.T, prog string, args []string, extra ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, extra...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	}
	t.Fatalf("running %s: %v", prog, err)
	return 0, "", ""
}

// checkOneLine fails t unless the program failed with status 1 and said
// why on exactly one line of stderr containing every one of want, with
// no Go panic or stack trace.
func checkOneLine(t *testing.T, code int, stdout, stderr string, want ...string) {
	t.Helper()
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
	}
	line, rest, _ := strings.Cut(stderr, "\n")
	if rest != "" || line == "" {
		t.Errorf("stderr is not one line:\n%s", stderr)
	}
	for _, w := range want {
		if !strings.Contains(line, w) {
			t.Errorf("message %q does not contain %q", line, w)
		}
	}
	for _, bad := range []string{"panic", "goroutine"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("stderr mentions %q:\n%s", bad, stderr)
		}
	}
}

// freeDisplay returns a display name with no X server behind it.
func freeDisplay(t *testing.T) string {
	t.Helper()
	for n := 200; n < 300; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); errors.Is(err, os.ErrNotExist) {
			return fmt.Sprintf(":%d", n)
		}
	}
	t.Fatal("no free X display number in 200..299")
	return ""
}

// TestNoDisplayOneLine runs the viewer where no window can open: it must
// stop with one line suggesting --gif or xvfb-run, never panic (ebiten
// v2.8.8 itself panics while the program initializes).
func TestNoDisplayOneLine(t *testing.T) {
	needDemo(t)
	for _, c := range []struct {
		name string
		env  []string
		want []string
	}{
		{"unset", nil, []string{"no display", "DISPLAY/WAYLAND_DISPLAY unset", "--gif", "xvfb-run"}},
		{"wayland only", []string{"WAYLAND_DISPLAY=wayland-0"}, []string{"no X display", "XWayland", "--gif", "xvfb-run"}},
		{"no server", []string{"DISPLAY=" + freeDisplay(t)}, []string{"no display", "cannot connect", "--gif", "xvfb-run"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// view says so before starting the window program; the
			// window program itself, started by hand, says the same
			// before its window library would panic.
			for _, prog := range []string{demo, filepath.Join(filepath.Dir(demo), "view-window")} {
				code, stdout, stderr := runClean(t, prog, c.env...)
				checkOneLine(t, code, stdout, stderr, c.want...)
			}
		})
	}
}

// TestGIFNeedsNoDisplay: with no display at all, view still writes GIFs
// (pitfall B16: an offscreen path that works headless).
func TestGIFNeedsNoDisplay(t *testing.T) {
	needDemo(t)
	out := filepath.Join(t.TempDir(), "hop.gif")
	code, stdout, stderr := runCleanArgs(t, demo, []string{"--env", "Hopper-v4", "--gif", out,
		"--width", "64", "--height", "48"})
	if code != 0 || !strings.Contains(stdout, "wrote "+out) {
		t.Fatalf("view --gif without a display: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	testfs.DecodeGIF(t, out)
}

// TestNoCgoOneLine runs a viewer built with CGO_ENABLED=0, which has no
// window: it must say so on one line, with or without a display.
func TestNoCgoOneLine(t *testing.T) {
	if demoNoCgoErr != nil {
		t.Fatal(demoNoCgoErr) // needs no C toolchain, so it must always build
	}
	for _, env := range [][]string{nil, {"DISPLAY=" + freeDisplay(t)}} {
		code, stdout, stderr := runClean(t, demoNoCgo, env...)
		checkOneLine(t, code, stdout, stderr, "without cgo", "X11 headers", "--gif")
	}
}
