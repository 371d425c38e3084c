// Package viz draws what people look at: learning curves as PNG files
// (this file, headless) and, in viz/viewer, an ebiten window that replays
// policies. Nothing here but viz/viewer imports ebiten, so plots work on a
// machine without a display.
package viz

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"offrl/internal/atomicfile"
)

// CurvePoint is one evaluation: the update step and its normalised score
// with the spread over episodes.
type CurvePoint struct {
	Step  int
	Score float64
	Std   float64
}

// Curve describes a learning-curve plot.
type Curve struct {
	Title  string
	Points []CurvePoint
	// Reference draws a horizontal line (for example the dataset's own
	// score) labelled ReferenceLabel; NaN draws none.
	Reference      float64
	ReferenceLabel string
}

// WritePNG renders c as a 800×500 PNG at path, atomically.
func (c Curve) WritePNG(path string) error {
	p, err := c.plot()
	if err != nil {
		return err
	}
	canvas := vgimg.PngCanvas{Canvas: vgimg.New(8*vg.Inch, 5*vg.Inch)}
	p.Draw(draw.New(canvas))
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := canvas.WriteTo(w)
		return err
	})
}

func (c Curve) plot() (*plot.Plot, error) {
	if len(c.Points) == 0 {
		return nil, fmt.Errorf("viz: curve %q has no points", c.Title)
	}
	p := plot.New()
	p.Title.Text = c.Title
	p.X.Label.Text = "gradient steps"
	p.Y.Label.Text = "normalised score (0 = random, 100 = expert)"
	p.Add(plotter.NewGrid())

	mean := make(plotter.XYs, len(c.Points))
	band := make(plotter.XYs, 0, 2*len(c.Points))
	for i, pt := range c.Points {
		mean[i] = plotter.XY{X: float64(pt.Step), Y: pt.Score}
		band = append(band, plotter.XY{X: float64(pt.Step), Y: pt.Score + pt.Std})
	}
	for i := len(c.Points) - 1; i >= 0; i-- {
		pt := c.Points[i]
		band = append(band, plotter.XY{X: float64(pt.Step), Y: pt.Score - pt.Std})
	}
	if len(c.Points) > 1 {
		poly, err := plotter.NewPolygon(band)
		if err != nil {
			return nil, err
		}
		poly.Color = color.NRGBA{R: 31, G: 119, B: 180, A: 50}
		poly.LineStyle.Width = 0
		p.Add(poly)
	}
	line, points, err := plotter.NewLinePoints(mean)
	if err != nil {
		return nil, err
	}
	line.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	line.Width = vg.Points(2)
	points.Color = line.Color
	p.Add(line, points)
	p.Legend.Add("agent (mean ± std over episodes)", line)

	if !math.IsNaN(c.Reference) {
		lo, hi := float64(c.Points[0].Step), float64(c.Points[len(c.Points)-1].Step)
		if hi == lo {
			lo = 0
		}
		ref, err := plotter.NewLine(plotter.XYs{{X: lo, Y: c.Reference}, {X: hi, Y: c.Reference}})
		if err != nil {
			return nil, err
		}
		ref.Color = color.RGBA{R: 214, G: 39, B: 40, A: 255}
		ref.Dashes = []vg.Length{vg.Points(6), vg.Points(4)}
		p.Add(ref)
		p.Legend.Add(c.ReferenceLabel, ref)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	return p, nil
}
