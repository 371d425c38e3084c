#!/usr/bin/env bash
# goldens.sh OUTDIR [ORACLE]
#
# Writes the golden files the Go MuJoCo tests compare against (the list and
# formats are in envs/mujoco/testdata/README.md). ORACLE (or $MJORACLE) names a built
# mjoracle; without one, the script builds it into a temporary folder.
#
# Every input is generated here from fixed seeds with exact integer
# arithmetic and printed with 6 decimals before it is fed to the oracle, and
# the inputs are written next to the outputs, so the text files, not this
# script's arithmetic, are the source of truth for the Go tests.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
models=$(cd "$here/../../envs/mujoco/models" && pwd)

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: goldens.sh OUTDIR [ORACLE]" >&2
  exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)

oracle=${2:-${MJORACLE:-}}
if [[ -z $oracle ]]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  oracle=$(bash "$here/build.sh" "$tmp")
fi
oracle=$(cd "$(dirname "$oracle")" && pwd)/$(basename "$oracle")
[[ -x $oracle ]] || { echo "goldens.sh: $oracle is not executable" >&2; exit 2; }

# Per model: seed, then the half-widths of the uniform noise on qpos / qvel
# for the "perturbed" rollout, the near-reset one-step states and the wide
# one-step states, then how many trailing coordinates are Reacher's target
# (kept inside the goal disc, zero velocity, as Gymnasium's reset does).
# The near-reset widths follow Gymnasium's reset noise (uniform here even
# where Gymnasium draws qvel from a normal); the wide ones reach states a
# falling or flailing agent visits.
#        model                     seed  pert.q pert.v near.q near.v wide.q wide.v tail
table="half_cheetah               101   0.1    0.1    0.1    0.1    0.5    2.0    0
       hopper                     202   0.02   0.1    0.005  0.005  0.1    1.0    0
       walker2d                   303   0.02   0.1    0.005  0.005  0.1    1.0    0
       inverted_pendulum          404   0.05   0.1    0.01   0.01   0.2    1.0    0
       inverted_double_pendulum   505   0.1    0.1    0.1    0.1    0.4    2.0    0
       reacher                    606   0.1    0.1    0.1    0.005  1.0    2.0    2
       swimmer                    707   0.1    0.1    0.1    0.1    0.5    1.0    0"

# Contact-rich tasks get an extra short "rest" rollout.
contact="half_cheetah hopper walker2d"

rollout_steps=200
rest_steps=50
onestep_cases=200

