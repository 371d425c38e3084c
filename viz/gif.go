package viz

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"io"
	"math"

	"offrl/internal/atomicfile"
)

// GIFOptions controls [WriteGIF].
type GIFOptions struct {
	Width, Height int // frame size in pixels
	Episodes      int // episodes to record; a replay has one
	// MaxSteps stops an episode after this many steps; 0 means no limit
	// but the environment's own.
	MaxSteps int
	// MinSeconds, when > 0, plays further episodes after Episodes until the
	// animation covers at least this much simulated time: environment
	// steps × the step time, so the one-second holds of episode ends do
	// not count. It never plays more than gifMaxEpisodes (50) episodes in
	// all, and a replay still has its one episode.
	MinSeconds float64
	// Status draws the heads-up line on every frame.
	Status bool
}

// GIFStats describes a written animation.
type GIFStats struct {
	Frames     int
	Steps      int       // environment steps taken
	StepsPer   int       // environment steps per frame
	DelayCs    int       // delay of a frame in 1/100 s
	Returns    []float64 // per episode
	FrameBytes int64     // bytes written
}

// gifFrameSeconds is the shortest frame time the animation aims for; 1/30
// s keeps files small and plays smoothly. Browsers show delays under 2/100
// s as 10/100 s, so no frame is ever shorter than that.
const (
	gifFrameSeconds = 1.0 / 30
	gifMinDelayCs   = 2
	gifHoldCs       = 100 // the last frame of an episode stays for a second
	gifMaxEpisodes  = 50  // the most episodes MinSeconds plays
)

// gifFrameWritten, when set (by tests), is called after every frame is
// written.
var gifFrameWritten func()

