package datasets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"offrl/internal/atomicfile"
)

// progressName is the file in a resumable writer's partial directory that
// records its finished parts.
const progressName = "progress.json"

// progressVersion is the schema_version of progress.json.
const progressVersion = "1"

// PartialDir returns the directory in which a resumable [Writer] for the
// dataset directory path keeps its finished parts until Close:
// "<path>.partial". The name is fixed, so a rerun finds it.
func PartialDir(path string) string { return filepath.Clean(path) + ".partial" }

// Progress is what a resumable [Writer] recorded in progress.json after
// its last finished part: the parts with their SHA-256 and rows, the
// writer's running tallies for the derived metadata, the metadata and
// options it was created with, and the caller's own state. Hand it to
// [WriterOptions.Resume] to continue the dataset.
type Progress struct {
	SchemaVersion string          `json:"schema_version"`
	Options       progressOptions `json:"writer_options"`
	Metadata      Metadata        `json:"metadata"`
	Parts         []shard         `json:"parts"`
	Tally         tallyState      `json:"tally"`
	Cursor        cursorState     `json:"cursor"`
	// State is the caller's state as given to [Writer.EndPart].
	State json.RawMessage `json:"state"`
}

// PartsDone is the number of finished parts.
func (p *Progress) PartsDone() int { return len(p.Parts) }

// RowsDone is the number of rows in the finished parts.
func (p *Progress) RowsDone() int64 { return p.Tally.Rows }

// progressOptions are the writer options that shape the bytes written.
type progressOptions struct {
	RowGroupRows     int  `json:"row_group_rows"`
	PageBytes        int  `json:"page_bytes"`
	CompressionLevel int  `json:"compression_level"`
	PartRows         int  `json:"part_rows"`
	Reproducible     bool `json:"reproducible"`
}

// tallyState is a [tally] in a form that survives JSON exactly
// (encoding/json writes the shortest float64 that reads back the same).
type tallyState struct {
	Rows          int64   `json:"rows"`
	Terminals     int64   `json:"terminals"`
	Timeouts      int64   `json:"timeouts"`
	Episodes      int64   `json:"episodes"`
	InEpisode     bool    `json:"in_episode"`
	CurReturn     float64 `json:"cur_return"`
	CurLen        int64   `json:"cur_len"`
	Pending       bool    `json:"pending"`
	PendingReturn float64 `json:"pending_return"`
	LastLen       int64   `json:"last_len"`
	Complete      int64   `json:"complete"`
	Mean          float64 `json:"mean"`
	M2            float64 `json:"m2"`
	MinRet        float64 `json:"min_return"`
	MaxRet        float64 `json:"max_return"`
}

func (t *tally) state() tallyState {
	return tallyState{t.rows, t.terminals, t.timeouts, t.episodes, t.inEpisode,
		t.curReturn, t.curLen, t.pending, t.pendingReturn, t.lastLen,
		t.complete, t.mean, t.m2, t.minRet, t.maxRet}
}

func (s tallyState) tally() tally {
	return tally{rows: s.Rows, terminals: s.Terminals, timeouts: s.Timeouts,
		episodes: s.Episodes, inEpisode: s.InEpisode, curReturn: s.CurReturn,
		curLen: s.CurLen, pending: s.Pending, pendingReturn: s.PendingReturn,
		lastLen: s.LastLen, complete: s.Complete, mean: s.Mean, m2: s.M2,
		minRet: s.MinRet, maxRet: s.MaxRet}
}

// cursorState is a [cursor] for JSON.
type cursorState struct {
	Started   bool  `json:"started"`
	EpisodeID int32 `json:"episode_id"`
	Step      int32 `json:"step"`
	Terminal  bool  `json:"terminal"`
	Timeout   bool  `json:"timeout"`
}

// ReadProgress reads the progress recorded for the dataset directory path
// in [PartialDir](path). With no such file it returns an error matching
// [fs.ErrNotExist]: there is nothing to resume.
func ReadProgress(path string) (*Progress, error) {
	file := filepath.Join(PartialDir(path), progressName)
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	p, err := parseProgress(b)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	return p, nil
}

