package datasets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// MergeOptions says what a merged dataset is called and how it is written.
type MergeOptions struct {
	// DatasetID and Kind become dataset_id and dataset_kind of the merged
	// dataset; both may be empty, and when both are set the ID's kind must
	// be Kind (e.g. "hopper-medium-expert-v0", "medium-expert").
	DatasetID, Kind string

	// Command is recorded as the metadata key command.
	Command string

	// CreatedAt and CreatedBy, when not empty, are recorded as created_at
	// and created_by; empty ones get the [NewWriter] defaults.
	CreatedAt, CreatedBy string

	// Writer lays out the output, as for [NewWriter].
	Writer WriterOptions
}

// cancelCheckRows is how often, in rows, Merge checks its context.
const cancelCheckRows = 4096

// Merge concatenates the datasets at sources (each a directory or a
// .parquet file) in the given order into a new dataset at out and returns
// the metadata written.
//
// Sources are read one at a time and streamed through a [Writer], so
// memory holds at most one source. Every row, with its qpos and qvel when
// the sources store them, is copied unchanged except
// for two columns:
//
//   - episode_id is renumbered so that episodes stay contiguous from 0:
//     source k's episodes follow those of sources 0 to k-1;
//   - a source other than the last whose last episode has no end flag
//     (tail_open, imported data) gets timeouts=true on that row, since a
//     new episode starts after it.
//
// A source whose last episode was cut (tail_truncated, or an open tail
// closed as above) is recorded with tail_cut in the merged metadata's
// sources list, so that [Dataset.Validate] exempts that episode from the
// time-limit rule and the return statistics leave it out. The last
// source's tail keeps its meaning through tail_truncated and tail_open.
//
// Every source must pass [Dataset.Validate], and all must agree on env_id,
// obs_dim, act_dim, nq, nv (so sources with and without the qpos/qvel
// state columns do not mix), action_low, action_high, max_episode_steps,
// timeouts_meaning, dt, frame_skip and the reference scores; a disagreement is a *[ValidationError] naming the
// key, both sources and both values, and nothing is written. The merged
// metadata takes these keys from the sources; behaviour_policy and seed
// become JSON arrays of the sources' values, in order; sources lists each
// source's dataset_id, SHA-256 and row count. The SHA-256 of a single
// file is that of its bytes; of a directory, that of its manifest.json
// followed by its part files in name order.
//
// Merge checks ctx before each source and every few thousand rows; when
// it is done, Merge removes what it wrote and returns an error wrapping
// ctx.Err().
func Merge(ctx context.Context, out string, sources []string,
	opts MergeOptions) (Metadata, error) {
	if len(sources) == 0 {
		return Metadata{}, fmt.Errorf("merging into %s: no sources", out)
	}
	meta, err := mergedMetadata(sources, opts)
	if err != nil {
		return Metadata{}, fmt.Errorf("merging into %s: %w", out, err)
	}
	if err := checkNotSource(out, sources); err != nil {
		return Metadata{}, fmt.Errorf("merging into %s: %w", out, err)
	}

	w, err := NewWriter(out, meta, opts.Writer)
	if err != nil {
		return Metadata{}, fmt.Errorf("merging: %w", err)
	}
	var nextEpisode int64
	for k, src := range sources {
		last := k == len(sources)-1
		n, err := appendSource(ctx, w, src, nextEpisode, last)
		if err != nil {
			return Metadata{}, errors.Join(fmt.Errorf("merging into %s: %w", out, err), w.Abort())
		}
		nextEpisode += n
	}
	if err := w.Close(); err != nil {
		return Metadata{}, fmt.Errorf("merging: %w", err)
	}
	return ReadMetadata(out)
}

