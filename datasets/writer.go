package datasets

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Defaults of [WriterOptions].
const (
	DefaultRowGroupRows     = 100_000
	DefaultPageBytes        = 1 << 20
	DefaultCompressionLevel = 3
)

// batchRows is how many rows the writer gathers before handing them to the
// Parquet encoder; it bounds the copy buffers, not the row groups.
const batchRows = 1024

// WriterOptions tunes how a [Writer] lays out its files. The zero value
// gives the defaults of specs/datasets.md §5.4.
type WriterOptions struct {
	// RowGroupRows is the number of rows per row group; 0 means
	// [DefaultRowGroupRows]. The writer holds at most one row group in
	// memory, compressed.
	RowGroupRows int

	// PageBytes is the target size of a data page before compression; 0
	// means [DefaultPageBytes]. Pages end on row boundaries, so a page can
	// exceed it by up to 64 rows.
	PageBytes int

	// CompressionLevel is the Zstandard level, 1 (fastest) to 22; 0 means
	// [DefaultCompressionLevel].
	CompressionLevel int

	// Overwrite allows replacing an existing file or directory at the
	// destination. Without it, NewWriter and Close return [ErrExists].
	Overwrite bool

	// PartRows applies to directory output only: once a part holds at
	// least PartRows rows, the next episode starts a new part, so a part
	// never splits an episode. 0 means one part for the whole dataset.
	PartRows int

	// Reproducible leaves an empty created_at empty instead of stamping
	// the current time, so that equal inputs give byte-identical files.
	Reproducible bool

	// Resumable applies to directory output only (a single file ignores
	// it): the parts are written into [PartialDir] instead of a randomly
	// named temporary directory, and each [Writer.EndPart] records
	// progress.json there, so that a process that dies or is interrupted
	// loses at most the part it was writing. Abort then keeps the finished
	// parts; Close removes progress.json and publishes as usual. Parts
	// must be ended with EndPart: a part that Append starts by itself is
	// not recorded.
	Resumable bool

	// Resume, with Resumable, continues the dataset recorded in Resume
	// (see [ReadProgress]) instead of starting afresh: the finished parts
	// are checked against their SHA-256, anything written after them is
	// removed, and the tallies and episode cursor are restored, so that
	// the result is byte-identical to an uninterrupted run. The metadata
	// and byte-shaping options must equal the recorded ones, or NewWriter
	// returns [ErrResumeMismatch] naming the first difference.
	Resume *Progress
}

// Transition is one row handed to a [Writer]. Append copies the slices, so
// the caller may reuse them.
//
// Qpos and Qvel are the simulator state before the step (the parts of
// envs.StateSetter.State for an environment with envs.StateLayout). They
// are required, NQ and NV long, when the metadata sets nq and nv, and must
// be nil otherwise.
type Transition struct {
	EpisodeID, Step      int32
	Obs, Action, NextObs []float32
	Reward               float32
	Terminal, Timeout    bool
	Qpos, Qvel           []float64
}

// Writer streams transitions into a dataset at a path. A path ending in
// ".parquet" gives one self-contained file with the metadata in its footer;
// any other path gives a directory with manifest.json and
// part-NNNNN.parquet files, each footer carrying the metadata too.
//
// Everything is written under a temporary name in the destination's
// directory (a "<name>.tmp-*" file or directory), synced, and renamed into
// place by Close, so the final name only ever holds a complete dataset.
// A process that dies before Close leaves only the temporary name behind.
// A resumable writer (see [WriterOptions.Resumable]) uses the fixed name
// [PartialDir] instead, so that a rerun can continue from it.
//
// A Writer is not safe for concurrent use.
type Writer struct {
	path string // final destination
	dir  bool   // directory output
	tmp  string // temporary file or directory
	meta Metadata
	opts WriterOptions

	part   *partWriter
	shards []shard
	total  tally
	cur    cursor

	err  error // sticky I/O or encoding failure; the writer is then broken
	done bool  // Close or Abort was called

	stamped  bool // created_at was set to the current time by NewWriter
	recorded int  // finished parts recorded in progress.json (resumable)
}

// cursor remembers the previous row, for the contiguity checks.
type cursor struct {
	started   bool
	episodeID int32
	step      int32
	terminal  bool
	timeout   bool
}

