package viz

import (
	"fmt"
	"math"
	"offrl/internal/testfs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeRun makes a run directory as train writes it: config.json and
// metrics.csv with evaluations on every second row.
func writeRun(t *testing.T, algo string, seed uint64, scores []float64) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`{"algo": %q, "env_id": "Pendulum-v1", "dataset_id": "pendulum-medium-v0", "seed": %d,
		"ref_min_score": -1200, "ref_max_score": -200, "dataset_normalized_score": 34.1}`, algo, seed)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("step,critic_loss,actor_loss,return_mean,return_std,normalized_score\n")
	for i, s := range scores {
		step := 1000 * (2*i + 1)
		fmt.Fprintf(&b, "%d,%g,%g,,,\n", step, 1.0/float64(i+1), -float64(i))
		fmt.Fprintf(&b, "%d,%g,%g,%g,%g,%g\n", step+1000, 0.5/float64(i+1), -float64(i)-0.5,
			-1200+10*s, 50.0, s)
	}
	if err := os.WriteFile(filepath.Join(dir, "metrics.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReadRunSplitsEvaluationsAndMetrics(t *testing.T) {
	r, err := ReadRun(writeRun(t, "td3bc", 2, []float64{10, 40, 70}))
	if err != nil {
		t.Fatal(err)
	}
	if r.Label() != "td3bc on pendulum-medium-v0" || r.Seed != 2 || r.DatasetScore != 34.1 || r.Raw {
		t.Fatalf("run %+v", r)
	}
	if len(r.Evals) != 3 || r.Evals[1].Step != 4000 || r.Evals[1].Score != 40 {
		t.Fatalf("evals %+v", r.Evals)
	}
	// return_std 50 on a 1000-wide reference span is 5 points.
	if math.Abs(r.Evals[0].Std-5) > 1e-12 {
		t.Fatalf("score std %v, want 5", r.Evals[0].Std)
	}
	if len(r.MetricNames) != 2 || len(r.Metrics["critic_loss"]) != 6 || r.Metrics["actor_loss"][3].Value != -1.5 {
		t.Fatalf("metrics %v %+v", r.MetricNames, r.Metrics)
	}
}

func TestReadRunNamesBadCells(t *testing.T) {
	dir := writeRun(t, "iql", 0, []float64{1})
	os.WriteFile(filepath.Join(dir, "metrics.csv"),
		[]byte("step,critic_loss,return_mean,return_std,normalized_score\n1000,abc,,,\n"), 0o644)
	_, err := ReadRun(dir)
	if err == nil || !strings.Contains(err.Error(), "line 2, column critic_loss") {
		t.Fatalf("err = %v, want it to name line 2, column critic_loss", err)
	}
	os.WriteFile(filepath.Join(dir, "metrics.csv"), []byte("step,critic_loss\n"), 0o644)
	if _, err := ReadRun(dir); err == nil || !strings.Contains(err.Error(), "return_mean") {
		t.Fatalf("err = %v, want the missing column named", err)
	}
	if _, err := ReadRun(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a run directory") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunCurveHasScoreAndMetricPanels(t *testing.T) {
	r, err := ReadRun(writeRun(t, "td3bc", 0, []float64{10, 40, 70}))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "curve.png")
	if err := WriteRunPNG(path, r); err != nil {
		t.Fatal(err)
	}
	b := testfs.DecodePNG(t, path).Bounds()
	w, h := b.Dx(), b.Dy()
	// 10 × 5 inches for the score, 2.2 inches a row of metric panels, at
	// gonum/plot's 96 dpi.
	if w != 960 || h != int(math.Round(96*(5+2.2))) {
		t.Fatalf("curve.png is %d×%d, want 960×%d", w, h, int(math.Round(96*(5+2.2))))
	}
	r.Evals = nil
	if err := WriteRunPNG(path, r); err == nil {
		t.Fatal("a run without evaluations was drawn")
	}
}

func TestOverlayAveragesSeeds(t *testing.T) {
	a, _ := ReadRun(writeRun(t, "td3bc", 0, []float64{10, 40}))
	b, _ := ReadRun(writeRun(t, "td3bc", 1, []float64{30, 60, 90}))
	c, _ := ReadRun(writeRun(t, "iql", 0, []float64{20}))
	pts := acrossSeeds([]*Run{a, b})
	// Steps 2000 and 4000 are shared; 6000 only by seed 1.
	if len(pts) != 2 || pts[0].Step != 2000 || pts[0].Score != 20 || pts[0].Std != 10 || pts[1].Score != 50 {
		t.Fatalf("across seeds %+v, want (2000: 20 ± 10), (4000: 50 ± 10)", pts)
	}
	path := filepath.Join(t.TempDir(), "overlay.png")
	if err := WriteOverlayPNG(path, "pendulum", []*Run{a, b, c}); err != nil {
		t.Fatal(err)
	}
	if size := testfs.DecodePNG(t, path).Bounds().Size(); size.X != 960 || size.Y != 576 {
		t.Fatalf("overlay is %d×%d, want 960×576", size.X, size.Y)
	}
	raw := *c
	raw.Raw = true
	if err := WriteOverlayPNG(path, "x", []*Run{a, &raw}); err == nil {
		t.Fatal("scores and raw returns were drawn on one axis")
	}
}

func TestMetricTicksAreDistinct(t *testing.T) {
	ticks := preciseTicks{}.Ticks(4.2501, 4.2629)
	seen := map[string]bool{}
	for _, tk := range ticks {
		if tk.Label == "" {
			continue
		}
		if seen[tk.Label] {
			t.Fatalf("two ticks read %q: %+v", tk.Label, ticks)
		}
		seen[tk.Label] = true
	}
	if len(seen) < 2 {
		t.Fatalf("ticks %+v", ticks)
	}
}