// parseProgress decodes progress.json strictly and checks that its parts
// are parts 0, 1, ... with well-formed entries.
func parseProgress(b []byte) (*Progress, error) {
	var p Progress
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, err
	}
	if p.SchemaVersion != progressVersion {
		return nil, fmt.Errorf("schema_version %q, want %q", p.SchemaVersion, progressVersion)
	}
	for i, s := range p.Parts {
		if err := s.check(); err != nil || s.Path != partName(i) {
			return nil, fmt.Errorf("parts[%d] %q is not a well-formed part %d: %v",
				i, s.Path, i, err)
		}
	}
	if p.Tally.Rows < 0 {
		return nil, fmt.Errorf("tally rows %d, want ≥ 0", p.Tally.Rows)
	}
	return &p, nil
}

// PartFull reports whether the current part holds at least
// [WriterOptions.PartRows] rows and its last row ended an episode, so that
// the next episode would start a new part. It is false for file output and
// when PartRows is 0.
func (w *Writer) PartFull() bool {
	return w.dir && w.opts.PartRows > 0 && w.part != nil && w.cur.started &&
		(w.cur.terminal || w.cur.timeout) && w.part.rows >= int64(w.opts.PartRows)
}

// EndPart finishes the current part now; the next Append starts a new one.
// The last row must have ended an episode. For a resumable writer (see
// [WriterOptions.Resumable]) it then records progress.json atomically,
// with state, any JSON value, as the caller's state to resume from.
//
// A part ended this way has tail_truncated = false in its footer, so the
// caller must not end the dataset's last part with EndPart when that part
// ends in a truncated episode; Close then returns an error.
func (w *Writer) EndPart(state json.RawMessage) error {
	switch {
	case w.done:
		return ErrClosed
	case w.err != nil:
		return w.err
	case !w.dir:
		return fmt.Errorf("ending a part of %s: a single-file dataset has one part", w.path)
	case w.part == nil || w.part.rows == 0:
		return fmt.Errorf("ending a part of %s: the current part is empty", w.path)
	case !w.cur.terminal && !w.cur.timeout:
		return fmt.Errorf("ending a part of %s: episode %d has not ended", w.path, w.cur.episodeID)
	}
	if err := w.closePart(false); err != nil {
		return w.fail(err)
	}
	w.part = nil
	if !w.opts.Resumable {
		return nil
	}
	if err := w.saveProgress(state); err != nil {
		return w.fail(err)
	}
	return nil
}

// saveProgress writes progress.json into the partial directory.
func (w *Writer) saveProgress(state json.RawMessage) error {
	o := w.opts
	p := Progress{
		SchemaVersion: progressVersion,
		Options: progressOptions{o.RowGroupRows, o.PageBytes, o.CompressionLevel,
			o.PartRows, o.Reproducible},
		Metadata: w.meta, Parts: w.shards, Tally: w.total.state(),
		Cursor: cursorState{w.cur.started, w.cur.episodeID, w.cur.step,
			w.cur.terminal, w.cur.timeout},
		State: state,
	}
	b, err := json.MarshalIndent(&p, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", progressName, err)
	}
	if err := atomicfile.WriteFile(filepath.Join(w.tmp, progressName), append(b, '\n')); err != nil {
		return err
	}
	w.recorded = len(w.shards)
	return nil
}

// openPartial prepares the partial directory of a resumable writer: a
// fresh one, or, with opts.Resume, the one holding the recorded parts,
// whose bytes are checked against their SHA-256 and from which anything
// written after them (a half-written part) is removed.
func (w *Writer) openPartial() error {
	w.tmp = PartialDir(w.path)
	p := w.opts.Resume
	if p == nil {
		if err := clearPartial(w.tmp, nil); err != nil {
			return err
		}
		if err := os.Mkdir(w.tmp, 0o755); err != nil {
			return err
		}
		return os.Chmod(w.tmp, 0o755)
	}
	if err := w.checkResume(p); err != nil {
		return err
	}
	keep := []string{progressName}
	for _, s := range p.Parts {
		keep = append(keep, s.Path)
		if err := checkPartBytes(filepath.Join(w.tmp, s.Path), s); err != nil {
			return fmt.Errorf("%w; remove %s to start afresh", err, w.tmp)
		}
	}
	if err := clearPartial(w.tmp, keep); err != nil {
		return err
	}
	w.shards = slices.Clone(p.Parts)
	w.total = p.Tally.tally()
	w.total.cuts = cutEnds(w.meta.Sources) // derived from the metadata, not saved
	c := p.Cursor
	w.cur = cursor{c.Started, c.EpisodeID, c.Step, c.Terminal, c.Timeout}
	w.recorded = len(w.shards)
	return nil
}

