#!/usr/bin/env bash
# bench-envs.sh [STEPS]
#
# Env steps per second of the seven MuJoCo tasks, offrl (BenchmarkEnvStep in
# envs/mujoco: the registered env, uniform random actions, resets on
# episode end, single thread) next to MuJoCo 2.2.2 (`mjoracle bench` on
# the same model for the same number of steps), with the ratio
# offrl/MuJoCo. Builds the oracle with tools/mjoracle/build.sh, which
# installs libmujoco-dev when missing. Run from anywhere; prints a
# Markdown table on stdout, progress on stderr.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
steps=${1:-20000}
[[ $steps =~ ^[1-9][0-9]*$ ]] || { echo "usage: bench-envs.sh [STEPS]" >&2; exit 2; }
go=${GO:-go}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
oracle=$(bash "$root/tools/mjoracle/build.sh" "$tmp/mjo")

echo "bench-envs.sh: Go benchmarks, $steps steps per task" >&2
(cd "$root" && "$go" test -run '^$' -bench '^BenchmarkEnvStep$' -benchtime "${steps}x" \
  -count 1 ./envs/mujoco) >"$tmp/go.txt"

# id model: the registry ID and the oracle's model file.
tasks="HalfCheetah-v4 half_cheetah
Hopper-v4 hopper
Walker2d-v4 walker2d
InvertedPendulum-v4 inverted_pendulum
InvertedDoublePendulum-v4 inverted_double_pendulum
Reacher-v4 reacher
Swimmer-v4 swimmer"

echo "| task | offrl steps/s | MuJoCo steps/s | ratio offrl/MuJoCo |"
echo "| --- | ---: | ---: | ---: |"
while read -r id model; do
  echo "bench-envs.sh: mjoracle bench $model" >&2
  ours=$(awk -v name="BenchmarkEnvStep/$id" '
    index($1, name) == 1 { for (i = 2; i < NF; i++) if ($(i + 1) == "steps/s") print $i }' \
    "$tmp/go.txt")
  if [[ -z $ours ]]; then
    echo "bench-envs.sh: no Go result for $id" >&2
    cat "$tmp/go.txt" >&2
    exit 1
  fi
  theirs=$(cd "$root/envs/mujoco/models" &&
    "$oracle" bench "$model.xml" --steps "$steps" | awk '$1 == "env_steps_per_sec" { print $2 }')
  awk -v id="$id" -v a="$ours" -v b="$theirs" \
    'BEGIN { printf "| %s | %.0f | %.0f | %.2f |\n", id, a, b, a / b }'
done <<<"$tasks"
