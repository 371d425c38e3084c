// Package train runs offline training: it loads a dataset into a replay
// buffer, builds the agent, updates it for a number of steps, evaluates it
// on a cadence, writes metrics, and keeps a checkpoint from which an
// interrupted run continues bit-identically.
//
//	sum, err := train.Run(ctx, cfg, "runs/my-run", train.Options{Logger: log})
//
// It reports through callbacks (progress, evaluations) so that commands can
// draw progress bars and plots without this package importing them.
package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"offrl/agents"
	"offrl/agents/iql"
	"offrl/agents/td3bc"
	"offrl/datasets"
	"offrl/envs"
	"offrl/envs/registry"
	"offrl/eval"
	"offrl/internal/atomicfile"
	"offrl/internal/version"
	"offrl/replay"
)

// EvalPoint is one evaluation of a run.
type EvalPoint struct {
	Step            int     `json:"step"`
	ReturnMean      float64 `json:"return_mean"`
	ReturnStd       float64 `json:"return_std"`
	NormalizedScore float64 `json:"normalized_score"`
}

// Options are the parts of a run that do not change its results.
type Options struct {
	Logger *slog.Logger // nil: silent
	// Resume continues the run in the directory from its checkpoint.
	Resume bool
	// OnProgress is called after every update with the step reached.
	OnProgress func(step, total int)
	// OnEval is called after each evaluation, once its metrics.csv row is
	// written, with the history so far.
	OnEval func(history []EvalPoint)
	// EvalWorkers is the number of goroutines for evaluation episodes;
	// 0 means GOMAXPROCS.
	EvalWorkers int
}

// Summary is what a finished run reports.
type Summary struct {
	RunDir string
	Step   int
	// Final is the last evaluation; DatasetScore the dataset's own
	// normalised score from its metadata.
	Final        eval.Result
	Score        float64
	DatasetScore float64
	History      []EvalPoint
}

// EvalReport is eval.json: the final evaluation with its context.
type EvalReport struct {
	SchemaVersion          string    `json:"schema_version"`
	Algo                   string    `json:"algo"`
	EnvID                  string    `json:"env_id"`
	DatasetID              string    `json:"dataset_id"`
	Step                   int       `json:"step"`
	Episodes               int       `json:"episodes"`
	Returns                []float64 `json:"returns"`
	ReturnMean             float64   `json:"return_mean"`
	ReturnStd              float64   `json:"return_std"`
	NormalizedScore        float64   `json:"normalized_score"` // D4RL scale, 0–100
	NormalizedScoreStd     float64   `json:"normalized_score_std"`
	DatasetNormalizedScore float64   `json:"dataset_normalized_score"`
	RefMinScore            float64   `json:"ref_min_score"`
	RefMaxScore            float64   `json:"ref_max_score"`
	RefSource              string    `json:"ref_source"`
}

// ErrStepsBehind means a resumed run was asked to stop before the step its
// checkpoint has already reached.
var ErrStepsBehind = errors.New("cannot resume to fewer steps than done")

// run is the state of one training run.
type run struct {
	cfg     Config
	dir     string
	opts    Options
	log     *slog.Logger
	meta    datasets.Metadata
	buf     *replay.Buffer
	agent   agents.Agent
	rng     *streams
	metrics *csvLog
	timing  *csvLog
	st      state

	score       scoring
	fingerprint string // SHA-256 of the dataset's bytes

	wallBase    float64   // wall-clock seconds of the run before this process
	started     time.Time // when this process started training
	lastRowTime time.Time // when the last timing.csv row was written
	lastRowStep int       // and at which step
}

// intervalSum accumulates update metrics between two metrics.csv rows.
type intervalSum struct {
	Count int                `json:"count"`
	Sums  map[string]float64 `json:"sums"`
}

// Run trains according to cfg in runDir. A new run needs runDir to be
// absent or empty; with opts.Resume it continues from runDir's checkpoint
// using the configuration saved there. When ctx is cancelled Run writes a
// checkpoint and returns an error wrapping the context's error.
func Run(ctx context.Context, cfg Config, runDir string, opts Options) (Summary, error) {
	if err := cfg.Validate(); err != nil {
		return Summary{}, err
	}
	r := &run{cfg: cfg, dir: runDir, opts: opts, log: opts.Logger}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if err := r.setup(); err != nil {
		return Summary{}, err
	}
	defer r.metrics.close()
	defer r.timing.close()
	return r.loop(ctx)
}

