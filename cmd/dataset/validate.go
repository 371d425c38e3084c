package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"offrl/datasets"
	"offrl/envs"
	"offrl/envs/registry"
	"offrl/internal/cli"
)

const validateUsage = `Usage: dataset validate PATH...

Reads each dataset (checking framing, page checksums, part sizes and
SHA-256 against the manifest, list lengths, finite values and row order),
then checks its metadata against the rows: counts, return statistics,
tail flags, and max_episode_steps (no episode longer; every time-limit
timeout at exactly that length, except a budget-cut last episode and the
cut tails of merged sources). The optional qpos/qvel state columns are
checked too (lengths nq/nv, finite values), and when env_id names a
registered environment, nq and nv must be that environment's state
layout. Rows are read one row group at a time, so
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
		if err == nil {
			err = stateAgreesWithEnv(path, &meta)
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

// stateAgreesWithEnv checks a dataset's nq and nv against the state
// layout of the environment its env_id names, when that environment is
// registered (data of other environments cannot be checked, and passes).
// A dataset without state columns passes: they are optional.
func stateAgreesWithEnv(path string, meta *datasets.Metadata) error {
	if meta.NQ == 0 {
		return nil
	}
	if _, err := registry.Lookup(meta.EnvID); err != nil {
		return nil
	}
	env, err := registry.Make(meta.EnvID)
	if err != nil {
		return fmt.Errorf("making %s to check nq and nv: %w", meta.EnvID, err)
	}
	defer env.Close()
	nq, nv, ok := envs.StateDimsOf(env)
	switch {
	case !ok:
		return &datasets.ValidationError{File: path, Column: "nq", Row: -1,
			Reason: fmt.Sprintf("value %d, but %s has no qpos/qvel state layout",
				meta.NQ, meta.EnvID)}
	case nq != meta.NQ || nv != meta.NV:
		return &datasets.ValidationError{File: path, Column: "nq", Row: -1,
			Reason: fmt.Sprintf("nq %d, nv %d, but %s has nq %d, nv %d",
				meta.NQ, meta.NV, meta.EnvID, nq, nv)}
	}
	return nil
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
