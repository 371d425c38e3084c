package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"offrl/datasets"
	"offrl/internal/cli"
)

const validateUsage = `Usage: dataset validate PATH...

Reads each dataset (checking framing, page checksums, part sizes and
SHA-256 against the manifest, list lengths, finite values and row order),
then checks its metadata against the rows: counts, return statistics,
tail flags, and max_episode_steps (no episode longer; every time-limit
timeout at exactly that length, except a budget-cut last episode and the
cut tails of merged sources). Rows are read one row group at a time, so
memory stays bounded by a row group rather than by the dataset.

Prints "ok PATH (N rows, E episodes)" for a dataset that passes and one
line "FAIL PATH: file: column/key, row: reason" per fault of one that
does not. Exit status 0 when all pass, 1 when any fails, 2 for usage
errors.

Examples:
  dataset validate data/pendulum-medium-v0
  dataset validate data/*.parquet

Flags:
`

func runValidate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", validateUsage)
	help, paths, err := parse(fs, args, stdout)
	switch {
	case help:
		return cli.ExitOK
	case err != nil:
		return usageFail(stderr, "validate", err)
	case len(paths) == 0:
		return usageFail(stderr, "validate", errors.New("want at least one PATH"))
	}

	code := cli.ExitOK
	for _, path := range paths {
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "dataset validate: interrupted\n")
			return cli.ExitInterrupted
		}
		meta, err := datasets.ValidateStream(ctx, path, datasets.ReadOptions{})
		if err != nil && ctx.Err() != nil {
			fmt.Fprintf(stderr, "dataset validate: interrupted\n")
			return cli.ExitInterrupted
		}
		if err != nil {
			code = cli.ExitFailed
			for _, line := range faults(err) {
				// The path leads the line already; drop the reader's copy.
				line = strings.TrimPrefix(line, "reading dataset "+path+": ")
				fmt.Fprintf(stdout, "FAIL %s: %s\n", path, line)
			}
			continue
		}
		// The counts in the metadata have just been checked against the rows.
		fmt.Fprintf(stdout, "ok %s (%d rows, %d episodes)\n", path, meta.NumTransitions, meta.NumEpisodes)
	}
	return code
}

// faults splits an error into one line per fault: the parts of a joined
// error each on their own line, any embedded line breaks folded.
func faults(err error) []string {
	if j, ok := err.(interface{ Unwrap() []error }); ok && isJoin(err) {
		var lines []string
		for _, e := range j.Unwrap() {
			lines = append(lines, faults(e)...)
		}
		return lines
	}
	return []string{strings.ReplaceAll(err.Error(), "\n", "; ")}
}

// isJoin reports whether err came from [errors.Join], whose message is the
// messages of its parts on separate lines.
func isJoin(err error) bool {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return false
	}
	var parts []string
	for _, e := range j.Unwrap() {
		parts = append(parts, e.Error())
	}
	return strings.Join(parts, "\n") == err.Error()
}
