// Package viz draws what people look at: learning curves as PNG files,
// animated GIFs of rollouts, and (in viz/viewer, the only package that
// imports ebiten) a window that plays policies. Everything here but
// viz/viewer works on a machine without a display.
package viz

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"offrl/internal/atomicfile"
)

// Series is one line of a score plot: a mean per step with a shaded
// spread of ± Std.
type Series struct {
	Label  string
	Points []CurvePoint
}

const scoreLabel = "normalised score (0 = random, 100 = expert)"

// stepLabel names the x axis of runs: offline runs count gradient steps,
// online runs environment steps.
func stepLabel(runs ...*Run) string {
	online, offline := false, false
	for _, r := range runs {
		online = online || r.Online
		offline = offline || !r.Online
	}
	switch {
	case online && offline:
		return "steps (gradient steps offline, environment steps online)"
	case online:
		return "environment steps"
	}
	return "gradient steps"
}

// WriteRunPNG draws a run's curve.png: the evaluation score (mean ± std
// over episodes) with the dataset's own score as a dashed line, and below
// it one small panel per training metric (losses, Q values, ...).
func WriteRunPNG(path string, r *Run) error {
	if len(r.Evals) == 0 {
		return fmt.Errorf("viz: run %s has no evaluation yet", r.Dir)
	}
	title := fmt.Sprintf("%s (seed %d)", r.Label(), r.Seed)
	spread := "mean ± std over episodes"
	score, err := scorePlot(title, stepLabel(r), r.yLabel(), []Series{{Label: "agent (" + spread + ")", Points: r.Evals}},
		r.DatasetScore, fmt.Sprintf("dataset's own score (%.1f)", r.DatasetScore))
	if err != nil {
		return err
	}
	var panels []*plot.Plot
	for _, name := range r.MetricNames {
		if p, err := metricPlot(name, stepLabel(r), r.Metrics[name]); err != nil {
			return err
		} else if p != nil {
			panels = append(panels, p)
		}
	}
	const cols = 3
	rows := (len(panels) + cols - 1) / cols
	w, h := 10*vg.Inch, 5*vg.Inch+vg.Length(rows)*2.2*vg.Inch
	canvas := vgimg.New(w, h)
	dc := draw.New(canvas)
	top := draw.Crop(dc, 0, 0, vg.Length(rows)*2.2*vg.Inch, 0)
	score.Draw(top)
	if rows > 0 {
		grid := make([][]*plot.Plot, rows)
		for i := range grid {
			grid[i] = make([]*plot.Plot, cols)
			for j := range cols {
				if k := i*cols + j; k < len(panels) {
					grid[i][j] = panels[k]
				}
			}
		}
		bottom := draw.Crop(dc, 0, 0, 0, -(5 * vg.Inch))
		tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
			PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2,
			PadRight: vg.Millimeter * 2}
		sub := plot.Align(grid, tiles, bottom)
		for i := range grid {
			for j := range grid[i] {
				if grid[i][j] != nil {
					grid[i][j].Draw(sub[i][j])
				}
			}
		}
	}
	return writePNG(path, canvas)
}

// WriteOverlayPNG draws the scores of several runs in one plot. Runs with
// the same label (algorithm and dataset) are seeds of one setting: they
// are drawn as one line, the mean over seeds at the steps all of them
// reached, shaded ± the standard deviation over seeds.
func WriteOverlayPNG(path, title string, runs []*Run) error {
	if len(runs) == 0 {
		return fmt.Errorf("viz: no runs to plot")
	}
	raw := runs[0].Raw
	groups := map[string][]*Run{}
	var order []string
	for _, r := range runs {
		if r.Raw != raw {
			return fmt.Errorf("viz: %s has %s, %s has %s; they cannot share an axis",
				runs[0].Dir, runs[0].yLabel(), r.Dir, r.yLabel())
		}
		if len(r.Evals) == 0 {
			return fmt.Errorf("viz: run %s has no evaluation yet", r.Dir)
		}
		if _, ok := groups[r.Label()]; !ok {
			order = append(order, r.Label())
		}
		groups[r.Label()] = append(groups[r.Label()], r)
	}
	var series []Series
	for _, label := range order {
		g := groups[label]
		if len(g) == 1 {
			series = append(series, Series{Label: fmt.Sprintf("%s (seed %d; ± std over episodes)", label, g[0].Seed),
				Points: g[0].Evals})
			continue
		}
		pts := acrossSeeds(g)
		if len(pts) == 0 {
			return fmt.Errorf("viz: the %d runs of %s share no evaluation step", len(g), label)
		}
		what := "seeds"
		seeds := map[uint64]bool{}
		for _, r := range g {
			seeds[r.Seed] = true
		}
		if len(seeds) < len(g) {
			what = "runs" // some share a seed: repeats, not seeds
		}
		series = append(series, Series{Label: fmt.Sprintf("%s (%d %s; mean ± std over %s)", label, len(g), what, what),
			Points: pts})
	}
	p, err := scorePlot(title, stepLabel(runs...), runs[0].yLabel(), series, math.NaN(), "")
	if err != nil {
		return err
	}
	canvas := vgimg.New(10*vg.Inch, 6*vg.Inch)
	p.Draw(draw.New(canvas))
	return writePNG(path, canvas)
}

