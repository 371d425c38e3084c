package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"offrl/datasets"
	"offrl/internal/atomicfile"
	"offrl/viz"
)

// algoNames are the algorithms' names in the table.
var algoNames = map[string]string{"td3bc": "TD3+BC", "iql": "IQL", "a2pr": "A2PR"}

func algoName(a string) string {
	if n, ok := algoNames[a]; ok {
		return n
	}
	return a
}

// finished is one finished run: its eval.json and the settings of its
// config.json that the table reports.
type finished struct {
	dir          string
	algo         string
	datasetID    string
	seed         uint64
	score        float64
	steps        int
	evalEpisodes int
}

// readRuns reads every finished run under out/runs; unfinished ones are
// left out (and counted).
func readRuns(out string) (runs []finished, unfinished int, err error) {
	entries, err := os.ReadDir(filepath.Join(out, "runs"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(out, "runs", e.Name())
		raw, err := os.ReadFile(filepath.Join(dir, "eval.json"))
		if errors.Is(err, os.ErrNotExist) {
			unfinished++
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		var ev struct {
			Algo      string  `json:"algo"`
			DatasetID string  `json:"dataset_id"`
			Step      int     `json:"step"`
			Episodes  int     `json:"episodes"`
			Score     float64 `json:"normalized_score"`
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, 0, fmt.Errorf("%s/eval.json: %w", dir, err)
		}
		var cfg struct {
			Seed uint64 `json:"seed"`
		}
		raw, err = os.ReadFile(filepath.Join(dir, "config.json"))
		if err == nil {
			err = json.Unmarshal(raw, &cfg)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%s/config.json: %w", dir, err)
		}
		if ev.DatasetID == "" {
			continue // an online run: not part of the table
		}
		runs = append(runs, finished{dir: dir, algo: ev.Algo, datasetID: ev.DatasetID, seed: cfg.Seed,
			score: ev.Score, steps: ev.Step, evalEpisodes: ev.Episodes})
	}
	return runs, unfinished, nil
}

// stat is a table cell: mean and population standard deviation over n
// seeds.
type stat struct {
	mean, std float64
	n         int
}

func meanStd(xs []float64) stat {
	if len(xs) == 0 {
		return stat{}
	}
	var sum, sq float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	for _, x := range xs {
		sq += (x - mean) * (x - mean)
	}
	return stat{mean: mean, std: math.Sqrt(sq / float64(len(xs))), n: len(xs)}
}

// table is the aggregated results.
type table struct {
	datasets, algos []string
	cells           map[[2]string]stat // (dataset, algo)
	runs            []finished
	unfinished      int
}

// buildTable aggregates the finished runs. In a training run, and in
// --table-only with --algos or --datasets given, only those are shown, in
// the order given; otherwise every one found, sorted.
func buildTable(s *settings) (*table, error) {
	runs, unfinished, err := readRuns(s.out)
	if err != nil {
		return nil, err
	}
	t := &table{cells: map[[2]string]stat{}, unfinished: unfinished}
	filterAlgos := !s.tableOnly || s.set("algos")
	filterData := !s.tableOnly || s.set("datasets")
	if filterAlgos {
		t.algos = s.algos
	}
	if filterData {
		t.datasets = s.datasetIDs
	}
	scores := map[[2]string][]float64{}
	for _, r := range runs {
		if filterAlgos && !slices.Contains(s.algos, r.algo) || filterData && !slices.Contains(s.datasetIDs, r.datasetID) {
			continue
		}
		if !s.tableOnly && !slices.Contains(s.seeds, r.seed) {
			continue
		}
		if !filterAlgos && !slices.Contains(t.algos, r.algo) {
			t.algos = append(t.algos, r.algo)
		}
		if !filterData && !slices.Contains(t.datasets, r.datasetID) {
			t.datasets = append(t.datasets, r.datasetID)
		}
		k := [2]string{r.datasetID, r.algo}
		scores[k] = append(scores[k], r.score)
		t.runs = append(t.runs, r)
	}
	if !filterAlgos {
		slices.SortFunc(t.algos, func(a, b string) int { return cost[b] - cost[a] })
	}
	if !filterData {
		// The default grid's datasets in its order (task by task), then
		// any others by name.
		grid := defaultDatasets
		rank := func(id string) int {
			if i := slices.Index(grid, id); i >= 0 {
				return i
			}
			return len(grid)
		}
		slices.SortFunc(t.datasets, func(a, b string) int {
			if c := cmp.Compare(rank(a), rank(b)); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
	}
	if len(t.runs) == 0 {
		return nil, fmt.Errorf("no finished runs in %s to make a table of", filepath.Join(s.out, "runs"))
	}
	for k, xs := range scores {
		t.cells[k] = meanStd(xs)
	}
	return t, nil
}

// taskKind is a dataset ID without its version, D4RL's name for it.
func taskKind(id string) string {
	task, kind, _, err := datasets.ParseID(id)
	if err != nil {
		return id
	}
	return task + "-" + kind
}

// writeOutputs writes results.md, results.png and curves/, each
// atomically, and returns their paths.
func writeOutputs(s *settings, log *slog.Logger) ([]string, error) {
	t, err := buildTable(s)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.out, 0o755); err != nil {
		return nil, err
	}
	md := filepath.Join(s.out, "results.md")
	if err := atomicfile.Write(md, func(w io.Writer) error { return t.markdown(w, s) }); err != nil {
		return nil, err
	}
	png := filepath.Join(s.out, "results.png")
	if err := t.chart(png); err != nil {
		return nil, err
	}
	written := []string{md, png}
	for _, id := range t.datasets {
		var runs []*viz.Run
		// In the table's column order, so that each algorithm has the
		// colour it has in results.png.
		byColumn := slices.Clone(t.runs)
		slices.SortStableFunc(byColumn, func(a, b finished) int {
			return slices.Index(t.algos, a.algo) - slices.Index(t.algos, b.algo)
		})
		for _, r := range byColumn {
			if r.datasetID != id {
				continue
			}
			vr, err := viz.ReadRun(r.dir)
			if err != nil {
				return nil, err
			}
			runs = append(runs, vr)
		}
		if len(runs) == 0 {
			continue
		}
		if err := os.MkdirAll(filepath.Join(s.out, "curves"), 0o755); err != nil {
			return nil, err
		}
		path := filepath.Join(s.out, "curves", id+".png")
		if err := viz.WriteOverlayPNG(path, "learning curves on "+id, runs); err != nil {
			log.Warn("drawing learning curves", "dataset", id, "err", err)
			continue
		}
		written = append(written, path)
	}
	log.Info("written", "table", md, "chart", png, "runs", len(t.runs))
	return written, nil
}

// markdown writes results.md.
func (t *table) markdown(w io.Writer, s *settings) error {
	var b strings.Builder
	b.WriteString("# Results\n\n")
	b.WriteString("Final normalised score (0 = random, 100 = expert; the last evaluation of each run), " +
		"mean ± standard deviation over seeds (population std), with the number of seeds.\n\n")
	b.WriteString("| dataset |")
	for _, a := range t.algos {
		fmt.Fprintf(&b, " %s |", algoName(a))
	}
	for _, a := range t.algos {
		fmt.Fprintf(&b, " %s paper |", algoName(a))
	}
	b.WriteString("\n|---|")
	for range 2 * len(t.algos) {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, id := range t.datasets {
		fmt.Fprintf(&b, "| %s |", id)
		for _, a := range t.algos {
			fmt.Fprintf(&b, " %s |", formatStat(t.cells[[2]string{id, a}]))
		}
		for _, a := range t.algos {
			fmt.Fprintf(&b, " %s |", formatPaper(paperFor(a, taskKind(id))))
		}
		b.WriteString("\n")
	}
	b.WriteString("| **average** |")
	for _, a := range t.algos {
		var means []float64
		for _, id := range t.datasets {
			if c, ok := t.cells[[2]string{id, a}]; ok {
				means = append(means, c.mean)
			}
		}
		switch {
		case len(means) == 0:
			b.WriteString(" — |")
		case len(means) < len(t.datasets):
			fmt.Fprintf(&b, " %.1f (%d of %d datasets) |", meanStd(means).mean, len(means), len(t.datasets))
		default:
			fmt.Fprintf(&b, " %.1f |", meanStd(means).mean)
		}
	}
	for _, a := range t.algos {
		var means []float64
		for _, id := range t.datasets {
			if p := paperFor(a, taskKind(id)); len(p) > 0 && p[0].Confirmed {
				means = append(means, p[0].Mean)
			}
		}
		if len(means) == len(t.datasets) {
			fmt.Fprintf(&b, " %.1f |", meanStd(means).mean)
		} else {
			b.WriteString(" — |")
		}
	}
	b.WriteString("\n\n")
	b.WriteString(t.ranking())
	b.WriteString("Paper columns: D4RL v2 numbers for the dataset of the same task and kind (ours are this " +
		"toolkit's own collections with its own behaviour policies, so they are comparable in kind, not " +
		"in data). A plain number is confirmed: the CORL reimplementations' final scores over 4 seeds " +
		"(corl-team/CORL README). † marks the original papers' numbers as the IQL paper's Table 1 prints them, " +
		"recalled and unconfirmed. ‡ marks A2PR numbers (Liu et al., ICML 2024) confirmed only through a " +
		"secondary summary; the other A2PR numbers could not be read and are left out (—). " +
		"The paper average is over confirmed numbers and shown only when every row has one.\n\n")
	b.WriteString("## Settings\n\n")
	steps, episodes, seeds := map[int]int{}, map[int]int{}, map[uint64]bool{}
	for _, r := range t.runs {
		steps[r.steps]++
		episodes[r.evalEpisodes]++
		seeds[r.seed] = true
	}
	fmt.Fprintf(&b, "- runs: %d finished", len(t.runs))
	if t.unfinished > 0 {
		fmt.Fprintf(&b, " (%d unfinished left out)", t.unfinished)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "- gradient updates per run: %s (papers: 1,000,000)\n", countList(steps))
	fmt.Fprintf(&b, "- episodes in the final evaluation: %s (papers: 10)\n", countList(episodes))
	seedList := slices.Sorted(func(yield func(uint64) bool) {
		for k := range seeds {
			if !yield(k) {
				return
			}
		}
	})
	fmt.Fprintf(&b, "- seeds: %v\n", seedList)
	fmt.Fprintf(&b, "- per-dataset settings: `%s/<algo>/<dataset>.yaml` where present, else each algorithm's defaults "+
		"(the papers' locomotion settings)\n", s.configDir)
	fmt.Fprintf(&b, "- run directories: `%s`\n", filepath.Join(s.out, "runs"))
	fmt.Fprintf(&b, "- command: `%s`\n", s.command)
	if s.rebuiltWith != "" {
		fmt.Fprintf(&b, "- table rebuilt with: `%s`\n", s.rebuiltWith)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ranking says how the algorithms with a score on every dataset compare
// on their average, and where A2PR, the toolkit's headline algorithm,
// stands against each of the others; "" when fewer than two compare.
func (t *table) ranking() string {
	type avg struct {
		algo string
		mean float64
	}
	var avgs []avg
	for _, a := range t.algos {
		var means []float64
		for _, id := range t.datasets {
			if c, ok := t.cells[[2]string{id, a}]; ok {
				means = append(means, c.mean)
			}
		}
		if len(means) == len(t.datasets) && len(means) > 0 {
			avgs = append(avgs, avg{a, meanStd(means).mean})
		}
	}
	if len(avgs) < 2 {
		return ""
	}
	sorted := slices.Clone(avgs)
	slices.SortStableFunc(sorted, func(x, y avg) int { return cmp.Compare(y.mean, x.mean) })
	var parts []string
	for _, a := range sorted {
		parts = append(parts, fmt.Sprintf("%s %.1f", algoName(a.algo), a.mean))
	}
	out := fmt.Sprintf("Ranked by the average over the %d datasets: %s.", len(t.datasets), strings.Join(parts, ", "))
	if i := slices.IndexFunc(avgs, func(a avg) bool { return a.algo == "a2pr" }); i >= 0 {
		var cmps []string
		for _, o := range avgs {
			if o.algo == "a2pr" {
				continue
			}
			rel := "equal to"
			switch {
			case avgs[i].mean > o.mean:
				rel = "above"
			case avgs[i].mean < o.mean:
				rel = "below"
			}
			cmps = append(cmps, fmt.Sprintf("%s %s's (%.1f)", rel, algoName(o.algo), o.mean))
		}
		out += fmt.Sprintf(" A2PR's average (%.1f) is %s.", avgs[i].mean, strings.Join(cmps, " and "))
	}
	return out + "\n\n"
}

// countList formats value counts, "10000" or "10000 (4 runs), 20000 (2 runs)".
func countList(m map[int]int) string {
	keys := slices.Sorted(func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
	if len(keys) == 1 {
		return fmt.Sprint(keys[0])
	}
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d (%d runs)", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func formatStat(c stat) string {
	if c.n == 0 {
		return "—"
	}
	unit := "seeds"
	if c.n == 1 {
		unit = "seed"
	}
	return fmt.Sprintf("%.1f ± %.1f (%d %s)", c.mean, c.std, c.n, unit)
}

func formatPaper(ps []paperScore) string {
	if len(ps) == 0 {
		return "—"
	}
	var parts []string
	for _, p := range ps {
		s := fmt.Sprintf("%.1f", p.Mean)
		if p.HasStd {
			s = fmt.Sprintf("%.1f ± %.1f", p.Mean, p.Std)
		}
		switch p.Source {
		case iqlTable1:
			s += "†"
		case a2prSecondary:
			s += "‡"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " / ")
}

// errPoints are the means with their ± std, for the chart's error bars.
type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

// chart draws results.png: per dataset, each algorithm's mean ± std over
// seeds as a dot with whiskers, and the paper's first number for it as a
// cross of the same colour.
func (t *table) chart(path string) error {
	p := plot.New()
	p.Title.Text = "final normalised score, mean ± std over seeds (× = paper)"
	p.Y.Label.Text = "normalised score (0 = random, 100 = expert)"
	p.X.Tick.Label.Rotation = math.Pi / 6
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	p.Add(plotter.NewGrid())
	width := 0.7 / float64(max(len(t.algos), 1))
	// The axis spans random (0) to expert (100) at least, with headroom
	// above for the legend.
	lo, hi := 0.0, 100.0
	for k, a := range t.algos {
		col := palette[k%len(palette)]
		var pts errPoints
		var ref plotter.XYs
		for i, id := range t.datasets {
			x := float64(i) + (float64(k)-float64(len(t.algos)-1)/2)*width
			if c, ok := t.cells[[2]string{id, a}]; ok {
				pts.XYs = append(pts.XYs, plotter.XY{X: x, Y: c.mean})
				pts.YErrors = append(pts.YErrors, struct{ Low, High float64 }{c.std, c.std})
				lo, hi = math.Min(lo, c.mean-c.std), math.Max(hi, c.mean+c.std)
			}
			if ps := paperFor(a, taskKind(id)); len(ps) > 0 {
				ref = append(ref, plotter.XY{X: x, Y: ps[0].Mean})
				hi = math.Max(hi, ps[0].Mean)
			}
		}
		if len(pts.XYs) > 0 {
			sc, err := plotter.NewScatter(pts.XYs)
			if err != nil {
				return err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}
			eb, err := plotter.NewYErrorBars(pts)
			if err != nil {
				return err
			}
			eb.LineStyle.Color = col
			eb.LineStyle.Width = vg.Points(1.2)
			p.Add(sc, eb)
			p.Legend.Add(algoName(a), sc)
		}
		if len(ref) > 0 {
			sc, err := plotter.NewScatter(ref)
			if err != nil {
				return err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(4), Shape: draw.CrossGlyph{}}
			p.Add(sc)
			p.Legend.Add(algoName(a)+" paper", sc)
		}
	}
	p.NominalX(t.datasets...)
	p.X.Min, p.X.Max = -0.6, float64(len(t.datasets))-0.4
	p.Y.Min, p.Y.Max = lo-0.05*(hi-lo), hi+0.3*(hi-lo)
	p.Legend.Top = true
	p.Legend.Left = true
	w := vg.Length(max(8, 1.2*float64(len(t.datasets)))) * vg.Inch
	canvas := vgimg.New(w, 6*vg.Inch)
	p.Draw(draw.New(canvas))
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: canvas}.WriteTo(w)
		return err
	})
}

// palette is matplotlib's default cycle (Tableau 10), as viz uses.
var palette = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255}, color.RGBA{44, 160, 44, 255},
	color.RGBA{214, 39, 40, 255}, color.RGBA{148, 103, 189, 255}, color.RGBA{140, 86, 75, 255},
}