// WriteGIF plays opts.Episodes episodes of p (more with opts.MinSeconds)
// and writes them to path as an animated GIF that plays at the speed of
// the simulation, showing every k-th step so that frames are no shorter
// than 1/30 s. Frames are encoded as they are made, so memory does not
// grow with the length of the animation. The file is written atomically:
// a cancelled or failed call leaves no file behind.
func WriteGIF(ctx context.Context, path string, p *Player, opts GIFOptions) (GIFStats, error) {
	if opts.Width < 16 || opts.Height < 16 || opts.Width > 4096 || opts.Height > 4096 {
		return GIFStats{}, fmt.Errorf("viz: GIF size %d×%d, want 16 to 4096 pixels a side", opts.Width, opts.Height)
	}
	if opts.Episodes < 1 {
		return GIFStats{}, fmt.Errorf("viz: %d GIF episodes, want at least 1", opts.Episodes)
	}
	if !(opts.MinSeconds >= 0) || math.IsInf(opts.MinSeconds, 0) {
		return GIFStats{}, fmt.Errorf("viz: GIF minimum of %v seconds, want a finite number ≥ 0", opts.MinSeconds)
	}
	dt := p.StepSeconds()
	k := max(1, int(math.Round(gifFrameSeconds/dt)))
	delay := max(gifMinDelayCs, int(math.Round(100*float64(k)*dt)))
	st := GIFStats{StepsPer: k, DelayCs: delay}
	var q quantizer
	// playErr is an error of the player or the context, returned as it is;
	// other errors are the file's.
	var playErr error
	err := atomicfile.Write(path, func(w io.Writer) error {
		cw := &countingWriter{w: w}
		defer func() { st.FrameBytes = cw.n }()
		enc, err := newGIFEncoder(cw, opts.Width, opts.Height, 0)
		if err != nil {
			return err
		}
		// add writes the current frame; hold (the episode's last frame) is
		// decided before, so its delay is known.
		add := func(hold bool) error {
			img, err := p.Frame(opts.Width, opts.Height)
			if err != nil {
				playErr = err
				return err
			}
			if opts.Status {
				rgba := toRGBA(img)
				DrawStatus(rgba, p.Status())
				img = rgba
			}
			d := delay
			if hold {
				d = gifHoldCs
			}
			if err := enc.WriteFrame(q.quantize(img), d); err != nil {
				return err
			}
			st.Frames++
			if gifFrameWritten != nil {
				gifFrameWritten()
			}
			return nil
		}
		play := func() error {
			for ep := 0; ep < opts.Episodes ||
				opts.MinSeconds > 0 && float64(st.Steps)*dt < opts.MinSeconds && ep < gifMaxEpisodes; ep++ {
				if ep > 0 {
					if err := p.Reset(); err != nil {
						playErr = err
						return err
					}
				}
				if err := add(false); err != nil {
					return err
				}
				for !p.Done() && (opts.MaxSteps == 0 || p.Step() < opts.MaxSteps) {
					if err := ctx.Err(); err != nil {
						playErr = err
						return err
					}
					if err := p.Advance(); err != nil {
						playErr = err
						return err
					}
					st.Steps++
					last := p.Done() || p.Step() == opts.MaxSteps
					if last || p.Step()%k == 0 {
						if err := add(last); err != nil {
							return err
						}
					}
				}
				st.Returns = append(st.Returns, p.Return())
				if p.rec != nil {
					break
				}
			}
			return nil
		}
		if err := play(); err != nil {
			return err
		}
		return enc.Close()
	})
	if playErr != nil {
		return st, playErr
	}
	if err != nil {
		return st, fmt.Errorf("viz: writing %s: %w", path, err)
	}
	return st, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// toRGBA returns img as an *image.RGBA, copying only when it is another
// type.
func toRGBA(img image.Image) *image.RGBA {
	if r, ok := img.(*image.RGBA); ok {
		return r
	}
	r := image.NewRGBA(img.Bounds())
	draw.Draw(r, r.Bounds(), img, img.Bounds().Min, draw.Src)
	return r
}

// quantize maps img onto a palette. The renderers paint flat colours with
// no anti-aliasing, so a frame usually has far fewer than 256 colours and
// gets them exactly; a frame with more falls back to a 6×7×6 colour cube.
func quantize(img image.Image) *image.Paletted {
	var q quantizer
	return q.quantize(img)
}

// quantizer is [quantize] reusing its image, palette and colour index
// from one frame to the next: what it returns is valid until the next
// call.
type quantizer struct {
	out   image.Paletted
	pal   color.Palette
	index map[[3]uint8]uint8
}

func (q *quantizer) quantize(img image.Image) *image.Paletted {
	rgba := toRGBA(img)
	b := rgba.Bounds()
	out := &q.out
	if n := b.Dx() * b.Dy(); cap(out.Pix) < n {
		out.Pix = make([]uint8, n)
	} else {
		out.Pix = out.Pix[:n]
	}
	out.Stride, out.Rect = b.Dx(), b
	if q.pal == nil {
		q.pal = make(color.Palette, 0, 256)
		q.index = make(map[[3]uint8]uint8, 64)
	}
	out.Palette = q.pal[:0]
	clear(q.index)
	index := q.index
	exact := true
	for y := b.Min.Y; y < b.Max.Y && exact; y++ {
		row := rgba.Pix[(y-b.Min.Y)*rgba.Stride:]
		for x := 0; x < b.Dx(); x++ {
			c := [3]uint8{row[4*x], row[4*x+1], row[4*x+2]}
			i, ok := index[c]
			if !ok {
				if len(out.Palette) == 256 {
					exact = false
					break
				}
				i = uint8(len(out.Palette))
				index[c] = i
				out.Palette = append(out.Palette, color.RGBA{c[0], c[1], c[2], 255})
			}
			out.Pix[(y-b.Min.Y)*out.Stride+x] = i
		}
	}
	if exact {
		return out
	}
	out.Palette = cubePalette
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := rgba.Pix[(y-b.Min.Y)*rgba.Stride:]
		for x := 0; x < b.Dx(); x++ {
			r := (int(row[4*x])*5 + 127) / 255
			g := (int(row[4*x+1])*6 + 127) / 255
			bl := (int(row[4*x+2])*5 + 127) / 255
			out.Pix[(y-b.Min.Y)*out.Stride+x] = uint8(r*42 + g*6 + bl)
		}
	}
	return out
}

// cubePalette has 6 levels of red, 7 of green and 6 of blue (the eye is
// most sensitive to green), in the order quantize indexes them.
var cubePalette = func() color.Palette {
	p := make(color.Palette, 0, 252)
	for r := range 6 {
		for g := range 7 {
			for b := range 6 {
				p = append(p, color.RGBA{uint8(r * 255 / 5), uint8(g * 255 / 6), uint8(b * 255 / 5), 255})
			}
		}
	}
	return p
}()
