package datasets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// CacheEnv is the environment variable that overrides the dataset cache
// directory.
const CacheEnv = "OFFRL_DATA_DIR"

// CacheDir returns the directory where named datasets live: $OFFRL_DATA_DIR
// if set, else <user cache dir>/offrl/datasets, where the user cache dir
// is $XDG_CACHE_HOME or ~/.cache on Linux.
func CacheDir() (string, error) {
	if dir := os.Getenv(CacheEnv); dir != "" {
		return dir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the dataset cache (set %s): %w", CacheEnv, err)
	}
	return filepath.Join(base, "offrl", "datasets"), nil
}

// versioned matches names that end in a version, "-v<N>".
var versioned = regexp.MustCompile(`-v[0-9]+$`)

// ErrNotCached means a dataset name has no copy in the cache.
var ErrNotCached = errors.New("dataset not in cache")

// Resolve turns a dataset reference into a path. A reference that names
// an existing file or directory is returned as is. Otherwise it must be a
// dataset name: "<task>-<kind>-v<N>" resolves to that directory in
// cacheDir, and a short "<task>-<kind>" to its newest cached version. A
// well-formed name with no cached copy returns the path it would have
// (version 0 for a short name) and an error wrapping [ErrNotCached].
func Resolve(ref, cacheDir string) (string, error) {
	if _, err := os.Stat(ref); err == nil {
		return ref, nil
	}
	if strings.ContainsRune(ref, os.PathSeparator) || strings.HasSuffix(ref, ".parquet") {
		return "", fmt.Errorf("dataset %s: no such file or directory", ref)
	}
	_, _, _, idErr := ParseID(ref)
	if idErr != nil && versioned.MatchString(ref) {
		// It has a version, so it was meant as a full name: say what is
		// wrong with it rather than with a guessed short form.
		return "", fmt.Errorf("dataset %q is neither a path nor a valid dataset name: %w", ref, idErr)
	}
	if idErr == nil {
		path := filepath.Join(cacheDir, ref)
		if _, err := os.Stat(path); err != nil {
			return path, fmt.Errorf("dataset %s: %w (looked in %s)", ref, ErrNotCached, cacheDir)
		}
		return path, nil
	}
	// A short name: pick the highest version present.
	matches, _ := filepath.Glob(filepath.Join(cacheDir, ref+"-v*"))
	type found struct {
		path    string
		version int
	}
	var ok []found
	for _, m := range matches {
		if _, _, v, err := ParseID(filepath.Base(m)); err == nil {
			ok = append(ok, found{m, v})
		}
	}
	if len(ok) == 0 {
		if _, _, _, err := ParseID(ref + "-v0"); err != nil {
			return "", fmt.Errorf("dataset %q is neither a path nor a dataset name "+
				"(<task>-<kind>[-v<N>]): %w", ref, err)
		}
		return filepath.Join(cacheDir, ref+"-v0"),
			fmt.Errorf("dataset %s: %w (looked in %s)", ref, ErrNotCached, cacheDir)
	}
	sort.Slice(ok, func(i, j int) bool { return ok[i].version > ok[j].version })
	return ok[0].path, nil
}
