#!/usr/bin/env bash
# Runs offrl's update and GEMM benchmarks next to the PyTorch CPU reference
# (tools/bench/torch_ref.py) at each thread count, in one sitting, and prints
# one ratio table (offrl / PyTorch; above 1 means offrl is faster).
#
# Environment:
#   BENCHTIME  go -test.benchtime of one window (default 1s)
#   COUNT      Go windows per benchmark (go -test.count), whose median is
#              reported, as the reference reports the median of its windows
#              (default 5)
#   TORCH_SECONDS  the reference's timed seconds per benchmark, split into
#              5 windows whose median is reported (default 5)
#   THREADS    thread counts to run, GOMAXPROCS on the Go side (default "1 2")
#   OUT        directory that keeps the raw Go bench output and the reference's
#              JSON per thread count (default: a temp dir, removed at exit)
#   PYTHON     interpreter with Debian's torch (default /usr/bin/python3)
#
# A Go package that does not exist yet, or exists but has no such benchmark
# yet, gives n/a cells. One that fails to build or run stops the script.
#
# Needs Debian's python3-torch and libopenblas0-pthread (`make bench-ref`
# installs them). Close other work first: the numbers are only comparable
# within one quiet run.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-/usr/bin/python3}
benchtime=${BENCHTIME:-1s}
count=${COUNT:-5}
threads_list=${THREADS:-1 2}

die() { echo "bench-ref: $*" >&2; exit 1; }

if [[ -n ${OUT:-} ]]; then
	out=$OUT
	mkdir -p "$out"
else
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
fi
bin="$out/bin"
mkdir -p "$bin"

torch_seconds=${TORCH_SECONDS:-5}

info=$("$python" tools/bench/torch_ref.py --info) || die "$python cannot import torch (run make bench-ref)"
field() { "$python" -c 'import json, sys; print(json.loads(sys.argv[1]).get(sys.argv[2], "n/a"))' "$1" "$2"; }
echo "machine: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1), nproc $(nproc)"
echo "go:      $(go version)"
echo "torch:   $(field "$info" torch)"
echo "blas:    $(field "$info" blas)"
case $(field "$info" blas) in
*openblas* | *mkl* | *blis*) ;;
*) echo "WARNING: torch is not using an optimised BLAS; install libopenblas0-pthread" >&2 ;;
esac
echo "go $count × $benchtime (median), torch ${torch_seconds}s per benchmark, threads $threads_list, raw output in ${OUT:-a temp dir}"
echo

# Go benchmarks: name|package|benchmark regexp.
suites=(
	"td3bc|./agents/td3bc|^BenchmarkUpdate\$"
	"iql|./agents/iql|^BenchmarkUpdate\$"
	"vae|./vae|^BenchmarkUpdate\$"
	"a2pr|./agents/a2pr|^BenchmarkUpdate\$"
	"gemm|./nn/gemm|^Benchmark(Sgemm|Dgemm)\$"
)
declare -A ready # suite name -> 1 when its test binary has the benchmark
for suite in "${suites[@]}"; do
	IFS='|' read -r name pkg re <<<"$suite"
	if [[ ! -d $pkg ]]; then
		echo "$name: $pkg does not exist yet: n/a" >&2
		continue
	fi
	go test -c -o "$bin/$name.test" "$pkg" >/dev/null || die "building $pkg's tests failed"
	if [[ ! -x $bin/$name.test ]]; then
		echo "$name: $pkg has no tests yet: n/a" >&2
		continue
	fi
	list=$("$bin/$name.test" -test.list "$re") || die "listing $pkg's benchmarks failed"
	if [[ -z $list ]]; then
		echo "$name: $pkg has no benchmark matching $re yet: n/a" >&2
		continue
	fi
	ready[$name]=1
done

# metric FILE NAME UNIT prints the median value of UNIT over the benchmark
# lines whose name, less any -N GOMAXPROCS suffix, is NAME.
metric() {
	awk -v name="$2" -v unit="$3" '{ n = $1; sub(/-[0-9]+$/, "", n) }
		n == name { for (i = 2; i < NF; i++) if ($(i+1) == unit) print $i }' "$1" |
		sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

rows=()
for threads in $threads_list; do
	for suite in "${suites[@]}"; do
		IFS='|' read -r name pkg re <<<"$suite"
		[[ -n ${ready[$name]:-} ]] || continue
		raw="$out/go-$name-t$threads.txt"
		"$bin/$name.test" -test.run '^$' -test.bench "$re" -test.benchtime "$benchtime" \
			-test.count "$count" -test.cpu "$threads" >"$raw" 2>&1 || { cat "$raw" >&2; die "$pkg's benchmark failed"; }
	done
	json="$out/torch-t$threads.json"
	"$python" tools/bench/torch_ref.py --threads "$threads" --seconds "$torch_seconds" >"$json" ||
		die "tools/bench/torch_ref.py --threads $threads failed"

	# label|suite|go benchmark name|unit|reference JSON key
	for row in "td3bc update (updates/s)|td3bc|BenchmarkUpdate|updates/s|td3bc_updates_per_s" \
		"iql update (updates/s)|iql|BenchmarkUpdate|updates/s|iql_updates_per_s" \
		"vae update (updates/s)|vae|BenchmarkUpdate|updates/s|vae_updates_per_s" \
		"a2pr update (updates/s)|a2pr|BenchmarkUpdate|updates/s|a2pr_updates_per_s" \
		"sgemm 256 (GFLOP/s)|gemm|BenchmarkSgemm/256|GFLOP/s|gemm_256_gflops" \
		"sgemm 1024 (GFLOP/s)|gemm|BenchmarkSgemm/1024|GFLOP/s|gemm_1024_gflops" \
		"dgemm 256 (GFLOP/s)|gemm|BenchmarkDgemm/256|GFLOP/s|dgemm_256_gflops" \
		"dgemm 1024 (GFLOP/s)|gemm|BenchmarkDgemm/1024|GFLOP/s|dgemm_1024_gflops"; do
		IFS='|' read -r label name bench unit key <<<"$row"
		ours=n/a
		if [[ -n ${ready[$name]:-} ]]; then
			ours=$(metric "$out/go-$name-t$threads.txt" "$bench" "$unit")
			[[ -n $ours ]] || die "no $unit on $bench in $out/go-$name-t$threads.txt"
		fi
		theirs=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$json" "$key") ||
			die "no $key in $json"
		rows+=("$label|$threads|$ours|$theirs")
	done
done

# One table, grouped by benchmark, thread counts together.
printf '%-26s %8s %12s %12s %9s\n' benchmark threads offrl pytorch ratio
for label in "td3bc update (updates/s)" "iql update (updates/s)" "vae update (updates/s)" \
	"a2pr update (updates/s)" \
	"sgemm 256 (GFLOP/s)" "sgemm 1024 (GFLOP/s)" "dgemm 256 (GFLOP/s)" "dgemm 1024 (GFLOP/s)"; do
	for row in "${rows[@]}"; do
		IFS='|' read -r l threads ours theirs <<<"$row"
		[[ $l == "$label" ]] || continue
		awk -v l="$l" -v t="$threads" -v a="$ours" -v b="$theirs" 'BEGIN {
			if (a == "n/a") printf "%-26s %8d %12s %12.1f %9s\n", l, t, "n/a", b, "n/a"
			else printf "%-26s %8d %12.1f %12.1f %8.2fx\n", l, t, a, b, a / b }'
	done
done