// setup loads the data, builds the agent and opens or restores the run.
func (r *run) setup() error {
	d, score, err := loadDataset(r.cfg.Dataset, r.log)
	if err != nil {
		return err
	}
	r.meta, r.score = d.Meta, score
	if r.fingerprint, err = datasets.Fingerprint(r.cfg.Dataset); err != nil {
		return err
	}
	if r.buf, err = replay.FromDataset(d); err != nil {
		return err
	}
	r.rng = newStreams(r.cfg.Seed)
	if r.agent, err = newAgent(r.cfg, d, r.rng); err != nil {
		return err
	}
	if p, ok := r.agent.(interface{ Prepare(*replay.Buffer) error }); ok {
		if err := p.Prepare(r.buf); err != nil {
			return err
		}
	}
	if r.opts.Resume {
		return r.restore()
	}
	return r.create()
}

// newAgent builds the configured algorithm for the dataset's spaces.
func newAgent(cfg Config, d *datasets.Dataset, s *streams) (agents.Agent, error) {
	return buildAgent(cfg, d.ObsDim, d.ActDim, d.Meta.ActionLow, d.Meta.ActionHigh,
		"dataset "+d.Meta.DatasetID, s.Init)
}

// buildAgent builds the configured algorithm for observation and action
// spaces of the given sizes; where names what the bounds came from, for
// errors.
func buildAgent(cfg Config, obsDim, actDim int, low, high []float64, where string,
	init *rand.Rand) (agents.Agent, error) {
	maxAction := 0.0
	for i, hi := range high {
		if lo := low[i]; lo != -hi {
			return nil, fmt.Errorf("%s: action bounds [%v, %v] in dimension %d are not symmetric, which %s requires",
				where, lo, hi, i, cfg.Algo)
		}
		maxAction = math.Max(maxAction, hi)
	}
	switch cfg.Algo {
	case "iql":
		spec := iql.Spec{ObsDim: obsDim, ActDim: actDim, MaxAction: maxAction,
			BatchSize: cfg.BatchSize, Steps: cfg.Steps}
		return iql.New(cfg.IQL, spec, init)
	}
	spec := td3bc.Spec{ObsDim: obsDim, ActDim: actDim, MaxAction: maxAction,
		BatchSize: cfg.BatchSize}
	return td3bc.New(cfg.TD3BC, spec, init)
}

// create starts a fresh run directory.
func (r *run) create() error {
	if entries, err := os.ReadDir(r.dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("run directory %s is not empty; pass --resume to continue it or choose another", r.dir)
	}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r.resolved(), "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(r.dir, "config.json"),
		append(js, '\n')); err != nil {
		return err
	}
	r.st = state{SchemaVersion: checkpointSchema, Algo: r.cfg.Algo, DatasetID: r.meta.DatasetID,
		DatasetRows: r.buf.Len(), DatasetSHA256: r.fingerprint,
		Interval: intervalSum{Sums: map[string]float64{}}}
	return r.openLogs(-1, -1)
}

// resolvedConfig is config.json: the settings plus what identifies the data.
type resolvedConfig struct {
	SchemaVersion string `json:"schema_version"`
	Config
	EnvID         string  `json:"env_id"`
	DatasetID     string  `json:"dataset_id"`
	DatasetRows   int     `json:"dataset_rows"`
	DatasetSHA256 string  `json:"dataset_sha256"`
	RefMinScore   float64 `json:"ref_min_score"`
	RefMaxScore   float64 `json:"ref_max_score"`
	// DatasetScore is the dataset's own normalised score, for plots.
	DatasetScore float64 `json:"dataset_normalized_score"`
	Toolkit      string  `json:"toolkit"`
}

func (r *run) resolved() resolvedConfig {
	return resolvedConfig{SchemaVersion: "1", Config: r.cfg, EnvID: r.meta.EnvID,
		DatasetID: r.meta.DatasetID, DatasetRows: r.buf.Len(), DatasetSHA256: r.fingerprint,
		RefMinScore: r.score.refMin, RefMaxScore: r.score.refMax,
		DatasetScore: r.score.datasetScore, Toolkit: version.Toolkit}
}

// restore loads the checkpoint and cuts the logs back to it.
func (r *run) restore() error {
	st, err := loadCheckpoint(r.dir, r.agent)
	if err != nil {
		return err
	}
	if st.DatasetSHA256 != r.fingerprint {
		return fmt.Errorf("checkpoint in %s was made on dataset %s (%d rows, sha256 %.12s…), "+
			"but %s (%d rows) has sha256 %.12s…", r.dir, st.DatasetID, st.DatasetRows,
			st.DatasetSHA256, r.cfg.Dataset, r.buf.Len(), r.fingerprint)
	}
	if r.cfg.Steps < st.Step {
		return fmt.Errorf("%w: steps = %d, but the run in %s has reached step %d",
			ErrStepsBehind, r.cfg.Steps, r.dir, st.Step)
	}
	if err := r.rng.unmarshal(st.RNG); err != nil {
		return fmt.Errorf("checkpoint in %s: %w", r.dir, err)
	}
	if st.Interval.Sums == nil {
		st.Interval.Sums = map[string]float64{}
	}
	r.st = st
	r.log.Info("resuming", "step", st.Step, "run_dir", r.dir)
	return r.openLogs(st.MetricsBytes, st.TimingBytes)
}

