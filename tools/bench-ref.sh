#!/usr/bin/env bash
# Runs offrl's update and GEMM benchmarks next to the PyTorch CPU reference
# (tools/bench/torch_ref.py) at 1 and 2 threads, in one sitting, and prints
# a ratio table (offrl / PyTorch; above 1 means offrl is faster).
#
# Needs Debian's python3-torch and libopenblas0-pthread (`make bench-ref`
# installs them). Close other work first: the numbers are only comparable
# within one quiet run.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-/usr/bin/python3}
benchtime=${BENCHTIME:-5s}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/td3bc.test" ./agents/td3bc
go test -c -o "$tmp/nn.test" ./nn

# metric FILE NAME UNIT prints the value of UNIT on the benchmark line NAME.
metric() {
	awk -v name="$2" -v unit="$3" '$1 ~ name { for (i = 2; i < NF; i++) if ($(i+1) == unit) print $i }' "$1" | tail -n 1
}

printf '%-28s %8s %14s %14s %8s\n' benchmark threads offrl pytorch ratio
for threads in 1 2; do
	"$tmp/td3bc.test" -test.run '^$' -test.bench '^BenchmarkUpdate$' -test.benchtime "$benchtime" \
		-test.cpu "$threads" > "$tmp/go-td3bc.txt"
	"$tmp/nn.test" -test.run '^$' -test.bench '^BenchmarkGEMM$' -test.benchtime "$benchtime" \
		-test.cpu "$threads" > "$tmp/go-gemm.txt"
	"$python" tools/bench/torch_ref.py --threads "$threads" > "$tmp/torch.json"

	go_td3=$(metric "$tmp/go-td3bc.txt" '^BenchmarkUpdate' 'updates/s')
	go_g256=$(metric "$tmp/go-gemm.txt" '^BenchmarkGEMM/256' 'GFLOP/s')
	go_g1024=$(metric "$tmp/go-gemm.txt" '^BenchmarkGEMM/1024' 'GFLOP/s')
	read -r py_td3 py_g256 py_g1024 < <("$python" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["td3bc_updates_per_s"], d["gemm_256_gflops"], d["gemm_1024_gflops"])' "$tmp/torch.json")

	for row in "td3bc update (updates/s)|$go_td3|$py_td3" \
		"gemm 256 float32 (GFLOP/s)|$go_g256|$py_g256" \
		"gemm 1024 float32 (GFLOP/s)|$go_g1024|$py_g1024"; do
		IFS='|' read -r name ours theirs <<<"$row"
		awk -v n="$name" -v t="$threads" -v a="$ours" -v b="$theirs" \
			'BEGIN { printf "%-28s %8d %14.1f %14.1f %7.2fx\n", n, t, a, b, a / b }'
	done
done