// NewWriter starts writing a dataset at path, described by meta. It
// checks meta (dimensions ≥ 1, a well-formed dataset ID, finite numbers,
// valid JSON in the raw fields), refuses an existing destination unless
// opts.Overwrite is set, and creates the temporary output.
//
// The derived fields of meta (counts, return statistics, normalized score,
// tail_open) are ignored here and computed by Close; created_at is filled
// with the current UTC time when empty, unless opts.Reproducible is set.
func NewWriter(path string, meta Metadata, opts WriterOptions) (*Writer, error) {
	path = filepath.Clean(path)
	opts, err := resolveOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("creating dataset %s: %w", path, err)
	}
	if err := validateMetadata(filepath.Base(path), &meta); err != nil {
		return nil, fmt.Errorf("creating dataset %s: %w", path, err)
	}
	if meta.SchemaVersion == "" {
		meta.SchemaVersion = SchemaVersion
	}
	stamped := meta.CreatedAt == "" && !opts.Reproducible
	if stamped {
		meta.CreatedAt = time.Now().UTC().Format(time.RFC3339)
	}
	if meta.CreatedBy == "" {
		meta.CreatedBy = "offrl"
	}
	// The Writer keeps meta until Close; its slices must not change under it.
	meta.ActionLow, meta.ActionHigh = slices.Clone(meta.ActionLow), slices.Clone(meta.ActionHigh)
	meta.Sources = slices.Clone(meta.Sources)
	meta.EnvVersion, meta.BehaviourPolicy = slices.Clone(meta.EnvVersion), slices.Clone(meta.BehaviourPolicy)
	meta.Seed = slices.Clone(meta.Seed)

	w := &Writer{path: path, dir: !strings.HasSuffix(path, ".parquet"), meta: meta, opts: opts,
		stamped: stamped}
	w.total.cuts = cutEnds(meta.Sources)
	w.opts.Resumable = opts.Resumable && w.dir
	if !w.opts.Resumable {
		w.opts.Resume = nil
	}
	if !opts.Overwrite {
		if _, err := os.Lstat(path); err == nil {
			return nil, fmt.Errorf("creating dataset %s: %w (pass --overwrite to replace it)", path, ErrExists)
		}
	} else if err := checkReplaceable(path, w.dir); err != nil {
		return nil, fmt.Errorf("creating dataset: %w", err)
	}
	if err := w.createTemp(); err != nil {
		return nil, fmt.Errorf("creating dataset %s: %w", path, err)
	}
	if w.opts.Resume != nil {
		return w, nil // the next part opens with the next row
	}
	if err := w.openPart(); err != nil {
		return nil, errors.Join(fmt.Errorf("creating dataset %s: %w", path, err), w.Abort())
	}
	return w, nil
}

// resolveOptions fills defaults and rejects out-of-range values.
func resolveOptions(o WriterOptions) (WriterOptions, error) {
	if o.RowGroupRows == 0 {
		o.RowGroupRows = DefaultRowGroupRows
	}
	if o.PageBytes == 0 {
		o.PageBytes = DefaultPageBytes
	}
	if o.CompressionLevel == 0 {
		o.CompressionLevel = DefaultCompressionLevel
	}
	switch {
	case o.RowGroupRows < 1:
		return o, fmt.Errorf("writer option RowGroupRows = %d, must be ≥ 1", o.RowGroupRows)
	case o.PageBytes < 1:
		return o, fmt.Errorf("writer option PageBytes = %d, must be ≥ 1", o.PageBytes)
	case o.CompressionLevel < 1 || o.CompressionLevel > 22:
		return o, fmt.Errorf("writer option CompressionLevel = %d, must be in [1, 22]",
			o.CompressionLevel)
	case o.PartRows < 0:
		return o, fmt.Errorf("writer option PartRows = %d, must be ≥ 0", o.PartRows)
	}
	return o, nil
}

// createTemp makes the temporary file or directory beside the destination.
func (w *Writer) createTemp() error {
	if w.opts.Resumable {
		return w.openPartial()
	}
	parent, base := filepath.Split(w.path)
	if parent == "" {
		parent = "."
	}
	if w.dir {
		tmp, err := os.MkdirTemp(parent, base+".tmp-*")
		if err != nil {
			return err
		}
		w.tmp = tmp
		return os.Chmod(tmp, 0o755)
	}
	f, err := os.CreateTemp(parent, base+".tmp-*")
	if err != nil {
		return err
	}
	w.tmp = f.Name()
	return f.Close()
}

