#!/bin/bash
# A seed sweep: array task k trains `train-agent --seed k` on one dataset
# into its own run directory $OFFRL_RUNS/<name>-seed-k/. Arguments to the
# script are passed on to train-agent (e.g. --algo iql --steps 1000000):
#
#   sbatch deploy/slurm/seed-sweep.sh --algo td3bc --steps 1000000
#
# Collect the dataset first (collect-array.sh and collect-merge.sh, or
# `collect` once): with a dataset name that is not cached, every task
# would start collecting the same dataset at once. A task that finds its
# run directory with a checkpoint (requeued after preemption, or
# resubmitted) continues it with `train-agent --resume`, which ignores the
# script's arguments: the run keeps its saved configuration.
#SBATCH --job-name=offrl-sweep
#SBATCH --array=0-4
#SBATCH --cpus-per-task=1
#SBATCH --mem=4G
#SBATCH --time=08:00:00
#SBATCH --requeue
set -euo pipefail

bin=${OFFRL_BIN:-$PWD/bin}               # train-agent, from go build -o bin/ ./cmd/...
dataset=${OFFRL_DATASET:-$PWD/data/hopper-random-v1}
runs=${OFFRL_RUNS:-$PWD/runs}
name=${OFFRL_NAME:-$(basename "$dataset")}
: "${SLURM_ARRAY_TASK_ID:?run this script as a job array: sbatch deploy/slurm/seed-sweep.sh}"
seed=$SLURM_ARRAY_TASK_ID
run="$runs/$name-seed-$seed"

if [[ -f "$run/checkpoint/state.json" || -f "$run/checkpoint.old/state.json" ]]; then
    exec "$bin/train-agent" --resume "$run"
fi
# Preempted before its first checkpoint: nothing to keep, start again.
rm -rf "$run"
mkdir -p "$runs"
exec "$bin/train-agent" --dataset "$dataset" --seed "$seed" --run-dir "$run" "$@"
