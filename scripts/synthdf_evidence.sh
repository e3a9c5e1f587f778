#!/usr/bin/env bash
# The evidence that SynthDF can decide the question (docs/benchmark.md): the tiny profile's Table 2
# grid (four models, three seeds, each with its own training settings), the spatial-dependency
# diagnostic of those runs and the control grid (fakes without temporal artifacts), each table
# with 95 % intervals. The runs are those of `sdr reproduce --profile tiny` (shared cache).
# Usage: bash scripts/synthdf_evidence.sh [OUT]   (default runs/evidence; ~9 min on 2 cores cold)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-runs/evidence}"
SDR="${VENV:-.venv}/bin/sdr"
mkdir -p "$OUT"
for grid in table2 diagnose control; do
  "$SDR" experiment "$grid" --profile tiny --out "$OUT/$grid" --no-progress
  echo "## $grid"
  cat "$OUT/$grid/table.md"
done
