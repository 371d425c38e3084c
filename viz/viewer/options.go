package viewer

import "errors"

// ErrInterrupted is what [Run] returns when Options.Done closed.
var ErrInterrupted = errors.New("viewer: interrupted")

// Options configures [Run].
type Options struct {
	Title         string  // window title
	Width, Height int     // initial window size in pixels (0: 800×600)
	Speed         float64 // simulated seconds per wall-clock second at start (0: 1)
	Paused        bool    // start paused
	Frames        int     // if > 0, quit after drawing this many frames (scripted runs, tests)
	// Screenshot, if set, is where Run writes the last drawn screen as a
	// PNG on exit: what the window showed, read back from the screen image.
	Screenshot string
	// Done, when closed, ends Run as Escape does (the command's Ctrl-C or
	// SIGTERM); Run then returns [ErrInterrupted]. nil never closes.
	Done <-chan struct{}
}

// Defaults and limits of the playback speed, in simulated seconds per
// wall-clock second.
const (
	defaultWidth, defaultHeight = 800, 600
	minSpeed, maxSpeed          = 1.0 / 64, 64.0
)

// withDefaults fills the zero fields of o.
func (o Options) withDefaults() Options {
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = defaultWidth, defaultHeight
	}
	if o.Speed <= 0 {
		o.Speed = 1
	}
	o.Speed = min(max(o.Speed, minSpeed), maxSpeed)
	return o
}
