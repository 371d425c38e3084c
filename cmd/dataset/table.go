package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"offrl/internal/cli"
)

const tableUsage = `Usage: dataset table PATH...

Prints one Markdown table row per dataset: its ID, environment, kind,
transitions, episodes (complete ones in brackets), mean ± std return over
complete episodes, normalised score (0 = random, 100 = expert, on the
references in its metadata) and size on disk: the README's dataset table.
Statistics are recomputed from the rows, one row group at a time, as
dataset info does.

Example:
  dataset table ~/.cache/offrl/datasets/hopper-*-v1

Flags:
`

func runTable(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("table", tableUsage)
	help, paths, err := parse(fs, args, stdout)
	switch {
	case help:
		return cli.ExitOK
	case err != nil:
		return usageFail(stderr, "table", err)
	case len(paths) == 0:
		return usageFail(stderr, "table", fmt.Errorf("want one or more PATHs"))
	}
	fmt.Fprintln(stdout, "| dataset | env | kind | transitions | episodes (complete) | return (mean ± std) | normalised score | size |")
	fmt.Fprintln(stdout, "|---|---|---|---:|---:|---:|---:|---:|")
	for _, path := range paths {
		rep, err := describe(ctx, path)
		if err != nil {
			fmt.Fprintf(stderr, "dataset table: %v\n", err)
			return cli.ExitFailed
		}
		r, m := rep.Returns, rep.Meta
		ret, score := "n/a", "n/a"
		if r.Complete > 0 {
			ret = fmt.Sprintf("%.1f ± %.1f", r.Mean, r.Std)
			score = strings.Replace(fmt.Sprintf("%.1f", r.NormalizedScore), "-0.0", "0.0", 1)
		}
		fmt.Fprintf(stdout, "| %s | %s | %s | %d | %d (%d) | %s | %s | %.1f MB |\n", m.DatasetID, m.EnvID,
			m.DatasetKind, rep.Counts.Rows, rep.Counts.Episodes, r.Complete, ret, score, float64(diskBytes(path))/1e6)
	}
	return cli.ExitOK
}

// diskBytes is the size of a dataset file, or of the files of a dataset
// directory.
func diskBytes(path string) int64 {
	var n int64
	filepath.WalkDir(path, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
