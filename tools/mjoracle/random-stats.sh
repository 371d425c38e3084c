#!/usr/bin/env bash
# random-stats.sh OUTFILE [ORACLE]
#
# Writes MuJoCo's episode statistics under uniform random actions
# (mjoracle bench: the task's reset noise, termination and episode limit)
# for the seven tasks to OUTFILE, the golden file the Go test
# TestRandomEpisodeLengths compares our environments with. Only the
# deterministic counters are kept (no timings), so the file is identical
# from run to run. ORACLE (or $MJORACLE) names a built mjoracle; without
# one, the script builds it into a temporary folder.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
models=$(cd "$here/../../envs/mujoco/models" && pwd)

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: random-stats.sh OUTFILE [ORACLE]" >&2
  exit 2
fi
outfile=$1
oracle=${2:-${MJORACLE:-}}
if [[ -z $oracle ]]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  oracle=$(bash "$here/build.sh" "$tmp")
fi
oracle=$(cd "$(dirname "$oracle")" && pwd)/$(basename "$oracle")
[[ -x $oracle ]] || { echo "random-stats.sh: $oracle is not executable" >&2; exit 2; }

steps=50000
seed=1
{
  echo "# MuJoCo episode statistics under uniform random actions: for each model,"
  echo "# mjoracle bench MODEL.xml --steps $steps --seed $seed (tools/mjoracle/random-stats.sh)."
  echo "# $("$oracle" version)"
  echo "# Mean episode length = env_steps / episodes (episodes started)."
  echo "# model env_steps episodes terminations truncations unstable"
  for model in half_cheetah hopper walker2d inverted_pendulum inverted_double_pendulum \
    reacher swimmer; do
    (cd "$models" && "$oracle" bench "$model.xml" --steps "$steps" --seed "$seed") |
      awk -v model="$model" '{ v[$1] = $2 }
        END { print model, v["env_steps"], v["episodes"], v["terminations"],
                    v["truncations"], v["unstable"] }'
  done
} >"$outfile"
echo "random-stats.sh: wrote $outfile" >&2
