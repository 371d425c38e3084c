#!/usr/bin/env bash
# random-stats.sh OUTFILE [ORACLE]
#
# Writes MuJoCo's episode statistics under uniform random actions
# (mjoracle bench: the task's reset noise, termination and episode limit)
# for the seven tasks to OUTFILE, the golden file the Go test
# TestRandomEpisodeLengths compares our environments with. Only the
# deterministic counters are kept (no timings), so the file is identical
# from run to run. With --stats the oracle also reports mean returns and
# per-step qpos[1] / qvel[0] statistics (the "stats" lines), which
# TestRandomPolicyStats reads. ORACLE (or $MJORACLE) names a built
# mjoracle; without one, the script builds it into a temporary folder.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
models_dir=$(cd "$here/../../envs/mujoco/models" && pwd)

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: random-stats.sh OUTFILE [ORACLE]" >&2
  exit 2
fi
outfile=$1
oracle=${2:-${MJORACLE:-}}
tmp="" runs=""
trap 'rm -rf ${tmp:+"$tmp"} ${runs:+"$runs"}' EXIT
if [[ -z $oracle ]]; then
  tmp=$(mktemp -d)
  oracle=$(bash "$here/build.sh" "$tmp")
fi
oracle=$(cd "$(dirname "$oracle")" && pwd)/$(basename "$oracle")
[[ -x $oracle ]] || { echo "random-stats.sh: $oracle is not executable" >&2; exit 2; }

steps=50000
seed=1
models="half_cheetah hopper walker2d inverted_pendulum inverted_double_pendulum reacher swimmer"
runs=$(mktemp -d)
for model in $models; do
  (cd "$models_dir" && "$oracle" bench "$model.xml" --steps "$steps" --seed "$seed" --stats) \
    >"$runs/$model"
done
{
  echo "# MuJoCo episode statistics under uniform random actions: for each model,"
  echo "# mjoracle bench MODEL.xml --steps $steps --seed $seed --stats"
  echo "# (tools/mjoracle/random-stats.sh)."
  echo "# $("$oracle" version)"
  echo "# Mean episode length = env_steps / episodes (episodes started)."
  echo "# model env_steps episodes terminations truncations unstable"
  for model in $models; do
    awk -v model="$model" '{ v[$1] = $2 }
      END { print model, v["env_steps"], v["episodes"], v["terminations"],
                  v["truncations"], v["unstable"] }' "$runs/$model"
  done
  echo "# Gymnasium v4 returns of complete episodes and per-step qpos[1], qvel[0]"
  echo "# (mean, std, and their standard errors with episodes as the samples):"
  echo "# stats model key value key value ..."
  for model in $models; do
    awk -v model="$model" '
      BEGIN { n = split("return_episodes return_mean return_std qpos1_mean qpos1_mean_se " \
                        "qpos1_std qpos1_std_se qvel0_mean qvel0_mean_se qvel0_std " \
                        "qvel0_std_se", keys, " ") }
      { v[$1] = $2 }
      END { line = "stats " model
            for (i = 1; i <= n; i++) line = line " " keys[i] " " v[keys[i]]
            print line }' "$runs/$model"
  done
} >"$outfile"
echo "random-stats.sh: wrote $outfile" >&2
