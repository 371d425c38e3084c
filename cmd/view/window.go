package main

import (
	"context"
	"errors"
	"fmt"
	"offrl/cmd/view/internal/app"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// windowProgram is the name of the window binary.
const windowProgram = "view-window"

// windowPackage is its import path, for building it from source.
const windowPackage = "offrl/cmd/view/view-window"

// runWindow hands the command line to view-window: on Unix it replaces
// this process (same process ID, so signals and a killed parent reach the
// window directly), elsewhere it runs as a child attached to the same
// terminal.
func runWindow(ctx context.Context, args []string) error {
	bin, err := findWindowProgram(ctx)
	if err != nil {
		return err
	}
	if err := replaceProcess(bin, args); err != nil {
		return fmt.Errorf("starting %s: %w", bin, err)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() > 0 {
		return app.ExitError{Code: exit.ExitCode()} // it has said why
	}
	return err
}

// findWindowProgram returns the path of view-window: $OFFRL_VIEW_WINDOW,
// the file next to this program, one on PATH, or one built from the
// source tree of the working directory into the user's cache.
func findWindowProgram(ctx context.Context) (string, error) {
	if p := os.Getenv("OFFRL_VIEW_WINDOW"); p != "" {
		return p, nil
	}
	name := windowProgram
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if self, err := os.Executable(); err == nil {
		sibling := filepath.Join(filepath.Dir(self), name)
		if _, err := os.Stat(sibling); err == nil {
			return sibling, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return buildWindowProgram(ctx, name)
}

// buildWindowProgram builds view-window with the go command when the
// working directory is inside this module's source (as with go run
// ./cmd/view); the build cache makes later builds quick.
func buildWindowProgram(ctx context.Context, name string) (string, error) {
	notFound := fmt.Errorf("the window is drawn by %s, which is neither next to this program nor on PATH: "+
		"go install %s (needs cgo and X11 headers), or use --gif out.gif", windowProgram, windowPackage)
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", notFound
	}
	out, err := exec.CommandContext(ctx, goBin, "list", "-m").Output()
	if err != nil || strings.TrimSpace(string(out)) != "offrl" {
		return "", notFound
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", notFound
	}
	bin := filepath.Join(cache, "offrl", "bin", name)
	if _, err := os.Stat(bin); err != nil {
		fmt.Fprintf(os.Stderr, "view: building %s (%s) into %s once; later runs only relink it\n",
			windowProgram, windowPackage, bin)
	}
	build := exec.CommandContext(ctx, goBin, "build", "-o", bin, windowPackage)
	// The window needs cgo even where the caller builds without it.
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if msg, err := build.CombinedOutput(); err != nil {
		first, _, _ := strings.Cut(strings.TrimSpace(string(msg)), "\n")
		return "", fmt.Errorf("building %s failed (it needs cgo and the X11 headers: on Debian, make deps "+
			"installs them): %s", windowProgram, first)
	}
	return bin, nil
}
