package datasets

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/parquet-go/parquet-go"
)

// ReadOptions tunes [ReadWith]. The zero value is what [Read] uses.
type ReadOptions struct {
	// Strict rejects files whose float columns are DOUBLE or whose
	// episode_id/step columns are INT64, with an error wrapping
	// [ErrSchema]. Without it such columns are converted once, while
	// decoding, to float32 and int32; a value that does not fit is an
	// error. The optional qpos and qvel columns are DOUBLE by the layout
	// and never rejected for it (a FLOAT state column, as D4RL stored
	// it, is widened exactly).
	Strict bool

	// SkipSHA256 skips checking each part of a directory dataset against
	// the SHA-256 in its manifest. Sizes and page checksums are still
	// checked. Hashing reads every byte once more; large datasets on
	// trusted storage may skip it.
	SkipSHA256 bool

	// Logger receives a notice for each converted column; nil means
	// silent.
	Logger *slog.Logger

	// State also loads the optional qpos and qvel columns (the simulator
	// state before each step) into Dataset.Qpos and Qvel, checking their
	// lengths and values. They are float64 and, for the MuJoCo tasks,
	// about as large as the observations twice over, so they are loaded
	// only on request: training, which never uses them, leaves this off.
	// Without it the columns are not decoded; their presence is still
	// checked against the metadata's nq and nv.
	State bool
}

// Read loads the dataset at path with default options; see [ReadWith].
func Read(path string) (*Dataset, error) {
	return ReadWith(path, ReadOptions{})
}

// ReadWith loads a whole dataset into memory. path is either a directory
// with manifest.json and its parts, or a single Parquet file.
//
// Columns are decoded page by page into flat slices. Every list must hold
// exactly obs_dim (act_dim) values; when the metadata does not declare the
// dimension (files from other tools) the first row sets it. The 3-level
// LIST encoding with any element name and the legacy 2-level and 1-level
// encodings are accepted; other layouts are an "unsupported list encoding"
// error. Rows must be ordered by (episode_id, step) as [Writer.Append]
// requires, and every value finite.
//
// Errors name the file, and where it applies the column, the row and the
// value: bad framing, a page checksum mismatch or an undecodable page wrap
// [ErrCorrupt]; a missing column, a wrong type or an unsupported encoding
// wrap [ErrSchema]; a bad value or row order is a *[ValidationError].
//
// ReadWith checks the data, not the derived metadata; [Dataset.Validate]
// compares the two.
func ReadWith(path string, opts ReadOptions) (*Dataset, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading dataset %s: %w", path, err)
	}
	var d *Dataset
	if fi.IsDir() {
		d, err = readDir(path, opts)
	} else {
		d, err = readSingle(path, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("reading dataset %s: %w", path, err)
	}
	return d, nil
}

// ReadMetadata returns a dataset's metadata without reading column data:
// the manifest of a directory (with dataset-wide counts) or the footer of
// a single file.
func ReadMetadata(path string) (Metadata, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Metadata{}, fmt.Errorf("reading metadata of %s: %w", path, err)
	}
	if fi.IsDir() {
		m, err := readManifest(path)
		if err != nil {
			return Metadata{}, fmt.Errorf("reading metadata of %s: %w", path, err)
		}
		return m.Metadata, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return Metadata{}, fmt.Errorf("reading metadata of %s: %w", path, err)
	}
	defer f.Close()
	meta, err := readFooterMetadata(f, fi.Size(), filepath.Base(path))
	if err != nil {
		return Metadata{}, fmt.Errorf("reading metadata of %s: %w", path, err)
	}
	return meta, nil
}

// readFooterMetadata opens a Parquet file and decodes its metadata keys.
func readFooterMetadata(r io.ReaderAt, size int64, name string) (Metadata, error) {
	pf, err := openParquet(r, size)
	if err != nil {
		return Metadata{}, fmt.Errorf("%s: %w", name, err)
	}
	return footerMetadata(pf, name)
}

