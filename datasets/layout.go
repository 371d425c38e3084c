package datasets

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// Layout describes how a dataset is stored: its part files and the
// columns of the first part as the Parquet schema declares them.
type Layout struct {
	Parts   []string       // part file names; the file's own name for a single file
	Columns []StoredColumn // top-level columns in file order
}

// StoredColumn is one top-level column of a Parquet file. Type spells
// the stored type: the physical type of a plain value ("INT32",
// "BOOLEAN"), "LIST<FLOAT>" for a list, with " optional" appended to a
// nullable column.
type StoredColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// ReadLayout reads the part list of the dataset at path (from its manifest
// for a directory) and the schema of its first part, without reading
// column data.
func ReadLayout(path string) (Layout, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Layout{}, fmt.Errorf("reading layout of %s: %w", path, err)
	}
	var l Layout
	first := path
	if fi.IsDir() {
		m, err := readManifest(path)
		if err != nil {
			return Layout{}, fmt.Errorf("reading layout of %s: %w", path, err)
		}
		if len(m.Shards) == 0 {
			return Layout{}, errorf(ErrSchema, "reading layout of %s: %s lists no parts",
				path, manifestName)
		}
		for _, s := range m.Shards {
			l.Parts = append(l.Parts, s.Path)
		}
		first = filepath.Join(path, m.Shards[0].Path)
	} else {
		l.Parts = []string{filepath.Base(path)}
	}

	f, err := os.Open(first)
	if err != nil {
		return Layout{}, fmt.Errorf("reading layout of %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Layout{}, fmt.Errorf("reading layout of %s: %w", path, err)
	}
	pf, err := openParquet(f, st.Size())
	if err != nil {
		return Layout{}, fmt.Errorf("reading layout of %s: %s: %w", path, filepath.Base(first), err)
	}
	for _, c := range pf.Root().Columns() {
		l.Columns = append(l.Columns, StoredColumn{Name: c.Name(), Type: storedType(c)})
	}
	return l, nil
}

// storedType spells the type of column c as [StoredColumn] describes.
func storedType(c *parquet.Column) string {
	suffix := ""
	if c.Optional() {
		suffix = " optional"
	}
	if c.Leaf() {
		t := strings.ToUpper(c.Type().Kind().String())
		if c.Repeated() {
			return "LIST<" + t + ">" + suffix
		}
		return t + suffix
	}
	if leaf, err := listLeaf(c); err == nil && leaf != nil {
		return "LIST<" + strings.ToUpper(leaf.Type().Kind().String()) + ">" + suffix
	}
	return "GROUP" + suffix
}
