#!/usr/bin/env bash
# Split a dataset over a SLURM array job, then merge the shards into one manifest.
#   OUT=/scratch/ffpp_c23 bash data_scripts/slurm_submit.sh 16 ffpp --root /data/FaceForensics++
# The first argument is the number of shards; the rest is `sdr prepare DATASET ...` without --out.
set -euo pipefail
: "${OUT:?set OUT to the dataset directory}"
SHARDS="${1:?usage: OUT=DIR slurm_submit.sh N_SHARDS DATASET --root RAW [options]}"
shift
mkdir -p logs
export OUT
here="$(cd "$(dirname "$0")" && pwd)"
job=$(sbatch --parsable --export=ALL --array="0-$((SHARDS - 1))" "$here/slurm_prepare.sbatch" "$@")
# afterany: merge even when some shards ended with failed videos (exit 3).
sbatch --export=ALL --dependency="afterany:${job}" --job-name=sdr-prepare-merge \
  --output=logs/sdr-prepare-merge-%j.out --wrap "${SDR:-sdr} prepare merge --out '$OUT' --shards $SHARDS"
echo "submitted array job $job ($SHARDS shards) and its merge job"
