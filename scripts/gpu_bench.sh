#!/usr/bin/env bash
# The GPU check of docs/performance.md, in one run on one card (e.g. an H100):
#   1. `sdr bench` at the paper's size: 32x224x224 clips, 16 trunk views per step, K = 4,
#      bf16 autocast + channels_last_3d + torch.compile (plus the naive fp32 SDR variant);
#   2. the plain-PyTorch FTCN reference (ftcn_reference_bench.py, kept outside this repository)
#      at the same size, measured on the same card in the same run;
#   3. a summary: SDR clips/s against the ceiling (reference bf16+cl3d+compile views/s / K) and
#      the project's target (>= 90 % of it).
# Environment:
#   FTCN_REF  path of ftcn_reference_bench.py (default ../shared/tools/ftcn_reference_bench.py)
#   VENV      virtual environment (default .venv)
#   OUT       folder for the JSON results (default bench_out)
#   MODELS    models for sdr bench (default "ftcn sdr"; add i3d if wanted)
#   BATCH     trunk views per step (default 16, as in docs/performance.md)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
OUT="${OUT:-bench_out}"
MODELS="${MODELS:-ftcn sdr}"
BATCH="${BATCH:-16}"
FTCN_REF="${FTCN_REF:-../shared/tools/ftcn_reference_bench.py}"
if [ ! -f "$FTCN_REF" ]; then
  echo "gpu_bench: FTCN reference not found at '$FTCN_REF'; set FTCN_REF" >&2
  exit 2
fi
"$VENV/bin/python" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'gpu_bench: no CUDA device')"
mkdir -p "$OUT"

echo "== sdr bench (32x224x224, $BATCH views/step, K=4, bf16 + channels_last_3d + compile) =="
# shellcheck disable=SC2086  # MODELS is a word list on purpose
"$VENV/bin/sdr" bench --model $MODELS --frames 32 --size 224 --batch "$BATCH" --K 4 \
  --precision bf16 --channels-last --compile --no-progress --json "$OUT/sdr_bench.json"

echo
echo "== FTCN reference: $FTCN_REF (B=$BATCH T=32 R=224) =="
B="$BATCH" T=32 R=224 OUT="$OUT" "$VENV/bin/python" "$FTCN_REF"

echo
echo "== summary =="
"$VENV/bin/python" - "$OUT/sdr_bench.json" "$OUT/calib.json" <<'PY'
import json, sys

ours = json.load(open(sys.argv[1]))
ref = json.load(open(sys.argv[2]))
k = ours["config"]["K"]
rows = {r["model"]: r for r in ours["rows"]}
best = {r["variant"]: r for r in ref["rows"] if "views_per_s" in r}.get("bf16+cl3d+compile")
print(f"device: {ours['device']}, torch {ours['torch_version']}")
for name, row in rows.items():
    print(f"sdr bench {name:10s} {row['variant']:20s} views/s {row['views_per_s']:8.1f}  "
          f"SDR clips/s {row['sdr_clips_per_s']:7.1f}  TFLOP/s {row['tflops']:6.1f}  peak GiB {row['peak_mem_gib']:5.1f}")
if best is None:
    print("reference: bf16+cl3d+compile row missing or failed:", ref["rows"])
    sys.exit(1)
ceiling = best["views_per_s"] / k
print(f"reference bf16+cl3d+compile: {best['views_per_s']:.1f} views/s -> SDR ceiling {ceiling:.1f} clips/s (K={k})")
if "ftcn" in rows:
    print(f"our ftcn vs reference: {rows['ftcn']['views_per_s'] / best['views_per_s']:.3f}")
if "sdr" in rows:
    ratio = rows["sdr"]["sdr_clips_per_s"] / ceiling
    verdict = "meets" if ratio >= 0.9 else "misses"
    print(f"our SDR: {rows['sdr']['sdr_clips_per_s']:.1f} clips/s = {ratio:.3f} of the ceiling ({verdict} the 0.9 target)")
PY
