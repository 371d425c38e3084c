#!/usr/bin/env bash
# Makes the README's pictures in docs/ with the commands a user runs: a
# screenshot of the viewer under Xvfb, and rollout.gif and curve.png of the
# default train-agent run (which collects pendulum-medium-v0 into the
# dataset cache first if it is missing).
#
#   bash tools/readme-pictures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p docs
xvfb-run -a -s "-screen 0 1024x768x24" go run ./cmd/view --env Hopper-v4 --seed 3 \
	--width 480 --height 320 --paused --frames 30 --screenshot docs/viewer-hopper.png
go run ./cmd/train-agent --run-dir "$tmp/run" --log-level warn
cp "$tmp/run/rollout.gif" docs/rollout-pendulum.gif
cp "$tmp/run/curve.png" docs/curve-pendulum.png
ls -l docs
