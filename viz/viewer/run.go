//go:build !linux || cgo

package viewer

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"

	"github.com/hajimehoshi/ebiten/v2"

	"offrl/internal/atomicfile"
	"offrl/viz"
)

// Run opens a resizable window and plays p in it until the user quits
// (Escape or closing the window) or opts.Frames frames have been drawn.
// It must be called from the main goroutine, and at most once in a
// process. It returns an error, and never panics, when no display is
// available; an error from p.Advance (other than [viz.ErrReplayOver],
// which leaves a replay on its last frame) or p.Frame ends the run with
// that error.
//
// The window size in opts is in device-independent pixels; on a display
// scaled by s the window has s times as many pixels, and frames are
// rendered at that full resolution.
//
// Keys: space pauses and resumes, the right arrow takes one step while
// paused, up and down double and halve the speed, R restarts the episode
// and Escape quits.
func Run(p *viz.Player, opts Options) error {
	if p == nil {
		return errors.New("viewer: Run with a nil player")
	}
	if err := CheckDisplay(); err != nil {
		return err
	}
	opts = opts.withDefaults()
	g := newGame(p, opts)
	ebiten.SetWindowTitle(opts.Title)
	ebiten.SetWindowSize(opts.Width, opts.Height)
	ebiten.SetWindowResizingMode(ebiten.WindowResizingModeEnabled)
	err := ebiten.RunGame(g)
	if g.err != nil { // from the player, returned through ebiten
		return g.err
	}
	if err != nil && !errors.Is(err, ebiten.Termination) {
		return fmt.Errorf("viewer: %w", err)
	}
	if opts.Screenshot != "" {
		return writeScreenshot(opts.Screenshot, g.shot)
	}
	return nil
}

// writeScreenshot saves img as a PNG at path, atomically.
func writeScreenshot(path string, img *image.RGBA) error {
	if img == nil {
		return fmt.Errorf("viewer: screenshot %s: no frame was drawn", path)
	}
	err := atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, img) })
	if err != nil {
		return fmt.Errorf("viewer: writing screenshot: %w", err)
	}
	return nil
}