# gen MODE: prints input lines. Variables come from -v; numbers from the
# MINSTD generator x <- 48271 x mod (2^31-1), exact in double arithmetic.
read -r -d '' gen_awk <<'AWK' || true
function rnd() { x = (48271 * x) % 2147483647; return x / 2147483647 }
function uni(h) { return h * (2 * rnd() - 1) }
function state(pq, pv,   i, s, v) {
  s = ""
  for (i = 1; i <= nq; i++) {
    # Reacher's target: anywhere in a box inside the goal disc (radius 0.2)
    if (i > nq - tail) v = uni(0.14); else v = q0[i] + uni(pq)
    s = s (i > 1 ? " " : "") sprintf("%.6f", v)
  }
  for (i = 1; i <= nv; i++)
    s = s " " sprintf("%.6f", (i > nv - tail) ? 0 : uni(pv))
  return s
}
function sine(k,   j, s, mid, half) {
  s = ""
  for (j = 1; j <= nu; j++) {
    mid = (lo[j] + hi[j]) / 2; half = (hi[j] - lo[j]) / 2
    s = s (j > 1 ? " " : "") \
      sprintf("%.6f", mid + 0.8 * half * sin(0.15 * (1 + 0.25 * (j - 1)) * k + 1.1 * (j - 1)))
  }
  return s
}
function wide_action(   j, s, w) {
  s = ""
  for (j = 1; j <= nu; j++) {
    w = hi[j] - lo[j]   # 10% beyond each end, so MuJoCo's ctrl clamping is exercised
    s = s (j > 1 ? " " : "") sprintf("%.6f", lo[j] - 0.1 * w + 1.2 * w * rnd())
  }
  return s
}
BEGIN {
  x = seed
  nq = split(qpos0, q0, " "); nu = split(los, lo, " "); split(his, hi, " ")
  if (mode == "sine-qpos0" || mode == "rest") print "qpos0"
  if (mode == "sine-perturbed") print state(pq, pv)
  if (mode == "rest") for (k = 1; k <= steps; k++) print zero()
  if (mode ~ /^sine/) for (k = 1; k <= steps; k++) print sine(k)
  if (mode == "onestep") {
    # Visited states: rows of the sine-qpos0 rollout (contacts, larger
    # velocities), each nudged by the near-reset noise.
    nvis = 0
    while ((getline row < visited) > 0)
      if (row !~ /^#/ && row !~ /^0,/) vis[++nvis] = row
    for (c = 1; c <= steps; c++) {
      if (c <= 0.4 * steps) print state(nearq, nearv)
      else if (c <= 0.7 * steps) print state(wideq, widev)
      else print visited_state(vis[1 + int(rnd() * nvis)])
      print wide_action()
    }
  }
}
function visited_state(row,   f, i, s) {
  split(row, f, ",")  # step,time,ncon,qpos...,qvel...
  s = ""
  for (i = 1; i <= nq + nv; i++)
    s = s (i > 1 ? " " : "") sprintf("%.6f", f[3 + i] + uni(i <= nq ? nearq : nearv))
  return s
}
function zero(   j, s) { s = "0"; for (j = 2; j <= nu; j++) s = s " 0"; return s }
AWK

# info_field FILE KEY: the values of KEY's line.
info_field() { awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$1"; }

# ctrl_bounds FILE lo|hi: the actuators' control bounds, [-1,1] when unlimited.
ctrl_bounds() {
  awk -v want="$2" '
    $1 ~ /^actuator\.[0-9]+\.ctrllimited$/ { split($1, p, "."); lim[p[2]] = $2; n = p[2] + 1 }
    $1 ~ /^actuator\.[0-9]+\.ctrlrange$/   { split($1, p, "."); l[p[2]] = $2; h[p[2]] = $3 }
    END { for (a = 0; a < n; a++) printf "%s%s", (a ? " " : ""),
            lim[a] ? (want == "lo" ? l[a] : h[a]) : (want == "lo" ? -1 : 1); print "" }' "$1"
}

# rollout MODEL NAME: runs OUT/MODEL.rollout-NAME.in through the oracle.
rollout() {
  (cd "$models" && "$oracle" rollout "$1.xml") \
    <"$out/$1.rollout-$2.in" >"$out/$1.rollout-$2.csv"
}

# onestep MODEL INPUT: one oracle call per (state, action) pair of INPUT;
# each output row joins row 0 (the state as MuJoCo holds it), the action as
# fed, and row 1 (after one env step).
onestep() {
  local model=$1 input=$2 nq nv nu c=0 st act res
  nq=$(info_field "$out/$model.info" nq)
  nv=$(info_field "$out/$model.info" nv)
  nu=$(info_field "$out/$model.info" nu)
  awk -v nq="$nq" -v nv="$nv" -v nu="$nu" 'BEGIN {
    printf "#case"; for (i = 0; i < nq; i++) printf ",qpos%d", i
    for (i = 0; i < nv; i++) printf ",qvel%d", i
    for (i = 0; i < nu; i++) printf ",act%d", i
    printf ",next_ncon"; for (i = 0; i < nq; i++) printf ",next_qpos%d", i
    for (i = 0; i < nv; i++) printf ",next_qvel%d", i; print "" }'
  while IFS= read -r st && IFS= read -r act; do
    c=$((c + 1))
    res=$(printf '%s\n%s\n' "$st" "$act" | (cd "$models" && "$oracle" rollout "$model.xml"))
    awk -F, -v c="$c" -v act="$act" 'NR == 2 { before = $0 } NR == 3 { after = $0 }
      END { nb = split(before, b, ","); na = split(after, a, ",")
            line = c; for (i = 4; i <= nb; i++) line = line "," b[i]
            n = split(act, u, " "); for (i = 1; i <= n; i++) line = line "," u[i]
            line = line "," a[3]; for (i = 4; i <= na; i++) line = line "," a[i]
            print line }' <<<"$res"
  done <"$input"
}

while read -r model seed pertq pertv nearq nearv wideq widev tail; do
  [[ -n $model ]] || continue
  echo "goldens.sh: $model" >&2
  info="$out/$model.info"
  (cd "$models" && "$oracle" info "$model.xml") >"$info"
  gen=(awk -v qpos0="$(info_field "$info" qpos0)" -v nv="$(info_field "$info" nv)"
       -v los="$(ctrl_bounds "$info" lo)" -v his="$(ctrl_bounds "$info" hi)"
       -v tail="$tail" -v pq="$pertq" -v pv="$pertv" -v nearq="$nearq" -v nearv="$nearv"
       -v wideq="$wideq" -v widev="$widev")

  "${gen[@]}" -v mode=sine-qpos0 -v steps=$rollout_steps -v seed=$((seed * 1000 + 1)) \
    "$gen_awk" >"$out/$model.rollout-sine-qpos0.in"
  "${gen[@]}" -v mode=sine-perturbed -v steps=$rollout_steps -v seed=$((seed * 1000 + 2)) \
    "$gen_awk" >"$out/$model.rollout-sine-perturbed.in"
  rollout "$model" sine-qpos0
  rollout "$model" sine-perturbed
  if [[ " $contact " == *" $model "* ]]; then
    "${gen[@]}" -v mode=rest -v steps=$rest_steps -v seed=$((seed * 1000 + 3)) \
      "$gen_awk" >"$out/$model.rollout-rest.in"
    rollout "$model" rest
  fi

  pairs=$(mktemp)
  "${gen[@]}" -v mode=onestep -v steps=$onestep_cases -v seed=$((seed * 1000 + 4)) \
    -v visited="$out/$model.rollout-sine-qpos0.csv" \
    "$gen_awk" >"$pairs"
  onestep "$model" "$pairs" >"$out/$model.onestep.csv"
  rm -f "$pairs"
done <<<"$table"

# Episode statistics under random actions (TestRandomEpisodeLengths); not in
# SHA256SUMS, which covers the per-model files.
bash "$here/random-stats.sh" "$out/random-stats.txt" "$oracle"

# Checksums let a test (or a reviewer) see at a glance that nothing drifted.
(cd "$out" && sha256sum -- *.info *.in *.csv >SHA256SUMS)
echo "goldens.sh: wrote $(wc -l <"$out/SHA256SUMS") files and SHA256SUMS to $out" >&2