// footerMetadata decodes and checks the metadata keys of an open file.
func footerMetadata(pf *parquet.File, name string) (Metadata, error) {
	meta, err := metadataFromLookup(name, pf.Lookup)
	if err != nil {
		return Metadata{}, err
	}
	if meta.SchemaVersion != "" && meta.SchemaVersion != SchemaVersion {
		return Metadata{}, mark(ErrSchema, &ValidationError{File: name,
			Column: "schema_version", Row: -1,
			Reason: fmt.Sprintf("value %q, want %q", meta.SchemaVersion, SchemaVersion)})
	}
	if meta.ObsDim < 0 || meta.ActDim < 0 || meta.ObsDim > MaxDim || meta.ActDim > MaxDim {
		return Metadata{}, errorf(ErrSchema, "%s: obs_dim %d, act_dim %d, want 0 to %d",
			name, meta.ObsDim, meta.ActDim, MaxDim)
	}
	if meta.NQ < 0 || meta.NV < 0 || meta.NQ > MaxDim || meta.NV > MaxDim ||
		(meta.NQ == 0) != (meta.NV == 0) {
		return Metadata{}, errorf(ErrSchema, "%s: nq %d, nv %d, want both 0 or both 1 to %d",
			name, meta.NQ, meta.NV, MaxDim)
	}
	return meta, nil
}

// readSingle reads a dataset stored as one Parquet file.
func readSingle(path string, opts ReadOptions) (*Dataset, error) {
	d := &Dataset{}
	name := filepath.Base(path)
	meta, err := readPart(path, name, d, 0, opts)
	if err != nil {
		return nil, err
	}
	d.Meta = meta
	var cur cursor
	if err := checkRowOrder(d, 0, 0, name, &cur); err != nil {
		return nil, err
	}
	return d, nil
}

