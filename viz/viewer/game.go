//go:build !linux || cgo

package viewer

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"

	"offrl/viz"
)

// Pacing limits. An environment slower than real time at the chosen speed
// would otherwise owe more steps every frame than it can take and never
// catch up, so an Update steps for at most stepBudget of wall time (half a
// 60 Hz tick, leaving the rest to drawing) and at most maxStepsPerUpdate
// steps, and forgets what it still owes; the simulation then runs as fast
// as the machine allows. A long pause of the wall clock (a dragged window,
// a suspended machine) counts as maxTickSeconds.
const (
	stepBudget        = 8 * time.Millisecond
	maxStepsPerUpdate = 1000
	maxTickSeconds    = 0.25
)

// game is the ebiten.Game that plays a Player: Update advances the
// simulation in real time and reads the keys, Draw shows the current
// state.
type game struct {
	p          *viz.Player
	frameLimit int     // quit after drawing this many frames; 0: no limit
	speed      float64 // simulated seconds per wall-clock second
	paused     bool
	replayOver bool      // a replay reached its last recorded step
	owed       float64   // simulated seconds not yet stepped
	last       time.Time // wall clock at the previous Update; zero before the first
	drawn      int       // frames drawn
	stale      bool      // the state or heads-up line changed since tex was drawn
	err        error     // from Draw, returned by the next Update

	buf *image.RGBA   // the frame with the heads-up line, on the CPU
	tex *ebiten.Image // buf on the GPU

	done <-chan struct{} // Options.Done

	keepShot bool        // read back every drawn screen (Options.Screenshot)
	shot     *image.RGBA // the last drawn screen when keepShot
}

func newGame(p *viz.Player, opts Options) *game {
	return &game{p: p, frameLimit: opts.Frames, speed: opts.Speed, paused: opts.Paused,
		keepShot: opts.Screenshot != "", stale: true, done: opts.Done}
}

// Update handles the keys and takes the environment steps that the wall
// time since the last Update, times the speed, calls for. An error ends
// the game and is kept for Run to return as it is.
func (g *game) Update() error {
	if g.err != nil {
		return g.err
	}
	err := g.update()
	if err != nil && !errors.Is(err, ebiten.Termination) {
		g.err = err
	}
	return err
}

func (g *game) update() error {
	if g.frameLimit > 0 && g.drawn >= g.frameLimit {
		return ebiten.Termination
	}
	select {
	case <-g.done:
		return ErrInterrupted
	default:
	}
	now := time.Now()
	elapsed := 0.0
	if !g.last.IsZero() {
		elapsed = min(now.Sub(g.last).Seconds(), maxTickSeconds)
	}
	g.last = now

	if inpututil.IsKeyJustPressed(ebiten.KeyEscape) {
		return ebiten.Termination
	}
	if inpututil.IsKeyJustPressed(ebiten.KeySpace) {
		g.paused, g.owed, g.stale = !g.paused, 0, true
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyArrowUp) {
		g.speed, g.stale = min(2*g.speed, maxSpeed), true
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyArrowDown) {
		g.speed, g.stale = max(g.speed/2, minSpeed), true
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyR) {
		g.replayOver, g.owed, g.stale = false, 0, true
		if err := g.p.Reset(); err != nil {
			return fmt.Errorf("viewer: restarting the episode: %w", err)
		}
	}
	if g.paused {
		if inpututil.IsKeyJustPressed(ebiten.KeyArrowRight) {
			return g.advance()
		}
		return nil
	}
	if g.replayOver {
		return nil
	}

	dt := g.p.StepSeconds()
	g.owed += elapsed * g.speed
	for n := 0; g.owed >= dt; n++ {
		if n == maxStepsPerUpdate || time.Since(now) > stepBudget {
			g.owed = 0 // behind real time: forget the debt rather than spiral
			break
		}
		g.owed -= dt
		if err := g.advance(); err != nil || g.replayOver {
			return err
		}
	}
	return nil
}

// advance takes one step; the end of a replay is a state, not an error.
func (g *game) advance() error {
	g.stale = true
	err := g.p.Advance()
	if errors.Is(err, viz.ErrReplayOver) {
		g.replayOver, g.owed = true, 0
		return nil
	}
	return err
}

// Draw renders the current state at the screen's size with the
// environment's renderer and writes the heads-up line over its top. Where
// nothing changed since the last Draw it shows the same texture again:
// without vsync (Xvfb) ebiten draws far more often than it updates.
func (g *game) Draw(screen *ebiten.Image) {
	size := screen.Bounds().Size()
	rendered := g.stale || g.buf == nil || g.buf.Rect.Size() != size
	if rendered {
		if err := g.render(size); err != nil {
			g.err = err
			return
		}
	}
	screen.DrawImage(g.tex, nil)
	g.drawn++
	if g.keepShot && (rendered || g.shot == nil) { // an unchanged screen reads back the same
		if g.shot == nil || g.shot.Rect.Size() != size {
			g.shot = image.NewRGBA(image.Rectangle{Max: size})
		}
		screen.ReadPixels(g.shot.Pix)
	}
}

// render draws the current state and the heads-up line into tex.
func (g *game) render(size image.Point) error {
	frame, err := g.p.Frame(size.X, size.Y)
	if err != nil {
		return err
	}
	if g.buf == nil || g.buf.Rect.Size() != size {
		if g.tex != nil {
			g.tex.Deallocate()
		}
		g.buf = image.NewRGBA(image.Rectangle{Max: size})
		g.tex = ebiten.NewImage(size.X, size.Y)
	}
	// Copy rather than draw on frame: the renderer may own and reuse it.
	draw.Draw(g.buf, g.buf.Rect, frame, frame.Bounds().Min, draw.Src)
	viz.DrawStatus(g.buf, g.headsUp())
	g.tex.WritePixels(g.buf.Pix)
	g.stale = false
	return nil
}

// headsUp is the player's status with the speed and, when paused, a mark.
func (g *game) headsUp() string {
	s := fmt.Sprintf("%s  speed %gx", g.p.Status(), g.speed)
	if g.paused {
		s += "  [paused]"
	}
	return s
}

// LayoutF makes the screen as many device pixels as the window has, so a
// frame is rendered at the display's resolution and shown unscaled.
func (g *game) LayoutF(outsideWidth, outsideHeight float64) (float64, float64) {
	s := ebiten.Monitor().DeviceScaleFactor()
	return outsideWidth * s, outsideHeight * s
}

// Layout is required by ebiten.Game; ebiten calls LayoutF instead.
func (g *game) Layout(outsideWidth, outsideHeight int) (int, int) {
	w, h := g.LayoutF(float64(outsideWidth), float64(outsideHeight))
	return int(w), int(h)
}