func (r *run) metricColumns() []string {
	cols := append([]string{"step"}, r.agent.MetricNames()...)
	return append(cols, "return_mean", "return_std", "normalized_score")
}

func (r *run) openLogs(metricsBytes, timingBytes int64) error {
	var err error
	metricsPath := filepath.Join(r.dir, "metrics.csv")
	if r.metrics, err = openCSV(metricsPath, r.metricColumns(), metricsBytes); err != nil {
		return err
	}
	timingCols := []string{"step", "wall_s", "updates_per_s"}
	r.timing, err = openCSV(filepath.Join(r.dir, "timing.csv"), timingCols, timingBytes)
	return err
}

// loop runs the updates from the current step to cfg.Steps.
func (r *run) loop(ctx context.Context) (Summary, error) {
	batch := r.buf.NewBatch(r.cfg.BatchSize)
	first := r.st.Step
	r.wallBase, r.started = r.st.WallSeconds, time.Now()
	r.lastRowTime, r.lastRowStep = r.started, first
	r.log.Info("training", "algo", r.cfg.Algo, "dataset", r.meta.DatasetID, "env", r.meta.EnvID,
		"steps", r.cfg.Steps, "from_step", first, "seed", r.cfg.Seed)
	var final eval.Result
	for r.st.Step < r.cfg.Steps {
		if err := ctx.Err(); err != nil {
			stopped := fmt.Errorf("interrupted at step %d: %w", r.st.Step, err)
			return Summary{}, errors.Join(stopped, r.checkpoint())
		}
		if err := r.update(batch); err != nil {
			return Summary{}, err
		}
		res, err := r.endOfStep(ctx)
		if err != nil {
			return Summary{}, err
		}
		if res != nil {
			final = *res
		}
		if r.opts.OnProgress != nil {
			r.opts.OnProgress(r.st.Step, r.cfg.Steps)
		}
	}
	if r.st.Step == first && len(r.st.Evals) > 0 {
		// Resumed a finished run: nothing to do but report it again.
		var err error
		if final, err = r.evaluateOnly(ctx); err != nil {
			return Summary{}, err
		}
	}
	return r.finish(final)
}

// update samples a minibatch, takes one agent step and adds its metrics to
// the current interval.
func (r *run) update(batch *replay.Batch) error {
	if err := r.buf.Sample(r.rng.Minibatch, batch); err != nil {
		return err
	}
	m, err := r.agent.Update(batch, r.rng.Noise)
	if err != nil {
		return err
	}
	r.st.Step++
	for k, v := range m {
		r.st.Interval.Sums[k] += v
	}
	r.st.Interval.Count++
	return nil
}

// endOfStep writes a metrics row at the end of a log interval, and at an
// evaluation step also evaluates (returning the result) and checkpoints.
func (r *run) endOfStep(ctx context.Context) (*eval.Result, error) {
	evalNow := r.st.Step%r.cfg.EvalEvery == 0 || r.st.Step == r.cfg.Steps
	if !evalNow && r.st.Step%r.cfg.LogEvery != 0 {
		return nil, nil
	}
	var res *eval.Result
	if evalNow {
		got, err := r.evaluate(ctx)
		if err != nil {
			// No checkpoint here: the last one is consistent, and a
			// resumed run redoes the steps since it.
			return nil, err
		}
		res = &got
	}
	if err := r.writeRow(res); err != nil {
		return nil, err
	}
	if evalNow && r.opts.OnEval != nil {
		// After the row is written, so that metrics.csv holds this
		// evaluation when the callback reads it.
		r.opts.OnEval(slices.Clone(r.st.Evals))
	}
	if err := r.writeTiming(); err != nil {
		return nil, err
	}
	if evalNow {
		if err := r.checkpoint(); err != nil {
			return nil, fmt.Errorf("writing checkpoint at step %d: %w", r.st.Step, err)
		}
		r.log.Info("checkpoint written", "step", r.st.Step,
			"path", filepath.Join(r.dir, "checkpoint"))
	}
	return res, nil
}