// acrossSeeds returns, at each step every run evaluated, the mean and the
// population standard deviation of the runs' scores.
func acrossSeeds(runs []*Run) []CurvePoint {
	count := map[int]int{}
	sum := map[int]float64{}
	sq := map[int]float64{}
	for _, r := range runs {
		for _, e := range r.Evals {
			count[e.Step]++
			sum[e.Step] += e.Score
			sq[e.Step] += e.Score * e.Score
		}
	}
	var out []CurvePoint
	for step, n := range count {
		if n != len(runs) {
			continue
		}
		mean := sum[step] / float64(n)
		v := math.Max(sq[step]/float64(n)-mean*mean, 0)
		out = append(out, CurvePoint{Step: step, Score: mean, Std: math.Sqrt(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Step < out[j].Step })
	return out
}

func (r *Run) yLabel() string {
	if r.Raw {
		return "episode return (no reference returns for this environment)"
	}
	return scoreLabel
}

// scorePlot draws each series as a line with points and a shaded band,
// and a dashed horizontal reference unless reference is NaN.
func scorePlot(title, xLabel, yLabel string, series []Series, reference float64, refLabel string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.X.Tick.Marker = preciseTicks{}
	p.Y.Label.Text = yLabel
	p.Add(plotter.NewGrid())
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, s := range series {
		if len(s.Points) == 0 {
			return nil, fmt.Errorf("viz: series %q has no points", s.Label)
		}
		c := seriesColor(i)
		mean := make(plotter.XYs, len(s.Points))
		band := make(plotter.XYs, 0, 2*len(s.Points))
		for k, pt := range s.Points {
			mean[k] = plotter.XY{X: float64(pt.Step), Y: pt.Score}
			band = append(band, plotter.XY{X: float64(pt.Step), Y: pt.Score + pt.Std})
			lo, hi = math.Min(lo, float64(pt.Step)), math.Max(hi, float64(pt.Step))
		}
		for _, pt := range slices.Backward(s.Points) {
			band = append(band, plotter.XY{X: float64(pt.Step), Y: pt.Score - pt.Std})
		}
		if len(s.Points) > 1 {
			poly, err := plotter.NewPolygon(band)
			if err != nil {
				return nil, err
			}
			fill := color.NRGBAModel.Convert(c).(color.NRGBA)
			fill.A = 50
			poly.Color = fill
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
		line, points, err := plotter.NewLinePoints(mean)
		if err != nil {
			return nil, err
		}
		line.Color, line.Width = c, vg.Points(2)
		points.Color = c
		p.Add(line, points)
		p.Legend.Add(s.Label, line)
	}
	if !math.IsNaN(reference) {
		if hi == lo {
			lo = 0
		}
		ref, err := plotter.NewLine(plotter.XYs{{X: lo, Y: reference}, {X: hi, Y: reference}})
		if err != nil {
			return nil, err
		}
		ref.Color = color.RGBA{R: 60, G: 60, B: 60, A: 255}
		ref.Dashes = []vg.Length{vg.Points(6), vg.Points(4)}
		p.Add(ref)
		p.Legend.Add(refLabel, ref)
	}
	p.Legend.Top, p.Legend.Left = true, true
	// Headroom above the data for the legend, one line a series (and the
	// reference): the legend sits inside the plot, top left.
	lines := float64(len(series))
	if !math.IsNaN(reference) {
		lines++
	}
	span := p.Y.Max - p.Y.Min
	if span <= 0 {
		span = 1
	}
	p.Y.Max += span * 0.08 * lines
	return p, nil
}

// metricPlot draws one training metric against steps; nil if it has no
// finite value.
func metricPlot(name, xLabel string, pts []Point) (*plot.Plot, error) {
	xy := make(plotter.XYs, 0, len(pts))
	for _, pt := range pts {
		if !math.IsNaN(pt.Value) && !math.IsInf(pt.Value, 0) {
			xy = append(xy, plotter.XY{X: float64(pt.Step), Y: pt.Value})
		}
	}
	if len(xy) == 0 {
		return nil, nil
	}
	p := plot.New()
	p.Title.Text = name
	p.X.Label.Text = xLabel
	p.X.Tick.Marker = preciseTicks{}
	p.Y.Tick.Marker = preciseTicks{}
	p.Add(plotter.NewGrid())
	line, err := plotter.NewLine(xy)
	if err != nil {
		return nil, err
	}
	line.Color, line.Width = seriesColor(0), vg.Points(1)
	p.Add(line)
	return p, nil
}

// preciseTicks are gonum/plot's default ticks, labelled with as many
// significant digits as it takes to tell neighbouring ticks apart (a loss
// that moves between 4.251 and 4.262 would otherwise read 4.3 on every
// tick).
type preciseTicks struct{}

func (preciseTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	integers := true
	for _, t := range ticks {
		if t.Label != "" && (t.Value != math.Trunc(t.Value) || math.Abs(t.Value) >= 1e9) {
			integers = false
		}
	}
	if integers { // steps: 25000, not 25000.00 or 2.5e+04
		for i := range ticks {
			if ticks[i].Label != "" {
				ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'f', 0, 64)
			}
		}
		return ticks
	}
	for digits := 3; digits <= 10; digits++ {
		distinct := map[string]bool{}
		labelled := 0
		for i := range ticks {
			if ticks[i].Label != "" {
				ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', digits, 64)
				distinct[ticks[i].Label] = true
				labelled++
			}
		}
		if len(distinct) == labelled {
			break
		}
	}
	return ticks
}

// seriesColor is the i-th colour of the Tableau 10 palette (matplotlib's
// default cycle), so that curves look as researchers expect.
func seriesColor(i int) color.Color { return tableau10[i%len(tableau10)] }

var tableau10 = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
	{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255},
	{188, 189, 34, 255}, {23, 190, 207, 255},
}

func writePNG(path string, c *vgimg.Canvas) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
		return err
	})
}
