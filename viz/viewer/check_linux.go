//go:build linux && cgo

package viewer

import (
	"offrl/viz/display"
	_ "offrl/viz/viewer/internal/display" // stops the process before ebiten panics without a display
)

// CheckDisplay returns nil if a window can be opened, else an error whose
// message is one line saying why and suggesting --gif or xvfb-run.
//
// A binary that links this package and starts without a display never
// reaches CheckDisplay: it stops during initialization with the same
// message (see the package documentation).
func CheckDisplay() error { return display.Check() }
