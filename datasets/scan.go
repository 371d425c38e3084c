package datasets

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Scan reads the dataset at path with default options; see [ScanWith].
func Scan(ctx context.Context, path string, fn func(chunk *Dataset, firstRow int64) error) (Metadata, error) {
	return ScanWith(ctx, path, ReadOptions{}, fn)
}

// ScanWith reads a dataset one row group at a time, so that its memory is
// bounded by the largest row group rather than by the dataset (pitfall
// B26). path is a directory with manifest.json or a single Parquet file,
// as for [ReadWith].
//
// fn receives each row group, in row order, as a *Dataset holding only
// that group's rows (with the state columns when opts.State is set and
// the dataset has them), with the dataset's Meta and dimensions; firstRow is
// the dataset row of the chunk's first row. The chunk and its slices are
// reused for the next row group, so fn must copy what it keeps. An error
// from fn stops the scan and is returned as is.
//
// ScanWith makes every check ReadWith makes (framing, page checksums,
// part sizes and SHA-256 against the manifest, list lengths, finite
// values, row order across row groups and parts, the manifest's rows and
// episode ranges) and its errors read the same, naming the file and the
// row within it. A dataset with a single fault gets the same error from
// both; with several, ScanWith may report one that lies earlier in the
// rows than the one ReadWith reports, and rows passed to fn before a
// fault was found have been checked up to their own row group only.
//
// It returns the dataset's metadata: the manifest's for a directory, the
// footer's for a single file. ctx is checked between row groups.
func ScanWith(
	ctx context.Context, path string, opts ReadOptions, fn func(chunk *Dataset, firstRow int64) error,
) (Metadata, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Metadata{}, fmt.Errorf("reading dataset %s: %w", path, err)
	}
	s := &scanner{ctx: ctx, opts: opts, fn: fn}
	if fi.IsDir() {
		err = s.dir(path)
	} else {
		err = s.single(path)
	}
	if err != nil {
		if e, ok := err.(*callbackError); ok {
			return Metadata{}, e.err
		}
		return Metadata{}, fmt.Errorf("reading dataset %s: %w", path, err)
	}
	return s.chunk.Meta, nil
}

// callbackError carries an error from the caller's function through the
// scan unchanged.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }

// scanner holds the state of one ScanWith call.
type scanner struct {
	ctx   context.Context
	opts  ReadOptions
	fn    func(*Dataset, int64) error
	chunk Dataset // reused for every row group; Meta and dims set once
	rows  int64   // dataset rows passed to fn so far
	cur   cursor  // last row passed, for the row order across chunks
}

// single scans a dataset stored as one Parquet file.
func (s *scanner) single(path string) error {
	name := filepath.Base(path)
	_, _, err := s.part(path, name, false)
	return err
}

// dir scans a dataset directory part by part in manifest order, after
// checking every part's size and SHA-256 against the manifest.
func (s *scanner) dir(dir string) error {
	m, err := readManifest(dir)
	if err != nil {
		return err
	}
	s.chunk = Dataset{Meta: m.Metadata, ObsDim: m.ObsDim, ActDim: m.ActDim}
	if s.opts.State {
		s.chunk.NQ, s.chunk.NV = m.NQ, m.NV
	}
	for _, sh := range m.Shards {
		if err := checkPartFile(filepath.Join(dir, sh.Path), &sh, s.opts.SkipSHA256); err != nil {
			return err
		}
	}
	for _, sh := range m.Shards {
		partMeta, got, err := s.part(filepath.Join(dir, sh.Path), sh.Path, true)
		if err != nil {
			return err
		}
		if err := sameIdentity(m.Metadata, partMeta, sh.Path); err != nil {
			return err
		}
		if got.rows != sh.Rows {
			return errorf(ErrSchema, "%s: %d rows, manifest says %d", sh.Path, got.rows, sh.Rows)
		}
		if int64(got.first) != sh.Episodes[0] || int64(got.last) != sh.Episodes[1] {
			return errorf(ErrSchema, "%s: episodes [%d, %d], manifest says [%d, %d]",
				sh.Path, got.first, got.last, sh.Episodes[0], sh.Episodes[1])
		}
	}
	return nil
}

