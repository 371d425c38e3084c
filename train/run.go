// Package train runs training: offline, it loads a dataset into a replay
// buffer; online (SAC), it fills the buffer from the agent's own steps in
// an environment (online.go). Either way it builds the agent, updates it
// for a number of steps, evaluates it on a cadence, writes metrics, and
// keeps a checkpoint from which an interrupted run continues
// bit-identically.
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
	"offrl/agents/a2pr"
	"offrl/agents/iql"
	"offrl/agents/sac"
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
	// normalised score from its metadata (NaN for an online run).
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
	DatasetNormalizedScore *float64  `json:"dataset_normalized_score,omitempty"` // offline only
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
	env     *onlineEnv // the training environment of an online run; nil offline
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
	setup := r.setup
	if cfg.Online() {
		setup = r.setupOnline
	}
	if err := setup(); err != nil {
		return Summary{}, err
	}
	defer r.metrics.close()
	defer r.timing.close()
	if r.env != nil {
		defer r.env.env.Close()
	}
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
	case "a2pr":
		spec := a2pr.Spec{ObsDim: obsDim, ActDim: actDim, MaxAction: maxAction,
			BatchSize: cfg.BatchSize}
		return a2pr.New(cfg.A2PR, spec, init)
	case "sac":
		spec := sac.Spec{ObsDim: obsDim, ActDim: actDim, MaxAction: maxAction,
			BatchSize: cfg.BatchSize}
		return sac.New(cfg.SAC, spec, init)
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
	if r.cfg.Online() {
		r.st.Online = &onlineState{}
	}
	return r.openLogs(-1, -1)
}

// resolvedConfig is config.json: the settings plus what identifies the data.
type resolvedConfig struct {
	SchemaVersion string `json:"schema_version"`
	Config
	EnvID         string  `json:"env_id"`
	DatasetID     string  `json:"dataset_id,omitempty"` // the three dataset keys: offline only
	DatasetRows   int     `json:"dataset_rows,omitempty"`
	DatasetSHA256 string  `json:"dataset_sha256,omitempty"`
	RefMinScore   float64 `json:"ref_min_score"`
	RefMaxScore   float64 `json:"ref_max_score"`
	// DatasetScore is the dataset's own normalised score, for plots;
	// offline only.
	DatasetScore *float64 `json:"dataset_normalized_score,omitempty"`
	Toolkit      string   `json:"toolkit"`
}

func (r *run) resolved() resolvedConfig {
	rc := resolvedConfig{SchemaVersion: "1", Config: r.cfg, EnvID: r.meta.EnvID,
		DatasetID: r.meta.DatasetID, DatasetRows: r.buf.Len(), DatasetSHA256: r.fingerprint,
		RefMinScore: r.score.refMin, RefMaxScore: r.score.refMax, Toolkit: version.Toolkit}
	if !r.cfg.Online() {
		rc.DatasetScore = &r.score.datasetScore
	}
	return rc
}

// restore loads the checkpoint and cuts the logs back to it.
func (r *run) restore() error {
	var loadBuffer func(dir string) error
	if r.cfg.Online() {
		loadBuffer = func(dir string) error { return r.buf.LoadFile(filepath.Join(dir, replayFile)) }
	}
	st, err := loadCheckpoint(r.dir, r.agent, loadBuffer)
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
	if err := r.rng.unmarshal(st.RNG, r.cfg.Online()); err != nil {
		return fmt.Errorf("checkpoint in %s: %w", r.dir, err)
	}
	if st.Interval.Sums == nil {
		st.Interval.Sums = map[string]float64{}
	}
	r.st = st
	if r.cfg.Online() {
		if err := r.resumeEpisode(); err != nil {
			return fmt.Errorf("checkpoint in %s: %w", r.dir, err)
		}
	}
	r.log.Info("resuming", "step", st.Step, "run_dir", r.dir)
	return r.openLogs(st.MetricsBytes, st.TimingBytes)
}

// metricColumns are metrics.csv's columns: the step, the agent's means
// over the interval, for online runs the training episodes that ended in
// it, and the evaluation.
func (r *run) metricColumns() []string {
	cols := append([]string{"step"}, r.agent.MetricNames()...)
	if r.cfg.Online() {
		cols = append(cols, "train_episodes", "train_return_mean")
	}
	return append(cols, "return_mean", "return_std", "normalized_score")
}