// openPart starts the next part file.
func (w *Writer) openPart() error {
	name, path := filepath.Base(w.path), w.tmp
	if w.dir {
		name = partName(len(w.shards))
		path = filepath.Join(w.tmp, name)
	}
	p, err := newPartWriter(path, name, w.meta.ObsDim, w.meta.ActDim, w.meta.NQ, w.meta.NV, w.opts)
	if err != nil {
		return err
	}
	p.tally.cuts, p.tally.base = w.total.cuts, w.total.rows
	w.part = p
	return nil
}

// partName returns the file name of part i.
func partName(i int) string { return fmt.Sprintf("part-%05d.parquet", i) }

// Append validates t and adds it as the next row. The checks are: vector
// lengths equal ObsDim/ActDim (and Qpos/Qvel lengths NQ/NV when the
// metadata sets them; without them Qpos and Qvel must be nil); every value
// finite; the first row has step
// 0; within an episode episode_id repeats and step grows by 1; a new
// episode (episode_id + 1, step 0) starts only after a row with Terminal
// or Timeout set.
//
// A row that fails a check is a *[ValidationError] naming the column, the
// row and the value; it is not written and the Writer stays usable. Any
// other error (I/O, encoding) breaks the Writer: later calls return it and
// Close aborts.
func (w *Writer) Append(t Transition) error {
	if w.done {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}

	// A new part starts only where an episode starts, so parts never
	// split an episode. After EndPart there is no current part yet.
	rotate := w.PartFull()
	file, row := partName(len(w.shards)), int64(0)
	switch {
	case rotate:
		file = partName(len(w.shards) + 1)
	case w.part != nil:
		file, row = w.part.name, w.part.rows
	}
	if err := w.check(&t, file, row); err != nil {
		return err
	}
	if rotate {
		if err := w.closePart(false); err != nil {
			return w.fail(err)
		}
		w.part = nil
	}
	if w.part == nil {
		if err := w.openPart(); err != nil {
			return w.fail(err)
		}
	}

	if err := w.part.add(&t); err != nil {
		return w.fail(err)
	}
	w.total.add(t.Reward, t.Terminal, t.Timeout)
	w.cur = cursor{started: true, episodeID: t.EpisodeID, step: t.Step,
		terminal: t.Terminal, timeout: t.Timeout}
	return nil
}

// fail records a fatal error and returns it.
func (w *Writer) fail(err error) error {
	w.err = fmt.Errorf("writing dataset %s: %w", w.path, err)
	return w.err
}

// check validates one row against the dimensions, finiteness and the
// episode contiguity rules.
func (w *Writer) check(t *Transition, file string, row int64) error {
	bad := func(column, reason string, args ...any) error {
		return &ValidationError{File: file, Column: column, Row: row,
			Reason: fmt.Sprintf(reason, args...)}
	}
	vectors := []struct {
		column string
		values []float32
		want   int
		dim    string
	}{
		{"observations", t.Obs, w.meta.ObsDim, "obs_dim"},
		{"actions", t.Action, w.meta.ActDim, "act_dim"},
		{"next_observations", t.NextObs, w.meta.ObsDim, "obs_dim"},
	}
	for _, v := range vectors {
		if len(v.values) != v.want {
			return bad(v.column, "list length %d, want %s %d", len(v.values), v.dim, v.want)
		}
		for j, x := range v.values {
			if !finite32(x) {
				return bad(v.column, "element %d: value %v, want a finite float32", j, x)
			}
		}
	}
	if !finite32(t.Reward) {
		return bad("rewards", "value %v, want a finite float32", t.Reward)
	}
	states := []struct {
		column string
		values []float64
		want   int
		dim    string
	}{{colQpos, t.Qpos, w.meta.NQ, "nq"}, {colQvel, t.Qvel, w.meta.NV, "nv"}}
	for _, v := range states {
		if w.meta.NQ == 0 && v.values != nil {
			return bad(v.column, "%d values given, but the dataset's metadata has no nq and nv "+
				"(set them to store the simulator state)", len(v.values))
		}
		if len(v.values) != v.want {
			return bad(v.column, "list length %d, want %s %d", len(v.values), v.dim, v.want)
		}
		for j, x := range v.values {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return bad(v.column, "element %d: value %v, want a finite float64", j, x)
			}
		}
	}
	return w.checkOrder(t, bad)
}

