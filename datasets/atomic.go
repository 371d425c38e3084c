package datasets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// publishFile renames the finished temporary file tmp to dst. Without
// overwrite it links instead of renaming, so an existing dst is never
// replaced even if it appeared after NewWriter checked; with overwrite a
// regular file is replaced atomically and anything else is moved aside
// first. The directory is synced so the new name survives a crash.
func publishFile(tmp, dst string, overwrite bool) error {
	if !overwrite {
		err := os.Link(tmp, dst)
		switch {
		case errors.Is(err, fs.ErrExist):
			return fmt.Errorf("%s: %w", dst, ErrExists)
		case err == nil:
			if err := os.Remove(tmp); err != nil {
				return err
			}
			return syncDir(filepath.Dir(dst))
		}
		// Some file systems have no hard links; fall back to a checked
		// rename, which leaves a small window for a racing writer.
		if _, err := os.Lstat(dst); err == nil {
			return fmt.Errorf("%s: %w", dst, ErrExists)
		}
		if err := os.Rename(tmp, dst); err != nil {
			return err
		}
		return syncDir(filepath.Dir(dst))
	}
	if err := checkReplaceable(dst, false); err != nil {
		return err
	}
	if fi, err := os.Lstat(dst); err == nil && !fi.Mode().IsRegular() {
		return replaceAside(tmp, dst)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// publishDir renames the finished temporary directory tmp to dst. An
// existing dst is an error without overwrite, and is otherwise moved aside,
// replaced, and removed.
func publishDir(tmp, dst string, overwrite bool) error {
	if _, err := os.Lstat(dst); err == nil {
		if !overwrite {
			return fmt.Errorf("%s: %w", dst, ErrExists)
		}
		if err := checkReplaceable(dst, true); err != nil {
			return err
		}
		return replaceAside(tmp, dst)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// replaceAside swaps tmp into dst when dst exists and a plain rename cannot
// replace it (a directory, or a different kind of file): dst is renamed to
// a fresh "<name>.old-*" sibling, tmp takes its place, and the old copy is
// removed. If the second rename fails the old copy is put back.
//
// Limitation: between the two renames dst does not exist, so a reader may
// briefly find nothing there; it never finds a partial dataset.
func replaceAside(tmp, dst string) error {
	parent, base := filepath.Split(dst)
	if parent == "" {
		parent = "."
	}
	aside, err := os.MkdirTemp(parent, base+".old-*")
	if err != nil {
		return err
	}
	if err := os.Remove(aside); err != nil {
		return err
	}
	if err := os.Rename(dst, aside); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return errors.Join(err, os.Rename(aside, dst))
	}
	if err := syncDir(parent); err != nil {
		return err
	}
	return os.RemoveAll(aside)
}

// syncDir flushes a directory's entries to stable storage.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// ErrNotDataset means an overwrite was refused because the destination is
// not a dataset this package could have written.
var ErrNotDataset = errors.New("datasets: destination is not a dataset; refusing to overwrite it")

// checkReplaceable allows overwriting dst only if it is missing or is a
// dataset: a Parquet file (magic "PAR1" at both ends) for file output, or a
// directory holding nothing but manifest.json and part-NNNNN.parquet files
// for directory output. Anything else a user keeps there is never deleted.
func checkReplaceable(dst string, dir bool) error {
	fi, err := os.Lstat(dst)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !dir {
		if !fi.Mode().IsRegular() || !hasParquetMagic(dst) {
			return fmt.Errorf("%s: %w (not a Parquet file)", dst, ErrNotDataset)
		}
		return nil
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s: %w (not a directory)", dst, ErrNotDataset)
	}
	entries, err := os.ReadDir(dst)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		part, _ := filepath.Match("part-[0-9][0-9][0-9][0-9][0-9].parquet", name)
		if !e.Type().IsRegular() || (name != manifestName && !part) {
			return fmt.Errorf("%s: %w (it holds %s)", dst, ErrNotDataset, name)
		}
	}
	return nil
}

// hasParquetMagic reports whether path starts and ends with "PAR1".
func hasParquetMagic(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var head, tail [4]byte
	fi, err := f.Stat()
	if err != nil || fi.Size() < 8 {
		return false
	}
	if _, err := f.ReadAt(head[:], 0); err != nil {
		return false
	}
	if _, err := f.ReadAt(tail[:], fi.Size()-4); err != nil {
		return false
	}
	return string(head[:]) == "PAR1" && string(tail[:]) == "PAR1"
}
