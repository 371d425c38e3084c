#!/usr/bin/env bash
# Builds mjoracle into OUTDIR (default: ./out relative to the caller) and
# prints the binary's path. Installs gcc and libmujoco-dev with apt-get when
# missing. Never writes next to this script, so the source tree stays clean.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
outdir=${1:-out}

need=()
command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
[[ -f /usr/include/mujoco/mujoco.h ]] || need+=(libmujoco-dev)
if ((${#need[@]})); then
  # sudo only when we are not root; apt output goes to stderr so stdout
  # carries nothing but the binary's path.
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  echo "build.sh: installing ${need[*]}" >&2
  "${sudo[@]}" apt-get update >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends \
    "${need[@]}" >&2
fi

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
if [[ $outdir == "$here" || $outdir == "$here"/* ]]; then
  echo "build.sh: refusing to build into the source folder $here" >&2
  exit 2
fi
gcc -std=c99 -O2 -Wall -Wextra -o "$outdir/mjoracle" "$here/mjoracle.c" -lmujoco -lm
echo "$outdir/mjoracle"
