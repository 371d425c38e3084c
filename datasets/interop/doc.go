// Package interop holds tests, and nothing else, that check the toolkit's
// Parquet files against DuckDB, an independent reader that shares no code
// with package datasets.
//
// The tests run DuckDB through tools/duckdb/stats.mjs (Node and npm's
// @duckdb/node-api) and compare its counts, sums, list lengths and footer
// metadata with what [offrl/datasets.Read] returns, for every kind of file
// the toolkit writes and for foreign files DuckDB and other writers made
// (testdata/). `make test` installs DuckDB and requires these tests to
// run; a plain `go test ./...` skips them unless OFFRL_DUCKDB_SCRIPT names
// the script.
package interop
