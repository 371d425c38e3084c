package datasets

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// manifestName is the file name of a dataset directory's manifest.
const manifestName = "manifest.json"

// maxManifestBytes bounds how much of a manifest is read; a real one is a
// few kilobytes per thousand parts.
const maxManifestBytes = 64 << 20

// manifest is the content of manifest.json (specs/datasets.md §5.5): every
// metadata key at the top level, with the dataset-wide counts, followed by
// the list of parts in episode order.
type manifest struct {
	Metadata
	Shards []shard `json:"shards"`
}

// shard describes one part file of a dataset directory.
type shard struct {
	Path     string   `json:"path"`     // file name inside the dataset directory
	Episodes [2]int64 `json:"episodes"` // first and last episode_id, inclusive
	Rows     int64    `json:"rows"`
	SHA256   string   `json:"sha256"` // hex SHA-256 of the file's bytes
	Bytes    int64    `json:"bytes"`  // file size
}

// writeManifest writes m as indented JSON to path and syncs it.
func writeManifest(path string, m *manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", manifestName, err)
	}
	b = append(b, '\n')
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// readManifest reads and checks dir/manifest.json.
func readManifest(dir string) (manifest, error) {
	f, err := os.Open(filepath.Join(dir, manifestName))
	if err != nil {
		return manifest{}, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxManifestBytes+1))
	if err != nil {
		return manifest{}, fmt.Errorf("reading %s: %w", manifestName, err)
	}
	if len(b) > maxManifestBytes {
		return manifest{}, errorf(ErrSchema, "%s is larger than %d bytes",
			manifestName, maxManifestBytes)
	}
	return parseManifest(b)
}

// parseManifest decodes a manifest strictly (an unknown key is an error)
// and checks it: schema version, dimensions, and parts that are plain file
// names, cover contiguous episode ranges, and add up to the counts.
func parseManifest(b []byte) (manifest, error) {
	var m manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return manifest{}, errorf(ErrSchema, "decoding %s: %w", manifestName, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return manifest{}, errorf(ErrSchema, "decoding %s: data after the JSON object",
			manifestName)
	}
	if err := m.check(); err != nil {
		return manifest{}, mark(ErrSchema, err)
	}
	m.compactRaw()
	return m, nil
}

// check validates a decoded manifest.
func (m *manifest) check() error {
	bad := func(key, reason string, args ...any) error {
		return &ValidationError{File: manifestName, Column: key, Row: -1,
			Reason: fmt.Sprintf(reason, args...)}
	}
	switch {
	case m.SchemaVersion != SchemaVersion:
		return bad("schema_version", "value %q, want %q", m.SchemaVersion, SchemaVersion)
	case m.ObsDim < 1 || m.ObsDim > MaxDim:
		return bad("obs_dim", "value %d, want 1 to %d", m.ObsDim, MaxDim)
	case m.ActDim < 1 || m.ActDim > MaxDim:
		return bad("act_dim", "value %d, want 1 to %d", m.ActDim, MaxDim)
	case len(m.Shards) == 0:
		return bad("shards", "empty, want at least one part")
	}
	var rows, episodes int64
	seen := make(map[string]bool, len(m.Shards))
	for i, s := range m.Shards {
		key := fmt.Sprintf("shards[%d]", i)
		if err := s.check(); err != nil {
			return bad(key, "%v", err)
		}
		if seen[s.Path] {
			return bad(key+".path", "value %q listed twice", s.Path)
		}
		seen[s.Path] = true
		if i > 0 && s.Episodes[0] != m.Shards[i-1].Episodes[1]+1 {
			return bad(key+".episodes",
				"first episode %d, want %d (one after the previous part's last)",
				s.Episodes[0], m.Shards[i-1].Episodes[1]+1)
		}
		rows += s.Rows
		episodes += s.Episodes[1] - s.Episodes[0] + 1
	}
	if rows != m.NumTransitions {
		return bad("num_transitions",
			"value %d, but the parts hold %d rows", m.NumTransitions, rows)
	}
	if episodes != m.NumEpisodes {
		return bad("num_episodes",
			"value %d, but the parts hold %d episodes", m.NumEpisodes, episodes)
	}
	return nil
}

// check validates one part entry.
func (s *shard) check() error {
	switch {
	case s.Path == "" || s.Path != filepath.Base(s.Path) || strings.ContainsAny(s.Path, `/\`) ||
		strings.HasPrefix(s.Path, ".") || !strings.HasSuffix(s.Path, ".parquet"):
		return fmt.Errorf("path %q, want a plain file name ending in .parquet", s.Path)
	case s.Episodes[0] < 0 || s.Episodes[1] < s.Episodes[0] || s.Episodes[1] > maxEpisodeID:
		return fmt.Errorf("episodes [%d, %d], want 0 ≤ first ≤ last ≤ %d",
			s.Episodes[0], s.Episodes[1], maxEpisodeID)
	case s.Rows < s.Episodes[1]-s.Episodes[0]+1:
		return fmt.Errorf("rows %d, fewer than its %d episodes",
			s.Rows, s.Episodes[1]-s.Episodes[0]+1)
	case s.Bytes < 1:
		return fmt.Errorf("bytes %d, want ≥ 1", s.Bytes)
	}
	b, err := hex.DecodeString(s.SHA256)
	if err != nil || len(b) != 32 || strings.ToLower(s.SHA256) != s.SHA256 {
		return fmt.Errorf("sha256 %q, want 64 lower-case hex digits", s.SHA256)
	}
	return nil
}

// maxEpisodeID is the largest episode_id an int32 column can hold.
const maxEpisodeID = 1<<31 - 1