// writeTiming appends wall-clock time and the update rate since the last
// row to timing.csv.
func (r *run) writeTiming() error {
	now := time.Now()
	rate := float64(r.st.Step-r.lastRowStep) / now.Sub(r.lastRowTime).Seconds()
	wall := r.wallBase + now.Sub(r.started).Seconds()
	r.lastRowTime, r.lastRowStep = now, r.st.Step
	return r.timing.write([]string{fmt.Sprint(r.st.Step), formatFloat(wall), formatFloat(rate)})
}

// writeRow appends the interval's mean metrics (and an evaluation, if one
// was made at this step) to metrics.csv.
func (r *run) writeRow(res *eval.Result) error {
	row := []string{fmt.Sprint(r.st.Step)}
	for _, name := range r.agent.MetricNames() {
		mean := r.st.Interval.Sums[name] / float64(max(r.st.Interval.Count, 1))
		row = append(row, formatFloat(mean))
	}
	if res != nil {
		last := r.st.Evals[len(r.st.Evals)-1]
		row = append(row, formatFloat(res.ReturnMean), formatFloat(res.ReturnStd),
			formatFloat(last.NormalizedScore))
	} else {
		row = append(row, "", "", "")
	}
	r.st.Interval = intervalSum{Sums: map[string]float64{}}
	return r.metrics.write(row)
}

// evaluate runs the deterministic evaluation (TD3+BC seeds it with
// seed + 100), records it and calls OnEval.
func (r *run) evaluate(ctx context.Context) (eval.Result, error) {
	res, err := r.evaluateOnly(ctx)
	if err != nil {
		return eval.Result{}, err
	}
	p := EvalPoint{Step: r.st.Step, ReturnMean: res.ReturnMean, ReturnStd: res.ReturnStd,
		NormalizedScore: datasets.NormalizedScore(res.ReturnMean, r.score.refMin, r.score.refMax)}
	r.st.Evals = append(r.st.Evals, p)
	r.log.Info("evaluation", "step", p.Step, "return_mean", p.ReturnMean,
		"normalized_score", p.NormalizedScore)
	return res, nil
}

func (r *run) evaluateOnly(ctx context.Context) (eval.Result, error) {
	newEnv := func() (envs.Env, error) { return registry.Make(r.meta.EnvID) }
	res, err := eval.Run(ctx, newEnv, r.agent, eval.Options{Episodes: r.cfg.EvalEpisodes,
		Seed: r.cfg.Seed + 100, Workers: r.opts.EvalWorkers})
	if err != nil {
		return eval.Result{}, fmt.Errorf("evaluating at step %d: %w", r.st.Step, err)
	}
	return res, nil
}

// checkpoint saves the agent, the generators and the log lengths.
func (r *run) checkpoint() error {
	var err error
	r.st.WallSeconds = r.wallBase + time.Since(r.started).Seconds()
	if r.st.RNG, err = r.rng.marshal(); err != nil {
		return err
	}
	if r.st.MetricsBytes, err = r.metrics.size(); err != nil {
		return err
	}
	if r.st.TimingBytes, err = r.timing.size(); err != nil {
		return err
	}
	return saveCheckpoint(r.dir, r.agent, r.st)
}

// finish writes eval.json and returns the summary.
func (r *run) finish(final eval.Result) (Summary, error) {
	rep := EvalReport{
		SchemaVersion: "1", Algo: r.cfg.Algo, EnvID: r.meta.EnvID, DatasetID: r.meta.DatasetID,
		Step: r.st.Step, Episodes: len(final.Returns), Returns: final.Returns,
		ReturnMean: final.ReturnMean, ReturnStd: final.ReturnStd,
		NormalizedScore:        datasets.NormalizedScore(final.ReturnMean, r.score.refMin, r.score.refMax),
		NormalizedScoreStd:     r.score.scoreStd(final.ReturnStd),
		DatasetNormalizedScore: r.score.datasetScore,
		RefMinScore:            r.score.refMin,
		RefMaxScore:            r.score.refMax,
		RefSource:              r.score.source,
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return Summary{}, err
	}
	if err := atomicfile.WriteFile(filepath.Join(r.dir, "eval.json"),
		append(js, '\n')); err != nil {
		return Summary{}, err
	}
	r.log.Info("finished", "step", r.st.Step, "normalized_score", rep.NormalizedScore,
		"dataset_normalized_score", rep.DatasetNormalizedScore)
	return Summary{RunDir: r.dir, Step: r.st.Step, Final: final, Score: rep.NormalizedScore,
		DatasetScore: rep.DatasetNormalizedScore, History: slices.Clone(r.st.Evals)}, nil
}
