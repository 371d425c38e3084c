#!/bin/bash
# One shard of a sharded collection per array task: task k runs
# `collect --shard k/N` with N = the array's task count, writing
# $OFFRL_OUT.shards/shard-0000k-of-0000N/. Then collect-merge.sh joins the
# shards into $OFFRL_OUT:
#
#   jid=$(sbatch --parsable deploy/slurm/collect-array.sh)
#   sbatch --dependency=afterok:$jid deploy/slurm/collect-merge.sh
#
# Keep --array=0-(N-1) and collect-merge.sh's OFFRL_SHARDS equal. When
# resubmitting only some tasks (--array=3,5), the task count changes:
# pass the real count, e.g. sbatch --export=ALL,OFFRL_SHARDS=8 --array=3,5.
# A requeued or resubmitted task resumes its shard from its last finished
# part; a finished shard is checked and kept. The variables below may be
# overridden from the environment (sbatch --export=ALL,OFFRL_STEPS=...).
#SBATCH --job-name=offrl-collect
#SBATCH --array=0-7
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --time=04:00:00
#SBATCH --requeue
set -euo pipefail

bin=${OFFRL_BIN:-$PWD/bin}               # collect, from go build -o bin/ ./cmd/...
env_id=${OFFRL_ENV:-Hopper-v4}
kind=${OFFRL_KIND:-random}
steps=${OFFRL_STEPS:-1000000}
seed=${OFFRL_SEED:-0}
part_rows=${OFFRL_PART_ROWS:-250000}
out=${OFFRL_OUT:-$PWD/data/hopper-random-v1}
: "${SLURM_ARRAY_TASK_ID:?run this script as a job array: sbatch deploy/slurm/collect-array.sh}"
shards=${OFFRL_SHARDS:-${SLURM_ARRAY_TASK_COUNT:?SLURM_ARRAY_TASK_COUNT is not set}}

exec "$bin/collect" --env "$env_id" --kind "$kind" --steps "$steps" --seed "$seed" \
    --part-rows "$part_rows" --out "$out" --shard "$SLURM_ARRAY_TASK_ID/$shards"
