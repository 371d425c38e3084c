// Package cli holds what the commands share: exit codes, the usage-error
// marker, the slog handler set-up and progress reporting on stderr.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Exit codes shared by every command.
const (
	ExitOK          = 0   // success
	ExitFailed      = 1   // the run failed; the message is on stderr
	ExitUsage       = 2   // bad flags, values or config
	ExitInterrupted = 130 // interrupted after writing what can be resumed
)

// usageError marks an error as the user's input being wrong.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// Usage marks err as a usage error, so that [ExitCode] maps it to
// [ExitUsage].
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// ExitCode is ExitUsage for usage errors and ExitFailed for any other
// error.
func ExitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return ExitUsage
	}
	return ExitFailed
}

// NewLogger builds the command's logger on w: format "text" or "json".
func NewLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q, want text or json", format)
}

// Progress shows how far a long job is: a bar when w is a terminal,
// otherwise an Info log line at most every 10 seconds.
type Progress struct {
	bar      *progressbar.ProgressBar
	log      *slog.Logger
	what     string
	lastLog  time.Time // when the last log line was written, or the first Update
	closed   bool
	terminal bool
	w        io.Writer
	first    int // done at the first Update: a resumed job's starting point
	lastDone int // done at lastLog
	seen     bool
	now      func() time.Time
}

// NewProgress prepares progress reporting for a job called what.
func NewProgress(w io.Writer, log *slog.Logger, what string) *Progress {
	p := &Progress{log: log, what: what, w: w, now: time.Now}
	p.lastLog = p.now()
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.terminal = true
	}
	return p
}

// Update records that done of total units are complete.
func (p *Progress) Update(done, total int) {
	if p.closed {
		return
	}
	if !p.seen {
		// Rates count only the work of this process, not what a resumed
		// job had done before it started.
		p.first, p.seen, p.lastLog, p.lastDone = done, true, p.now(), done
	}
	if p.terminal {
		if p.bar == nil {
			p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(p.w),
				progressbar.OptionSetDescription(p.what), progressbar.OptionShowCount(),
				progressbar.OptionShowIts(), progressbar.OptionSetItsString("it"),
				progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionClearOnFinish())
		}
		p.bar.Set(done)
		return
	}
	if now := p.now(); now.Sub(p.lastLog) >= 10*time.Second || done == total {
		// The rate of the last interval between log lines, not of the
		// whole job: a job's pace changes (SAC's random warm-up steps run
		// ten times faster than the steps with updates that follow).
		elapsed := now.Sub(p.lastLog).Seconds()
		rate := float64(done-p.lastDone) / max(elapsed, 1e-9)
		p.lastLog, p.lastDone = now, done
		if done == p.first {
			p.log.Info(p.what, "done", done, "total", total)
			return
		}
		eta := time.Duration(float64(total-done)/max(rate, 1e-9)) * time.Second
		p.log.Info(p.what, "done", done, "total", total, "per_s", fmt.Sprintf("%.1f", rate),
			"eta", eta.Round(time.Second))
	}
}

// Close finishes the bar, if any. It is safe to call more than once.
func (p *Progress) Close() {
	if p.closed {
		return
	}
	p.closed = true
	if p.bar != nil {
		p.bar.Finish()
		fmt.Fprintln(p.w)
	}
}

// Parse parses args into fs without letting the flag package print. For
// -h or --help it prints fs.Usage to stdout and reports help = true; any
// other problem comes back as one error, for one line on stderr, including
// a positional argument where only flags are allowed.
func Parse(fs *flag.FlagSet, args []string, stdout io.Writer) (help bool, err error) {
	help, rest, err := ParseWithArgs(fs, args, stdout)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("unexpected argument %q: every option is a flag", rest[0])
	}
	return help, err
}

// ParseWithArgs is [Parse] for commands that also take positional
// arguments, which may come before, between or after the flags (all
// arguments after "--" are positional). It returns them in order.
func ParseWithArgs(fs *flag.FlagSet, args []string, stdout io.Writer) (help bool, positional []string, err error) {
	fs.SetOutput(io.Discard)
	for {
		err = fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return true, nil, nil
		}
		if err != nil || fs.NArg() == 0 {
			return false, positional, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return false, append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// IsSet reports whether the flag name was given on the command line that
// fs parsed (as opposed to keeping its default).
func IsSet(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(fl *flag.Flag) { found = found || fl.Name == name })
	return found
}