// checkResume compares the recorded options and metadata with the
// writer's, naming the first that differs.
func (w *Writer) checkResume(p *Progress) error {
	o := w.opts
	now := progressOptions{o.RowGroupRows, o.PageBytes, o.CompressionLevel,
		o.PartRows, o.Reproducible}
	if key, was, is := firstDifference(p.Options, now); key != "" {
		return fmt.Errorf("%w: writer option %s was %s, now %s", ErrResumeMismatch, key, was, is)
	}
	if w.stamped {
		// A stamped creation time is the interrupted run's, not ours.
		w.meta.CreatedAt = p.Metadata.CreatedAt
	}
	if key, was, is := firstDifference(p.Metadata, w.meta); key != "" {
		return fmt.Errorf("%w: metadata %s was %s, now %s", ErrResumeMismatch, key, was, is)
	}
	return nil
}

// ErrResumeMismatch means recorded progress was made with other options or
// metadata than a writer asked to resume it.
var ErrResumeMismatch = errors.New("datasets: the interrupted dataset was written differently")

// firstDifference returns the first top-level JSON key whose value differs
// between a and b, with both values; an empty key when they agree.
func firstDifference(a, b any) (key, va, vb string) {
	var ma, mb map[string]json.RawMessage
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	json.Unmarshal(ja, &ma)
	json.Unmarshal(jb, &mb)
	keys := make([]string, 0, len(ma))
	for k := range ma {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !bytes.Equal(ma[k], mb[k]) {
			return k, string(ma[k]), string(mb[k])
		}
	}
	return "", "", ""
}

// checkPartBytes checks a finished part file against its manifest entry.
func checkPartBytes(path string, s shard) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("finished part %s: %w", s.Path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("finished part %s: %w", s.Path, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != s.Bytes || sum != s.SHA256 {
		return fmt.Errorf("finished part %s: %d bytes with sha256 %s, recorded %d bytes with %s",
			s.Path, n, sum, s.Bytes, s.SHA256)
	}
	return nil
}

// clearPartial removes from dir everything except the names in keep, or
// the whole directory when keep is nil. It refuses to touch a directory
// holding anything a writer could not have put there.
func clearPartial(dir string, keep []string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !ownedByWriter(e) {
			return fmt.Errorf("%s: %w (it holds %s)", dir, ErrNotDataset, e.Name())
		}
	}
	if keep == nil {
		return os.RemoveAll(dir)
	}
	for _, e := range entries {
		if !slices.Contains(keep, e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return syncDir(dir)
}

// ownedByWriter reports whether a partial directory's entry is one a
// resumable writer makes: a part, the manifest, progress.json or its
// temporary file.
func ownedByWriter(e fs.DirEntry) bool {
	name := e.Name()
	part, _ := filepath.Match("part-[0-9][0-9][0-9][0-9][0-9].parquet", name)
	temp := strings.HasPrefix(name, "."+progressName+".tmp-")
	return e.Type().IsRegular() && (part || temp || name == manifestName || name == progressName)
}

// keepProgress is Abort for a resumable writer that has recorded
// progress: it removes what was written after the last finished part and
// keeps the rest for a later run to resume.
func (w *Writer) keepProgress() error {
	keep := []string{progressName}
	for _, s := range w.shards[:w.recorded] {
		keep = append(keep, s.Path)
	}
	return clearPartial(w.tmp, keep)
}