// mergedMetadata reads every source's metadata, checks that they agree,
// hashes each source, and builds the merged dataset's metadata.
func mergedMetadata(sources []string, opts MergeOptions) (Metadata, error) {
	metas := make([]Metadata, len(sources))
	for k, src := range sources {
		m, err := ReadMetadata(src)
		if err != nil {
			return Metadata{}, err
		}
		if k > 0 {
			if err := agree(sources[0], src, &metas[0], &m); err != nil {
				return Metadata{}, err
			}
		}
		metas[k] = m
	}

	first := metas[0]
	meta := Metadata{
		DatasetID: opts.DatasetID, DatasetKind: opts.Kind, Command: opts.Command,
		CreatedAt: opts.CreatedAt, CreatedBy: opts.CreatedBy,
		EnvID: first.EnvID, EnvVersion: first.EnvVersion,
		ObsDim: first.ObsDim, ActDim: first.ActDim, NQ: first.NQ, NV: first.NV,
		ActionLow: first.ActionLow, ActionHigh: first.ActionHigh,
		RefMinScore: first.RefMinScore, RefMaxScore: first.RefMaxScore,
		RefSource:       first.RefSource,
		MaxEpisodeSteps: first.MaxEpisodeSteps, Dt: first.Dt, FrameSkip: first.FrameSkip,
		TimeoutsMeaning: first.TimeoutsMeaning,
		TailTruncated:   metas[len(metas)-1].TailTruncated,
	}
	var policies, seeds []json.RawMessage
	for k, m := range metas {
		sum, err := Fingerprint(sources[k])
		if err != nil {
			return Metadata{}, fmt.Errorf("hashing source %s: %w", sources[k], err)
		}
		cut := m.TailTruncated || (m.TailOpen && k < len(metas)-1)
		meta.Sources = append(meta.Sources, Source{DatasetID: m.DatasetID,
			SHA256: sum, Rows: m.NumTransitions, TailCut: cut})
		policies = append(policies, orNull(m.BehaviourPolicy))
		seeds = append(seeds, orNull(m.Seed))
	}
	var err error
	if meta.BehaviourPolicy, err = json.Marshal(policies); err != nil {
		return Metadata{}, err
	}
	if meta.Seed, err = json.Marshal(seeds); err != nil {
		return Metadata{}, err
	}
	return meta, nil
}

// orNull returns raw, or the JSON null for an empty value.
func orNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

// agree checks that source b's metadata matches source a's on every key
// that says what the data means and how it is scored.
func agree(pathA, pathB string, a, b *Metadata) error {
	key, va, vb := meaningDiff(a, b)
	if (key == "nq" || key == "nv") && (a.NQ == 0 || b.NQ == 0) {
		has := map[bool]string{true: "stores", false: "does not store"}
		return &ValidationError{File: pathB, Column: key, Row: -1,
			Reason: fmt.Sprintf("this source %s the simulator state (qpos/qvel columns) "+
				"but source %s %s it; merged sources must agree",
				has[b.NQ > 0], pathA, has[a.NQ > 0])}
	}
	if key != "" {
		return &ValidationError{File: pathB, Column: key, Row: -1,
			Reason: fmt.Sprintf("value %v, but source %s has %v; merged sources must agree",
				vb, pathA, va)}
	}
	return nil
}