// checkOrder applies the row-order rules of [sequenceProblem].
func (w *Writer) checkOrder(t *Transition, bad func(string, string, ...any) error) error {
	if col, reason := sequenceProblem(w.cur, t.EpisodeID, t.Step); col != "" {
		return bad(col, "%s", reason)
	}
	return nil
}

// finite32 reports whether x is neither NaN nor ±Inf: its exponent bits
// are not all ones.
func finite32(x float32) bool {
	return math.Float32bits(x)&0x7f800000 != 0x7f800000
}

// Close flushes the last rows, computes the derived metadata (counts,
// return statistics over complete episodes, normalized score, tail flags),
// writes the footers and, for a directory, manifest.json, syncs
// everything and renames it into place.
//
// tail_truncated is true when the caller set it or when the last episode
// ends in a timeout after fewer than max_episode_steps rows (a time-limit
// dataset whose budget cut the last episode). Such an episode does not
// count as complete for the return statistics; neither does an open tail.
//
// Close on a Writer without rows returns [ErrEmpty]. Whenever Close fails
// it removes the temporary output, so nothing is left under either name.
// A second Close returns [ErrClosed].
func (w *Writer) Close() (err error) {
	if w.done {
		return ErrClosed
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, w.Abort())
		}
		w.done = true
	}()
	if w.err != nil {
		return w.err
	}
	if w.total.rows == 0 {
		return fmt.Errorf("closing dataset %s: %w", w.path, ErrEmpty)
	}

	truncated, err := w.tailTruncated()
	if err != nil {
		return fmt.Errorf("closing dataset %s: %w", w.path, err)
	}
	w.meta.TailTruncated = truncated
	w.total.finish(truncated)
	w.total.fill(&w.meta)
	if w.part == nil && truncated {
		return fmt.Errorf("closing dataset %s: the last part was ended by EndPart, "+
			"but the dataset's last episode is truncated", w.path)
	}
	if w.part != nil {
		if err := w.closePart(truncated); err != nil {
			return fmt.Errorf("closing dataset %s: %w", w.path, err)
		}
	}
	if err := w.publish(); err != nil {
		return fmt.Errorf("closing dataset %s: %w", w.path, err)
	}
	w.tmp = "" // published: nothing left for Abort to remove
	return nil
}

// tailTruncated decides the tail_truncated flag (see Close).
func (w *Writer) tailTruncated() (bool, error) {
	if w.meta.TailTruncated && !w.cur.timeout {
		return false, &ValidationError{File: w.part.name, Column: "timeouts", Row: w.part.rows - 1,
			Reason: "value false on the last row, but tail_truncated is set; want true"}
	}
	derived := w.cur.timeout && !w.cur.terminal &&
		w.meta.MaxEpisodeSteps > 0 && w.total.lastLen < int64(w.meta.MaxEpisodeSteps) &&
		w.meta.TimeoutsMeaning != TimeoutsGoalSwitch
	return w.meta.TailTruncated || derived, nil
}

// closePart finishes the current part: its footer carries the dataset's
// metadata with this part's counts and return statistics. truncated is the
// part's tail_truncated flag: the dataset's for the last part, false for
// the others, which end where an episode ends.
func (w *Writer) closePart(truncated bool) error {
	p := w.part
	p.tally.finish(truncated)
	meta := w.meta
	p.tally.fill(&meta)
	meta.TailTruncated = truncated
	s, err := p.close(meta)
	if err != nil {
		return err
	}
	w.shards = append(w.shards, s)
	return nil
}

