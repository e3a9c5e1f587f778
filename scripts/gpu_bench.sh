#!/usr/bin/env bash
# The GPU check of docs/performance.md, in one run on one card (e.g. an H100):
#   1. `sdr bench` at the paper's size: 32x224x224 clips, 16 trunk views per step, K = 4,
#      bf16 autocast + channels_last_3d + torch.compile (plus the naive fp32 SDR variant);
#   2. the plain-PyTorch FTCN reference (ftcn_reference_bench.py, kept outside this repository)
#      at the same size, measured on the same card in the same run;
#   3. the clip loader (`sdr bench --data DIR`): clips/s per worker count on prepared face tracks of
#      real faces, decode / transform / collation per clip, and the workers the GPU needs;
#   4. a summary: SDR clips/s against the ceiling (reference bf16+cl3d+compile views/s / K) and
#      the project's target (>= 90 % of it), and the loader's rate against SDR's.
# Nothing is installed: run it with a virtual environment carried to the machine.
# Environment:
#   FTCN_REF       path of ftcn_reference_bench.py (default ../shared/tools/ftcn_reference_bench.py)
#   VENV           virtual environment (default .venv)
#   OUT            folder for the JSON results (default bench_out)
#   MODELS         models for sdr bench (default "ftcn sdr"; add i3d if wanted)
#   BATCH          trunk views per step (default 16, as in docs/performance.md)
#   LOADER_DATA    prepared directory for the loader benchmark; default: prepare LOADER_VIDEOS first
#   LOADER_VIDEOS  labelled folder of real videos (default ../shared/videos); its first LOADER_LIMIT
#                  (default 24) videos are prepared into $OUT/loader_data. Without either, the
#                  loader section is skipped with a message.
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
LOADER_VIDEOS="${LOADER_VIDEOS:-../shared/videos}"
LOADER_LIMIT="${LOADER_LIMIT:-24}"
if [ -z "${LOADER_DATA:-}" ] && [ -d "$LOADER_VIDEOS" ]; then
  echo "== preparing $LOADER_LIMIT videos of $LOADER_VIDEOS into $OUT/loader_data (face tracks) =="
  LOADER_DATA="$OUT/loader_data"
  # exit status 3 = some videos gave no face track: the others are enough to time the loader
  "$VENV/bin/sdr" prepare folder --root "$LOADER_VIDEOS" --out "$LOADER_DATA" --limit "$LOADER_LIMIT" \
    --workers "$(nproc)" --device cpu --no-progress || [ $? -eq 3 ]
fi
if [ -n "${LOADER_DATA:-}" ] && [ -f "$LOADER_DATA/manifest.csv" ]; then
  echo "== clip loader: sdr bench --data $LOADER_DATA (32x224x224 clips, workers 1 2 4 8 $(nproc)) =="
  "$VENV/bin/sdr" bench --data "$LOADER_DATA" --frames 32 --workers 1 2 4 8 "$(nproc)" --iters 16 \
    --profile paper --no-progress --json "$OUT/loader_bench.json"
else
  echo "== clip loader: skipped (set LOADER_DATA to a prepared directory, or LOADER_VIDEOS to videos) =="
fi

echo
echo "== summary =="
"$VENV/bin/python" - "$OUT/sdr_bench.json" "$OUT/calib.json" "$OUT/loader_bench.json" <<'PY'
import json, math, os, sys

ours = json.load(open(sys.argv[1]))
ref = json.load(open(sys.argv[2]))
loader = json.load(open(sys.argv[3])) if os.path.exists(sys.argv[3]) else None
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
if loader is not None:
    best = max(loader["rows"], key=lambda r: r["clips_per_s"])
    per_core = loader["stages"]["clips_per_core"]
    print(f"loader: {per_core:.1f} clips/s per core (CPU); {best['clips_per_s']:.1f} clips/s with {best['workers']} workers")
    for name in ("sdr", "ftcn"):
        if name in rows:
            need = rows[name]["clips_per_s"]
            print(f"feeding our {name} ({need:.1f} clips/s) takes {math.ceil(need / per_core)} loader workers")
PY