// meaningDiff returns the first key, with both values, on which a and b
// differ among those that say what the data means and how it is scored:
// the environment, the widths and action bounds, the time limit and what
// timeouts mean, the step timing, and the reference scores. It returns an
// empty key when they agree.
func meaningDiff(a, b *Metadata) (key string, va, vb any) {
	keys := []struct {
		name   string
		va, vb any
		equal  bool
	}{
		{"env_id", a.EnvID, b.EnvID, a.EnvID == b.EnvID},
		{"obs_dim", a.ObsDim, b.ObsDim, a.ObsDim == b.ObsDim},
		{"act_dim", a.ActDim, b.ActDim, a.ActDim == b.ActDim},
		{"nq", a.NQ, b.NQ, a.NQ == b.NQ},
		{"nv", a.NV, b.NV, a.NV == b.NV},
		{"action_low", a.ActionLow, b.ActionLow, slices.Equal(a.ActionLow, b.ActionLow)},
		{"action_high", a.ActionHigh, b.ActionHigh, slices.Equal(a.ActionHigh, b.ActionHigh)},
		{"max_episode_steps", a.MaxEpisodeSteps, b.MaxEpisodeSteps,
			a.MaxEpisodeSteps == b.MaxEpisodeSteps},
		{"timeouts_meaning", a.TimeoutsMeaning, b.TimeoutsMeaning,
			a.TimeoutsMeaning == b.TimeoutsMeaning},
		{"dt", a.Dt, b.Dt, a.Dt == b.Dt},
		{"frame_skip", a.FrameSkip, b.FrameSkip, a.FrameSkip == b.FrameSkip},
		{"ref_min_score", a.RefMinScore, b.RefMinScore, a.RefMinScore == b.RefMinScore},
		{"ref_max_score", a.RefMaxScore, b.RefMaxScore, a.RefMaxScore == b.RefMaxScore},
	}
	for _, k := range keys {
		if !k.equal {
			return k.name, k.va, k.vb
		}
	}
	return "", nil, nil
}

// checkNotSource refuses an output path that is one of the sources, which
// an overwriting merge would otherwise destroy before reading it.
func checkNotSource(out string, sources []string) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	for _, src := range sources {
		s, err := filepath.Abs(src)
		if err != nil {
			return err
		}
		if s == abs {
			return fmt.Errorf("the output is also the source %s", src)
		}
	}
	return nil
}

// appendSource reads the dataset at src and appends its rows to w, with
// episode ids renumbered from firstEpisode. last says whether src is the
// last source; an open tail of any other source is closed with a timeout.
// It returns the number of episodes appended.
func appendSource(ctx context.Context, w *Writer, src string, firstEpisode int64,
	last bool) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	d, err := ReadWith(src, ReadOptions{State: true})
	if err != nil {
		return 0, err
	}
	// The sources list was built from the metadata; a source whose
	// metadata disagrees with its rows would misplace the cut tails.
	if err := d.Validate(); err != nil {
		return 0, fmt.Errorf("source %s: %w", src, err)
	}
	n := d.Len()
	base := int64(d.EpisodeIDs[0])
	episodes := int64(d.EpisodeIDs[n-1]) - base + 1
	if firstEpisode+episodes-1 > math.MaxInt32 {
		return 0, fmt.Errorf("source %s: episode_id would pass %d", src, math.MaxInt32)
	}
	for i := range n {
		if i%cancelCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return 0, fmt.Errorf("source %s row %d: %w", src, i, err)
			}
		}
		t := d.transition(i)
		t.EpisodeID = int32(firstEpisode + int64(t.EpisodeID) - base)
		if i == n-1 && !last && !t.Terminal && !t.Timeout {
			t.Timeout = true
		}
		if err := w.Append(t); err != nil {
			return 0, fmt.Errorf("source %s row %d: %w", src, i, err)
		}
	}
	return episodes, nil
}

// Fingerprint returns the hex SHA-256 of a dataset's bytes: a file's
// content, or a directory's manifest.json followed by its part files in
// name order. Merged datasets record it for each source, and training
// runs record it so that a resumed run cannot continue on other data.
func Fingerprint(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if !fi.IsDir() {
		return hashFiles(h, path)
	}
	m, err := readManifest(path)
	if err != nil {
		return "", err
	}
	names := make([]string, 0, len(m.Shards))
	for _, s := range m.Shards {
		names = append(names, s.Path)
	}
	slices.Sort(names)
	files := []string{filepath.Join(path, manifestName)}
	for _, name := range names {
		files = append(files, filepath.Join(path, name))
	}
	return hashFiles(h, files...)
}

// hashFiles feeds the files to h in order and returns the hex digest.
func hashFiles(h hash.Hash, files ...string) (string, error) {
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", name, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