// publish moves the finished output to its final name.
func (w *Writer) publish() error {
	if !w.dir {
		return publishFile(w.tmp, w.path, w.opts.Overwrite)
	}
	if w.opts.Resumable {
		// Nothing left to resume: the dataset is complete.
		err := os.Remove(filepath.Join(w.tmp, progressName))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	m := manifest{Metadata: w.meta, Shards: w.shards}
	if err := writeManifest(filepath.Join(w.tmp, manifestName), &m); err != nil {
		return err
	}
	if err := syncDir(w.tmp); err != nil {
		return err
	}
	return publishDir(w.tmp, w.path, w.opts.Overwrite)
}

// Abort stops writing and removes the temporary output; nothing is left
// under the final name (an existing dataset there is untouched). A
// resumable writer that has recorded progress keeps its finished parts and
// progress.json in [PartialDir] and removes only the part in progress, so
// that a later run can resume. Abort after Close or Abort does nothing and
// returns nil.
func (w *Writer) Abort() error {
	if w.tmp == "" {
		return nil
	}
	var errs []error
	if w.part != nil {
		errs = append(errs, w.part.abort())
		w.part = nil
	}
	if w.opts.Resumable && w.recorded > 0 {
		errs = append(errs, w.keepProgress())
	} else if err := os.RemoveAll(w.tmp); err != nil {
		errs = append(errs, fmt.Errorf("removing temporary %s: %w", w.tmp, err))
	}
	w.tmp = ""
	w.done = true
	return errors.Join(errs...)
}

// Write writes d to path with default options, using d.Meta as the
// metadata; see [WriteWith].
func Write(path string, d *Dataset) error {
	return WriteWith(path, d, WriterOptions{})
}

// WriteWith writes d to path through a [Writer] with the given options.
// d.Meta.ObsDim and ActDim default to d.ObsDim and d.ActDim; if both are set
// they must agree. Likewise nq and nv: the state columns are written when
// d holds them. Column lengths must match d.Len(). On any error nothing
// is left at path.
func WriteWith(path string, d *Dataset, opts WriterOptions) error {
	meta := d.Meta
	if meta.ObsDim == 0 {
		meta.ObsDim = d.ObsDim
	}
	if meta.ActDim == 0 {
		meta.ActDim = d.ActDim
	}
	if meta.ObsDim != d.ObsDim || meta.ActDim != d.ActDim {
		return fmt.Errorf("writing dataset %s: "+
			"Meta has obs_dim %d, act_dim %d but the Dataset %d, %d",
			path, meta.ObsDim, meta.ActDim, d.ObsDim, d.ActDim)
	}
	if meta.NQ == 0 && meta.NV == 0 {
		meta.NQ, meta.NV = d.NQ, d.NV
	}
	if meta.NQ != d.NQ || meta.NV != d.NV {
		hint := ""
		if d.NQ == 0 {
			hint = " (was it read without ReadOptions.State?)"
		}
		return fmt.Errorf("writing dataset %s: "+
			"Meta has nq %d, nv %d but the Dataset %d, %d%s",
			path, meta.NQ, meta.NV, d.NQ, d.NV, hint)
	}
	if err := checkColumnLengths(d); err != nil {
		return fmt.Errorf("writing dataset %s: %w", path, err)
	}

	w, err := NewWriter(path, meta, opts)
	if err != nil {
		return err
	}
	for i := range d.Len() {
		if err := w.Append(d.transition(i)); err != nil {
			return errors.Join(fmt.Errorf("writing dataset %s: %w", path, err), w.Abort())
		}
	}
	return w.Close()
}

// checkColumnLengths checks that every column of d has d.Len() rows.
func checkColumnLengths(d *Dataset) error {
	n := d.Len()
	cols := []struct {
		name      string
		got, want int
	}{
		{"episode_id", len(d.EpisodeIDs), n},
		{"step", len(d.Steps), n},
		{"observations", len(d.Observations), n * d.ObsDim},
		{"actions", len(d.Actions), n * d.ActDim},
		{"next_observations", len(d.NextObservations), n * d.ObsDim},
		{"terminals", len(d.Terminals), n},
		{"timeouts", len(d.Timeouts), n},
		{"qpos", len(d.Qpos), n * d.NQ},
		{"qvel", len(d.Qvel), n * d.NV},
	}
	for _, c := range cols {
		if c.got != c.want {
			return fmt.Errorf("column %q holds %d values, want %d for %d rows",
				c.name, c.got, c.want, n)
		}
	}
	return nil
}