func (r *run) openLogs(metricsBytes, timingBytes int64) error {
	var err error
	metricsPath := filepath.Join(r.dir, "metrics.csv")
	if r.metrics, err = openCSV(metricsPath, r.metricColumns(), metricsBytes); err != nil {
		return err
	}
	timingCols := []string{"step", "wall_s", "updates_per_s"}
	if r.cfg.Online() {
		timingCols = []string{"step", "wall_s", "env_steps_per_s"}
	}
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
		step := r.update
		if r.env != nil {
			step = r.onlineStep
		}
		if err := step(batch); err != nil {
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

// update takes one offline step: a minibatch, an agent update, the step
// counter.
func (r *run) update(batch *replay.Batch) error {
	if err := r.learn(batch); err != nil {
		return err
	}
	r.st.Step++
	return nil
}

// learn samples a minibatch, takes one agent update and adds its metrics
// to the current interval.
func (r *run) learn(batch *replay.Batch) error {
	if err := r.buf.Sample(r.rng.Minibatch, batch); err != nil {
		return err
	}
	m, err := r.agent.Update(batch, r.rng.Noise)
	if err != nil {
		return err
	}
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
		if err := r.savePolicySnapshot(); err != nil {
			return nil, err
		}
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

// savePolicySnapshot keeps the policy of every evaluation of an online
// run as policies/step-NNNNNNNN.safetensors: the checkpoints from which
// behaviour policies (medium, expert) are chosen by their scores.
func (r *run) savePolicySnapshot() error {
	ps, ok := r.agent.(interface{ SavePolicy(path string) error })
	if !ok || !r.cfg.Online() {
		return nil
	}
	dir := filepath.Join(r.dir, "policies")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, fmt.Sprintf("step-%08d.safetensors", r.st.Step))
	if err := ps.SavePolicy(path); err != nil {
		return fmt.Errorf("saving the policy of step %d: %w", r.st.Step, err)
	}
	return nil
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
		mean := math.NaN() // no update in the interval (an online warm-up)
		if r.st.Interval.Count > 0 {
			mean = r.st.Interval.Sums[name] / float64(r.st.Interval.Count)
		}
		row = append(row, formatFloat(mean))
	}
	if r.cfg.Online() {
		row = append(row, r.trainEpisodeColumns()...)
	}
	if res != nil {
		last := r.st.Evals[len(r.st.Evals)-1]
		row = append(row, formatFloat(res.ReturnMean), formatFloat(res.ReturnStd),
			formatFloat(last.NormalizedScore))
	} else {
		row = append(row, "", "", "")
	}
	r.st.Interval = intervalSum{Sums: map[string]float64{}}
	if r.st.Online != nil {
		r.st.Online.Interval = episodeSum{}
	}
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
	if r.st.RNG, err = r.rng.marshal(r.cfg.Online()); err != nil {
		return err
	}
	if r.st.MetricsBytes, err = r.metrics.size(); err != nil {
		return err
	}
	if r.st.TimingBytes, err = r.timing.size(); err != nil {
		return err
	}
	var extra func(dir string) error
	if r.cfg.Online() {
		extra = func(dir string) error { return r.buf.SaveFile(filepath.Join(dir, replayFile)) }
	}
	return saveCheckpoint(r.dir, r.agent, r.st, extra)
}

// finish writes eval.json and returns the summary.
func (r *run) finish(final eval.Result) (Summary, error) {
	rep := EvalReport{
		SchemaVersion: "1", Algo: r.cfg.Algo, EnvID: r.meta.EnvID, DatasetID: r.meta.DatasetID,
		Step: r.st.Step, Episodes: len(final.Returns), Returns: final.Returns,
		ReturnMean: final.ReturnMean, ReturnStd: final.ReturnStd,
		NormalizedScore:    datasets.NormalizedScore(final.ReturnMean, r.score.refMin, r.score.refMax),
		NormalizedScoreStd: r.score.scoreStd(final.ReturnStd),
		RefMinScore:        r.score.refMin,
		RefMaxScore:        r.score.refMax,
		RefSource:          r.score.source,
	}
	if !r.cfg.Online() {
		rep.DatasetNormalizedScore = &r.score.datasetScore
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return Summary{}, err
	}
	if err := atomicfile.WriteFile(filepath.Join(r.dir, "eval.json"),
		append(js, '\n')); err != nil {
		return Summary{}, err
	}
	attrs := []any{"step", r.st.Step, "normalized_score", rep.NormalizedScore}
	if rep.DatasetNormalizedScore != nil {
		attrs = append(attrs, "dataset_normalized_score", *rep.DatasetNormalizedScore)
	}
	r.log.Info("finished", attrs...)
	return Summary{RunDir: r.dir, Step: r.st.Step, Final: final, Score: rep.NormalizedScore,
		DatasetScore: r.score.datasetScore, History: slices.Clone(r.st.Evals)}, nil
}
