package viz

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// Run is what the plots need of a run directory: its identity, its
// evaluations and the per-interval training metrics of metrics.csv.
type Run struct {
	Dir       string
	Algo      string
	EnvID     string
	DatasetID string
	Seed      uint64
	// DatasetScore is the dataset's own normalised score, NaN if unknown
	// (online runs, older run directories).
	DatasetScore float64
	// Evals are the evaluations: normalised scores with their spread over
	// episodes, or raw returns when Raw is set (a run whose environment
	// has no reference returns).
	Evals []CurvePoint
	Raw   bool
	// Online runs count environment steps; offline runs gradient steps.
	Online bool
	// Metrics maps each training metric (critic_loss, actor_loss, ...) to
	// its interval means by step, in the column order of metrics.csv.
	Metrics     map[string][]Point
	MetricNames []string
}

// Point is one (step, value) pair.
type Point struct {
	Step  int
	Value float64
}

// CurvePoint is one evaluation: the step and its normalised score with
// the spread (standard deviation) over episodes or seeds.
type CurvePoint struct {
	Step  int
	Score float64
	Std   float64
}

// runConfig is the part of a run's config.json that plots use.
type runConfig struct {
	Algo         string   `json:"algo"`
	Env          string   `json:"env"` // set for online runs only
	EnvID        string   `json:"env_id"`
	DatasetID    string   `json:"dataset_id"`
	Seed         uint64   `json:"seed"`
	RefMinScore  *float64 `json:"ref_min_score"`
	RefMaxScore  *float64 `json:"ref_max_score"`
	DatasetScore *float64 `json:"dataset_normalized_score"`
}

// evalColumns are metrics.csv's evaluation columns, which are not
// training metrics.
var evalColumns = []string{"return_mean", "return_std", "normalized_score"}

// ReadRun reads dir/config.json and dir/metrics.csv.
func ReadRun(dir string) (*Run, error) {
	cfgPath := filepath.Join(dir, "config.json")
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("%s is not a run directory: %w", dir, err)
	}
	var rc runConfig
	if err := json.Unmarshal(raw, &rc); err != nil {
		return nil, fmt.Errorf("%s: %w", cfgPath, err)
	}
	r := &Run{Dir: dir, Algo: rc.Algo, EnvID: rc.EnvID, DatasetID: rc.DatasetID, Seed: rc.Seed,
		DatasetScore: math.NaN(), Metrics: map[string][]Point{}, Online: rc.Env != ""}
	if rc.DatasetScore != nil {
		r.DatasetScore = *rc.DatasetScore
	}
	span := math.NaN()
	if rc.RefMinScore != nil && rc.RefMaxScore != nil {
		span = math.Abs(*rc.RefMaxScore - *rc.RefMinScore)
	}
	return r, r.readMetrics(filepath.Join(dir, "metrics.csv"), span)
}

// readMetrics parses metrics.csv: a step column, the agent's metrics,
// then the evaluation columns, empty on rows without an evaluation.
func (r *Run) readMetrics(path string, span float64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%s: header: %w", path, err)
	}
	col := map[string]int{}
	for i, name := range header {
		col[name] = i
	}
	for _, name := range append([]string{"step"}, evalColumns...) {
		if _, ok := col[name]; !ok {
			return fmt.Errorf("%s: no %q column", path, name)
		}
	}
	for _, name := range header[1:] {
		if !slices.Contains(evalColumns, name) {
			r.MetricNames = append(r.MetricNames, name)
		}
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		num := func(name string) (float64, bool, error) {
			s := rec[col[name]]
			if s == "" {
				return 0, false, nil
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return 0, false, fmt.Errorf("%s line %d, column %s: %q is not a number", path, line, name, s)
			}
			return v, true, nil
		}
		step, ok, err := num("step")
		if err != nil || !ok {
			return errors.Join(err, fmt.Errorf("%s line %d: no step", path, line))
		}
		for _, name := range r.MetricNames {
			if v, ok, err := num(name); err != nil {
				return err
			} else if ok {
				r.Metrics[name] = append(r.Metrics[name], Point{Step: int(step), Value: v})
			}
		}
		score, ok, err := num("normalized_score")
		if err != nil {
			return err
		}
		ret, hasRet, err := num("return_mean")
		if err != nil {
			return err
		}
		retStd, _, err := num("return_std")
		if err != nil {
			return err
		}
		switch {
		case ok && !r.Raw:
			std := 100 * retStd / span
			if math.IsNaN(std) || math.IsInf(std, 0) {
				std = 0
			}
			r.Evals = append(r.Evals, CurvePoint{Step: int(step), Score: score, Std: std})
		case hasRet && (r.Raw || len(r.Evals) == 0):
			r.Raw = true
			r.Evals = append(r.Evals, CurvePoint{Step: int(step), Score: ret, Std: retStd})
		}
	}
}

// Label names the run in legends: algorithm and dataset (or environment).
func (r *Run) Label() string {
	what := r.DatasetID
	if what == "" {
		what = r.EnvID
	}
	return fmt.Sprintf("%s on %s", r.Algo, what)
}
