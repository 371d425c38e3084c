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

const mergeUsage = `Usage: dataset merge --out OUT [--id ID] [--kind KIND] SRC1 SRC2...

Concatenates the source datasets, in the order given, into a new dataset
at OUT (a directory, or one file when OUT ends in .parquet). Rows are
copied unchanged except that episode_id is renumbered to stay contiguous,
and a source's open last episode (imported data) gains timeouts=true when
another source follows. The sources must agree on env_id, dimensions,
action bounds, max_episode_steps, timeouts_meaning and reference scores.
The metadata lists every source's dataset_id, SHA-256 and row count.
The shards of a sharded collection (OUT.shards/shard-*) are joined by
"collect ... --shards N --merge", which first checks that they belong
together; merging them here concatenates them as given.

Examples:
  dataset merge --out data/pendulum-medium-expert-v0 --id pendulum-medium-expert-v0 \
      data/pendulum-medium-v0 data/pendulum-expert-v0
  dataset merge --out both.parquet a.parquet b.parquet

Flags:
`

func runMerge(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("merge", mergeUsage)
	out := fs.String("out", "", "output dataset (required): a directory, or a file ending in .parquet")
	id := fs.String("id", "", "dataset_id of the result, e.g. pendulum-medium-expert-v0")
	kind := fs.String("kind", "", "dataset_kind of the result (default: the kind in --id)")
	overwrite := fs.Bool("overwrite", false, "replace an existing dataset at --out")
	help, sources, err := parse(fs, args, stdout)
	switch {
	case help:
		return cli.ExitOK
	case err != nil:
		return usageFail(stderr, "merge", err)
	case *out == "":
		return usageFail(stderr, "merge", errors.New("--out is required"))
	case len(sources) == 0:
		return usageFail(stderr, "merge", errors.New("want at least one source dataset"))
	}
	if *id != "" && *kind == "" {
		_, k, _, err := datasets.ParseID(*id)
		if err != nil {
			return usageFail(stderr, "merge", fmt.Errorf("--id: %w", err))
		}
		*kind = k
	}
	meta, err := datasets.Merge(ctx, *out, sources, datasets.MergeOptions{
		DatasetID: *id, Kind: *kind,
		Command: "dataset merge " + strings.Join(args, " "),
		Writer:  datasets.WriterOptions{Overwrite: *overwrite},
	})
	if err != nil {
		fmt.Fprintf(stderr, "dataset merge: %v\n", err)
		if ctx.Err() != nil {
			return cli.ExitInterrupted
		}
		if errors.Is(err, datasets.ErrExists) {
			return cli.ExitUsage
		}
		return cli.ExitFailed
	}
	fmt.Fprintf(stdout, "merged:       %s (%s)\n", *out, orNone(meta.DatasetID))
	for k, s := range meta.Sources {
		fmt.Fprintf(stdout, "source %d:     %s, %d rows, sha256 %s\n",
			k, orNone(s.DatasetID), s.Rows, s.SHA256)
	}
	fmt.Fprintf(stdout, "rows:         %d\n", meta.NumTransitions)
	fmt.Fprintf(stdout, "episodes:     %d\n", meta.NumEpisodes)
	fmt.Fprintf(stdout, "return_mean:  %.4g (normalized_score %.1f)\n",
		meta.ReturnMean, meta.NormalizedScore)
	return cli.ExitOK
}