// partRows is what a part held: its row count and first and last episode.
type partRows struct {
	rows        int64
	first, last int32
}

// part scans one Parquet file row group by row group, passing each to
// s.fn, and returns the file's metadata and what its rows held. inDir
// says the file is a part of a directory, whose Meta comes from the
// manifest.
func (s *scanner) part(path, name string, inDir bool) (_ Metadata, got partRows, err error) {
	inCallback := false
	defer func() {
		if inCallback { // the caller's panic, not the decoder's
			return
		}
		if v := recover(); v != nil {
			err = errorf(ErrCorrupt, "%s: Parquet decoder failed: %v", name, v)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return Metadata{}, got, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Metadata{}, got, err
	}
	pf, err := openParquet(f, fi.Size())
	if err != nil {
		return Metadata{}, got, fmt.Errorf("%s: %w", name, err)
	}
	meta, err := footerMetadata(pf, name)
	if err != nil {
		return Metadata{}, got, err
	}
	d := &s.chunk
	if !inDir {
		d.Meta = meta
	}
	if err := agreeDims(d, &meta, name, s.opts.State); err != nil {
		return Metadata{}, got, err
	}
	specs, err := resolveColumns(pf.Root(), &meta, s.opts.State)
	if err != nil {
		return Metadata{}, got, fmt.Errorf("%s: %w", name, err)
	}
	numRows := pf.NumRows()
	if numRows <= 0 {
		return Metadata{}, got, errorf(ErrEmpty, "%s: footer declares %d rows", name, numRows)
	}

	var base int64 // rows of this file before the current row group
	converted := make([]bool, len(specs))
	for _, group := range pf.RowGroups() {
		if err := s.ctx.Err(); err != nil {
			return Metadata{}, got, err
		}
		want := group.NumRows()
		if want == 0 {
			continue
		}
		d.clear()
		d.reserve(want, fi.Size())
		readers, err := decodeColumns(d, specs, name, s.opts.Strict, group, base)
		if err != nil {
			return Metadata{}, got, err
		}
		for i, c := range readers {
			converted[i] = converted[i] || c.converted
		}
		claim := fmt.Sprintf("the row group starting at row %d says", base)
		if err := checkColumnRows(d, name, want, claim); err != nil {
			return Metadata{}, got, err
		}
		if err := checkRowOrder(d, 0, base, name, &s.cur); err != nil {
			return Metadata{}, got, err
		}
		if base == 0 {
			got.first = d.EpisodeIDs[0]
		}
		got.last = d.EpisodeIDs[d.Len()-1]
		inCallback = true
		if err := s.fn(d, s.rows); err != nil {
			return Metadata{}, got, &callbackError{err}
		}
		inCallback = false
		s.rows += int64(d.Len())
		base += int64(d.Len())
	}
	if base != numRows {
		return Metadata{}, got, errorf(ErrCorrupt, "%s: row groups hold %d rows, the footer says %d",
			name, base, numRows)
	}
	if s.opts.Logger != nil {
		for i, c := range specs {
			if converted[i] {
				s.opts.Logger.Info("converted column to 32 bits while reading",
					"path", path, "column", c.name, "from", c.kind.String())
			}
		}
	}
	got.rows = base
	return meta, got, nil
}

// clear empties d's columns, keeping their memory.
func (d *Dataset) clear() {
	d.EpisodeIDs, d.Steps = d.EpisodeIDs[:0], d.Steps[:0]
	d.Observations, d.Actions = d.Observations[:0], d.Actions[:0]
	d.Rewards, d.NextObservations = d.Rewards[:0], d.NextObservations[:0]
	d.Terminals, d.Timeouts = d.Terminals[:0], d.Timeouts[:0]
	d.Qpos, d.Qvel = d.Qpos[:0], d.Qvel[:0]
}
