#!/bin/bash
# Joins the shards written by collect-array.sh into the dataset $OFFRL_OUT
# (manifest.json + part-NNNNN.parquet), after the array has finished:
#
#   jid=$(sbatch --parsable deploy/slurm/collect-array.sh)
#   sbatch --dependency=afterok:$jid deploy/slurm/collect-merge.sh
#
# It runs the array's collect command with --shards N --merge instead of
# --shard: a missing or unfinished shard, or one collected with other
# flags, is an error naming it. The dataset is byte-identical to one
# `collect ... --shards N` run. Use the same OFFRL_* overrides as the array.
#SBATCH --job-name=offrl-collect-merge
#SBATCH --cpus-per-task=1
#SBATCH --mem=4G
#SBATCH --time=01:00:00
set -euo pipefail

bin=${OFFRL_BIN:-$PWD/bin}
env_id=${OFFRL_ENV:-Hopper-v4}
kind=${OFFRL_KIND:-random}
steps=${OFFRL_STEPS:-1000000}
seed=${OFFRL_SEED:-0}
part_rows=${OFFRL_PART_ROWS:-250000}
out=${OFFRL_OUT:-$PWD/data/hopper-random-v1}
shards=${OFFRL_SHARDS:-8}                # the array's task count, --array=0-7

exec "$bin/collect" --env "$env_id" --kind "$kind" --steps "$steps" --seed "$seed" \
    --part-rows "$part_rows" --out "$out" --shards "$shards" --merge
