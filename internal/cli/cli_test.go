package cli

import (
	"bytes"
	"errors"
	"flag"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestExitCodes(t *testing.T) {
	if ExitCode(errors.New("boom")) != ExitFailed {
		t.Error("a plain error must exit 1")
	}
	if ExitCode(Usage(errors.New("bad flag"))) != ExitUsage {
		t.Error("a usage error must exit 2")
	}
	wrapped := errors.Join(errors.New("context"), Usage(errors.New("bad")))
	if ExitCode(wrapped) != ExitUsage {
		t.Error("a wrapped usage error must still exit 2")
	}
}

func TestParseHelpGoesToStdoutAndErrorsAreOneLine(t *testing.T) {
	newFS := func() *flag.FlagSet {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.Int("steps", 1, "steps")
		fs.Usage = func() { fs.Output().Write([]byte("usage text\n")) }
		return fs
	}
	var out bytes.Buffer
	help, err := Parse(newFS(), []string{"--help"}, &out)
	if !help || err != nil || out.String() != "usage text\n" {
		t.Fatalf("--help: help %v err %v stdout %q", help, err, out.String())
	}
	out.Reset()
	for _, args := range [][]string{{"--steps", "abc"}, {"--nope"}, {"extra"}} {
		help, err := Parse(newFS(), args, &out)
		if help || err == nil || strings.Contains(err.Error(), "\n") || out.Len() != 0 {
			t.Errorf("%v: help %v err %q stdout %q; want one error line and nothing printed", args, help, err, out.String())
		}
	}
}

func TestProgressRateCountsOnlyThisProcess(t *testing.T) {
	var logs bytes.Buffer
	p := NewProgress(&logs, slog.New(slog.NewTextHandler(&logs, nil)), "training")
	clock := time.Unix(1000, 0)
	p.now = func() time.Time { return clock }
	p.lastLog = clock
	p.Update(5000, 6000) // a resumed job starts at step 5000
	clock = clock.Add(20 * time.Second)
	p.Update(5040, 6000) // 40 steps in 20 s
	if !strings.Contains(logs.String(), "per_s=2.0") || !strings.Contains(logs.String(), "eta=8m0s") {
		t.Fatalf("progress line %q, want per_s=2.0 and eta=8m0s (960 steps at 2/s)", logs.String())
	}
}

// The rate and the time left follow the job's recent pace: fast warm-up
// steps do not make the rest look ten times shorter.
func TestProgressRateFollowsTheRecentPace(t *testing.T) {
	var logs bytes.Buffer
	p := NewProgress(&logs, slog.New(slog.NewTextHandler(&logs, nil)), "training")
	clock := time.Unix(1000, 0)
	p.now = func() time.Time { return clock }
	p.lastLog = clock
	p.Update(0, 20000)
	clock = clock.Add(10 * time.Second)
	p.Update(10000, 20000) // warm-up: 1000 steps/s
	clock = clock.Add(10 * time.Second)
	logs.Reset()
	p.Update(10100, 20000) // with updates: 10 steps/s
	if !strings.Contains(logs.String(), "per_s=10.0") || !strings.Contains(logs.String(), "eta=16m30s") {
		t.Fatalf("progress line %q, want per_s=10.0 and eta=16m30s (9900 steps at 10/s)", logs.String())
	}
}
