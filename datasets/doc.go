// Package datasets reads and writes offline reinforcement-learning datasets
// in the toolkit's Parquet layout (specs/datasets.md §5): one row per
// transition, rows ordered by (episode_id, step), observations and actions
// stored as fixed-length lists of float32, and the dataset's metadata in
// every file's footer.
//
// A dataset is either a directory holding manifest.json and one or more
// part-NNNNN.parquet files, or a single self-contained .parquet file. The
// path decides: a path ending in ".parquet" is a single file, anything else
// a directory.
//
// Writing streams one row group at a time and publishes the result
// atomically, so a crash never leaves a half-written dataset under its
// final name:
//
//	w, err := datasets.NewWriter("hopper-medium-v0", meta, datasets.WriterOptions{})
//	for _, t := range transitions {
//		if err := w.Append(t); err != nil {
//			return errors.Join(err, w.Abort())
//		}
//	}
//	err = w.Close()
//
// A long directory write can be made resumable: with
// [WriterOptions.Resumable] the parts go to [PartialDir], each
// [Writer.EndPart] records progress.json there, and a later writer given
// [ReadProgress]'s result continues after the last finished part, giving
// byte-identical files.
//
// Reading loads a whole dataset column by column into flat slices:
//
//	d, err := datasets.Read("hopper-medium-v0")
//	for _, ep := range d.Episodes() { ... }
//
// Datasets of physics tasks also hold the optional qpos and qvel columns,
// the simulator state before each step as float64 (nq and nv in the
// metadata), so that any transition can be restored exactly. [Read] leaves
// them on disk; [ReadOptions.State] loads them into [Dataset.Qpos] and
// [Dataset.Qvel].
//
// [Merge] concatenates datasets into a new one, one source at a time,
// recording each source's ID, SHA-256 and row count in the metadata.
//
// The reader decodes column chunks page by page, checks every list's length
// against the declared dimension, verifies page checksums, and rejects
// non-finite values, so a damaged or foreign file is an error that names the
// file, the column and the row, never silently wrong data.
//
// Every file also carries an ARROW:schema footer entry that declares the
// vector columns as FixedSizeList<float32> (the state columns as
// FixedSizeList<float64>), so Arrow-based readers (pyarrow, pandas)
// restore fixed-size lists; DuckDB reads them as FLOAT[] (DOUBLE[]).
//
// [Read] holds the whole dataset in memory (about 4 bytes per stored
// float), because the training code samples rows at random from flat
// slices. [Scan] makes the same checks one row group at a time, and
// [ValidateStream] validates that way, so inspecting or checking a dataset
// needs memory for a row group, not for the dataset (pitfall B26).
//
// Limitation: [Read] and writing take no context.Context; a read or a
// write of a large dataset cannot be cancelled half-way, only abandoned
// ([Writer.Abort] removes what a Writer wrote). [Scan] checks its context
// between row groups.
package datasets
