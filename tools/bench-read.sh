#!/usr/bin/env bash
# bench-read.sh: our reader against DuckDB on a HalfCheetah-shaped dataset
# (obs 17, act 6) of ROWS transitions (default 1,000,000) written by our
# writer. Prints writer speed, best-of-5 full reads for both (DuckDB with
# as many threads as Go's GOMAXPROCS), their ratio, and our read's peak
# RSS against the bytes of the arrays it returns. Needs `make deps`.
# Targets: read within 1.5x of DuckDB, peak RSS within 1.3x of the arrays.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${ROWS:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/benchread" ./tools/benchread
file="$work/halfcheetah.parquet"

# field NAME reads "NAME: value" from the captured output of a step.
field() { awk -v k="$1:" '$1 == k { print $2 }'; }

gen=$("$work/benchread" gen "$file" "$rows")
ours=$("$work/benchread" read "$file")
threads=$(field gomaxprocs <<<"$ours")
duck=$(node tools/duckdb/bench-read.mjs "$file" "$threads")
rss=$("$work/benchread" rss "$file")

ours_s=$(field read_seconds <<<"$ours")
duck_s=$(field duckdb_read_seconds <<<"$duck")
arrays=$(field array_bytes <<<"$rss")
peak=$(field peak_rss_bytes <<<"$rss")
awk -v rows="$rows" -v threads="$threads" \
	-v wps="$(field write_transitions_per_s <<<"$gen")" \
	-v bytes="$(field file_bytes <<<"$gen")" \
	-v ours="$ours_s" -v duck="$duck_s" -v arrays="$arrays" -v peak="$peak" 'BEGIN {
	printf "transitions            %d (obs 17, act 6), file %.1f MiB\n", rows, bytes / 2^20
	printf "writer                 %.0f transitions/s\n", wps
	printf "read, ours             %.3f s (best of 5, GOMAXPROCS %d)\n", ours, threads
	printf "read, DuckDB           %.3f s (best of 5, %d threads)\n", duck, threads
	printf "ratio ours/DuckDB      %.2f   (target <= 1.5)\n", ours / duck
	printf "peak RSS, ours         %.1f MiB\n", peak / 2^20
	printf "arrays returned        %.1f MiB\n", arrays / 2^20
	printf "ratio RSS/arrays       %.2f   (target <= 1.3)\n", peak / arrays
}'