// readDir reads a dataset directory, part by part in manifest order,
// checking each part's size, SHA-256, rows and episode range against the
// manifest and the row order across parts.
func readDir(dir string, opts ReadOptions) (*Dataset, error) {
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Meta: m.Metadata, ObsDim: m.ObsDim, ActDim: m.ActDim}
	if opts.State {
		d.NQ, d.NV = m.NQ, m.NV
	}

	// Check every part before decoding any, so that the sizes used to
	// reserve memory are real, not merely claimed.
	var totalBytes int64
	for _, s := range m.Shards {
		if err := checkPartFile(filepath.Join(dir, s.Path), &s, opts.SkipSHA256); err != nil {
			return nil, err
		}
		totalBytes += s.Bytes
	}
	d.reserve(m.NumTransitions, totalBytes)

	var cur cursor
	for _, s := range m.Shards {
		path := filepath.Join(dir, s.Path)
		start := d.Len()
		partMeta, err := readPart(path, s.Path, d, s.Rows, opts)
		if err != nil {
			return nil, err
		}
		if err := sameIdentity(m.Metadata, partMeta, s.Path); err != nil {
			return nil, err
		}
		if err := checkPartRows(d, start, &s); err != nil {
			return nil, err
		}
		if err := checkRowOrder(d, start, 0, s.Path, &cur); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// checkPartFile compares a part's size and, unless skipped, its SHA-256
// with the manifest.
func checkPartFile(path string, s *shard, skipHash bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() != s.Bytes {
		return errorf(ErrCorrupt, "%s: %d bytes, manifest says %d", s.Path, fi.Size(), s.Bytes)
	}
	if skipHash {
		return nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("hashing %s: %w", s.Path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != s.SHA256 {
		return errorf(ErrCorrupt, "%s: sha256 %s, manifest says %s", s.Path, got, s.SHA256)
	}
	return nil
}

// checkPartRows compares the rows read from a part with its manifest entry.
func checkPartRows(d *Dataset, start int, s *shard) error {
	rows := int64(d.Len() - start)
	if rows != s.Rows {
		return errorf(ErrSchema, "%s: %d rows, manifest says %d", s.Path, rows, s.Rows)
	}
	first, last := int64(d.EpisodeIDs[start]), int64(d.EpisodeIDs[d.Len()-1])
	if first != s.Episodes[0] || last != s.Episodes[1] {
		return errorf(ErrSchema, "%s: episodes [%d, %d], manifest says [%d, %d]",
			s.Path, first, last, s.Episodes[0], s.Episodes[1])
	}
	return nil
}

// reserve grows d's columns so that n more rows fit without reallocation,
// as far as fileBytes of Parquet can plausibly hold: row counts and
// dimensions come from the files, and a damaged count must not make the
// reader allocate memory the data cannot fill. Columns still grow past the
// reservation when the data is that compressible.
func (d *Dataset) reserve(n, fileBytes int64) {
	limit := 16 * fileBytes // values; zstd rarely shrinks real data 64-fold
	n = min(n, limit)
	if n <= 0 {
		return
	}
	d.EpisodeIDs = grow(d.EpisodeIDs, n)
	d.Steps = grow(d.Steps, n)
	d.Observations = grow(d.Observations, min(n*int64(d.ObsDim), limit))
	d.Actions = grow(d.Actions, min(n*int64(d.ActDim), limit))
	d.Rewards = grow(d.Rewards, n)
	d.NextObservations = grow(d.NextObservations, min(n*int64(d.ObsDim), limit))
	d.Terminals = grow(d.Terminals, n)
	d.Timeouts = grow(d.Timeouts, n)
	if d.NQ > 0 {
		d.Qpos = grow(d.Qpos, min(n*int64(d.NQ), limit))
		d.Qvel = grow(d.Qvel, min(n*int64(d.NV), limit))
	}
}

// grow returns s with room for n more elements.
func grow[T any](s []T, n int64) []T {
	if n <= 0 || int64(cap(s)-len(s)) >= n {
		return s
	}
	out := make([]T, len(s), int64(len(s))+n)
	copy(out, s)
	return out
}

// readPart decodes one Parquet file and appends its rows to d. If d's
// dimensions are set the file must agree with them; otherwise they come
// from the file's metadata or, failing that, its first row. rowsHint, when
// positive, is the expected row count (from a manifest).
func readPart(path, name string, d *Dataset, rowsHint int64, opts ReadOptions) (_ Metadata, err error) {
	// parquet-go panics on some malformed schemas (a MAP annotation on a
	// leaf, for one); those are bad files, not bugs of the caller.
	defer func() {
		if v := recover(); v != nil {
			err = errorf(ErrCorrupt, "%s: Parquet decoder failed: %v", name, v)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return Metadata{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Metadata{}, err
	}
	pf, err := openParquet(f, fi.Size())
	if err != nil {
		return Metadata{}, fmt.Errorf("%s: %w", name, err)
	}
	meta, err := footerMetadata(pf, name)
	if err != nil {
		return Metadata{}, err
	}
	if err := agreeDims(d, &meta, name, opts.State); err != nil {
		return Metadata{}, err
	}
	specs, err := resolveColumns(pf.Root(), &meta, opts.State)
	if err != nil {
		return Metadata{}, fmt.Errorf("%s: %w", name, err)
	}

	numRows := pf.NumRows()
	if numRows <= 0 {
		return Metadata{}, errorf(ErrEmpty, "%s: footer declares %d rows", name, numRows)
	}
	if rowsHint <= 0 {
		d.reserve(numRows, fi.Size())
	}
	start := int64(d.Len())
	readers, err := decodeColumns(d, specs, name, opts.Strict, nil, 0)
	if err != nil {
		return Metadata{}, err
	}
	if err := checkColumnRows(d, name, start+numRows, "the footer says"); err != nil {
		return Metadata{}, err
	}
	if opts.Logger != nil {
		for _, c := range readers {
			if c.converted {
				opts.Logger.Info("converted column to 32 bits while reading",
					"path", path, "column", c.spec.name, "from", c.spec.kind.String())
			}
		}
	}
	return meta, nil
}

// agreeDims settles the dimensions d is read with: those already in d,
// else the file's declared ones. A disagreement is an error; zero means
// "learn from the first row". state says the state columns are loaded,
// so nq and nv count too.
func agreeDims(d *Dataset, meta *Metadata, name string, state bool) error {
	type dim struct {
		key  string
		have *int
		file int
	}
	dims := []dim{{"obs_dim", &d.ObsDim, meta.ObsDim}, {"act_dim", &d.ActDim, meta.ActDim}}
	if state {
		dims = append(dims, dim{"nq", &d.NQ, meta.NQ}, dim{"nv", &d.NV, meta.NV})
	}
	for _, x := range dims {
		switch {
		case *x.have == 0:
			*x.have = x.file
		case x.file != 0 && x.file != *x.have:
			return mark(ErrSchema, &ValidationError{File: name, Column: x.key, Row: -1,
				Reason: fmt.Sprintf("value %d, but the dataset has %d", x.file, *x.have)})
		}
	}
	return nil
}

// resolveColumns finds the eight columns of the layout and, with state,
// the qpos and qvel columns when the file has them (specs 8 and 9). The
// state columns come both or neither, and must be there when meta
// declares nq and nv, whether or not they are loaded.
func resolveColumns(root *parquet.Column, meta *Metadata, state bool) ([]columnSpec, error) {
	want := []struct {
		name  string
		list  bool
		kinds []parquet.Kind
	}{
		{colEpisodeID, false, []parquet.Kind{parquet.Int32, parquet.Int64}},
		{colStep, false, []parquet.Kind{parquet.Int32, parquet.Int64}},
		{colObs, true, []parquet.Kind{parquet.Float, parquet.Double}},
		{colActions, true, []parquet.Kind{parquet.Float, parquet.Double}},
		{colRewards, false, []parquet.Kind{parquet.Float, parquet.Double}},
		{colNextObs, true, []parquet.Kind{parquet.Float, parquet.Double}},
		{colTerminals, false, []parquet.Kind{parquet.Boolean}},
		{colTimeouts, false, []parquet.Kind{parquet.Boolean}},
	}
	specs := make([]columnSpec, len(want))
	for i, w := range want {
		s, err := resolveColumn(root, w.name, w.list, w.kinds...)
		if err != nil {
			return nil, err
		}
		specs[i] = s
	}
	hasQpos, hasQvel := root.Column(colQpos) != nil, root.Column(colQvel) != nil
	switch {
	case hasQpos != hasQvel:
		have, lack := colQpos, colQvel
		if hasQvel {
			have, lack = colQvel, colQpos
		}
		return nil, errorf(ErrSchema, "column %q is present but %q is missing; "+
			"the state columns come together", have, lack)
	case !hasQpos && meta.NQ > 0:
		return nil, errorf(ErrSchema, "column %q is missing, but the metadata declares nq %d, nv %d",
			colQpos, meta.NQ, meta.NV)
	case !hasQpos || !state:
		return specs, nil
	}
	for _, name := range []string{colQpos, colQvel} {
		s, err := resolveColumn(root, name, true, parquet.Double, parquet.Float)
		if err != nil {
			return nil, err
		}
		specs = append(specs, s)
	}
	return specs, nil
}

// decodeColumns decodes the eight columns (ten with the state columns)
// concurrently, each appending to
// its own column of d, and returns the first error in column order. With
// group nil it decodes the whole file; otherwise only that row group,
// whose first row is row base of the file (rows in errors count from the
// file's first row either way).
func decodeColumns(
	d *Dataset, specs []columnSpec, name string, strict bool, group parquet.RowGroup, base int64,
) ([]*columnReader, error) {
	readers := make([]*columnReader, len(specs))
	for i, s := range specs {
		readers[i] = &columnReader{file: name, spec: s, strict: strict, row: base}
		if group != nil {
			readers[i].chunk = group.ColumnChunks()[s.leaf.Index()]
		}
	}
	list := func(c *columnReader, dst *[]float32, dim *int, key string) func() error {
		return func() error {
			a := &listAssembler{file: name, column: c.spec.name, dimKey: key, dim: *dim, base: base,
				maxDef: c.spec.maxDef, emptyDef: c.spec.emptyDef, row: -1, out: *dst}
			err := c.readList(a)
			*dst = a.out
			if err == nil && *dim == 0 {
				*dim = a.dim
			}
			return err
		}
	}
	// The two observation columns share obs_dim; next_observations is
	// decoded after observations so that both use the same learnt value.
	obsDim := d.ObsDim
	jobs := []func() error{
		func() (err error) { d.EpisodeIDs, err = readers[0].readInt32(d.EpisodeIDs); return err },
		func() error {
			if len(readers) < 10 {
				return nil
			}
			if err := readState(readers[8], &d.Qpos, &d.NQ, "nq", base); err != nil {
				return err
			}
			return readState(readers[9], &d.Qvel, &d.NV, "nv", base)
		},
		func() (err error) { d.Steps, err = readers[1].readInt32(d.Steps); return err },
		func() error {
			if err := list(readers[2], &d.Observations, &obsDim, "obs_dim")(); err != nil {
				return err
			}
			return list(readers[5], &d.NextObservations, &obsDim, "obs_dim")()
		},
		list(readers[3], &d.Actions, &d.ActDim, "act_dim"),
		func() (err error) { d.Rewards, err = readers[4].readFloat32(d.Rewards); return err },
		func() (err error) { d.Terminals, err = readers[6].readBool(d.Terminals); return err },
		func() (err error) { d.Timeouts, err = readers[7].readBool(d.Timeouts); return err },
	}
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Go(func() { errs[i] = job() })
	}
	wg.Wait()
	d.ObsDim = obsDim
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return readers, nil
}

// checkColumnRows checks that every column of d holds want rows, where
// want counts the rows before this file (or row group) plus those its
// footer declares; claim names that source in the message.
func checkColumnRows(d *Dataset, name string, want int64, claim string) error {
	if d.ObsDim < 1 || d.ActDim < 1 {
		return errorf(ErrEmpty, "%s: no rows to learn obs_dim and act_dim from", name)
	}
	cols := []struct {
		name     string
		got, dim int
	}{
		{colEpisodeID, len(d.EpisodeIDs), 1},
		{colStep, len(d.Steps), 1},
		{colObs, len(d.Observations), d.ObsDim},
		{colActions, len(d.Actions), d.ActDim},
		{colRewards, len(d.Rewards), 1},
		{colNextObs, len(d.NextObservations), d.ObsDim},
		{colTerminals, len(d.Terminals), 1},
		{colTimeouts, len(d.Timeouts), 1},
	}
	if d.NQ > 0 {
		cols = append(cols, struct {
			name     string
			got, dim int
		}{colQpos, len(d.Qpos), d.NQ}, struct {
			name     string
			got, dim int
		}{colQvel, len(d.Qvel), d.NV})
	}
	for _, c := range cols {
		if int64(c.got) != want*int64(c.dim) {
			return errorf(ErrCorrupt, "%s: column %q has %d rows, %s %d",
				name, c.name, c.got/c.dim, claim, want)
		}
	}
	return nil
}

// sameIdentity checks that a part's footer agrees with the manifest on
// the dataset's name and kind and on every key that says what the data is
// and how it is scored (see meaningDiff), so that an edited manifest
// cannot silently change a dataset's meaning or score.
func sameIdentity(manifest, part Metadata, name string) error {
	key, inManifest, inFooter := meaningDiff(&manifest, &part)
	switch {
	case manifest.DatasetID != part.DatasetID:
		key, inManifest, inFooter = "dataset_id", manifest.DatasetID, part.DatasetID
	case manifest.DatasetKind != part.DatasetKind:
		key, inManifest, inFooter = "dataset_kind", manifest.DatasetKind, part.DatasetKind
	}
	if key == "" {
		return nil
	}
	return mark(ErrCorrupt, &ValidationError{File: name, Column: key, Row: -1,
		Reason: fmt.Sprintf("footer says %v, manifest.json says %v", inFooter, inManifest)})
}
