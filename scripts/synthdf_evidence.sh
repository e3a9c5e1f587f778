#!/usr/bin/env bash
# Evidence that SynthDF means something (docs/benchmark.md): the tiny profile's data, the four
# table2 models, in-domain and cross-domain AUC, and the spatial-dependency diagnostic.
#   - ftcn and sdr: the tiny profile's own runs (100 steps, seed 0; the book's table2 adds seeds 1
#     and 2), through the cached experiment grids;
#   - frame2d and i3d: 400 steps (they barely start learning in the profile's 100); frame2d trains
#     on 8 frames per clip instead of the profile's 2.
# Usage: bash scripts/synthdf_evidence.sh [OUT]   (default runs/evidence; ~8 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-runs/evidence}"
SDR="${VENV:-.venv}/bin/sdr"
PY="${VENV:-.venv}/bin/python"
mkdir -p "$OUT"
DATA=$("$PY" -c "from sdrlib.engine.profiles import load_run_config; from sdrlib.engine.data import resolve_roots; print(resolve_roots(load_run_config('tiny').data)[0])")
FFPP=ffpp-df,ffpp-f2f,ffpp-fs,ffpp-nt
"$SDR" experiment table2 --profile tiny --seeds 0 --out "$OUT/table2" --no-progress
"$SDR" experiment diagnose --profile tiny --out "$OUT/diagnose" --no-progress
for model in frame2d i3d; do
  extra=()
  [ "$model" = frame2d ] && extra=(--set model.options.train_frames=8)
  [ -f "$OUT/$model/summary.json" ] || "$SDR" train --config tiny --set model.name=$model --set train.steps=400 \
      --set train.eval_every=100 "${extra[@]}" --out "$OUT/$model" --no-progress
  "$SDR" evaluate --checkpoint "$OUT/$model" --data "$DATA" --out "$OUT/$model/eval" --no-progress
  "$SDR" diagnose --checkpoint "$OUT/$model" --data "$DATA" --domains "$FFPP" --out "$OUT/$model/diagnose" --no-progress
done
