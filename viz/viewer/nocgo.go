//go:build linux && !cgo

package viewer

import (
	"errors"

	"offrl/viz"
)

// errNoCgo is what a binary built without cgo says: ebiten's Linux
// backend is C (GLFW) and links against the X11 libraries.
var errNoCgo = errors.New("this binary was built without cgo; the window needs cgo and X11 headers; use --gif out.gif")

// Run would open the window; this build has none, so it returns an error.
func Run(p *viz.Player, opts Options) error { return errNoCgo }

// CheckDisplay reports that this build cannot open a window.
func CheckDisplay() error { return errNoCgo }
