#!/usr/bin/env bash
# FaceForensics++ -> dataset directory of face tracks (official split; see data_scripts/README.md).
#   RAW          FF++ root (holds original_sequences/ and manipulated_sequences/)  [required]
#   OUT          output directory                       (default data/ffpp_${COMPRESSION})
#   COMPRESSION  c23 (HQ, the paper's protocol), c40 or raw                    (default c23)
#   WORKERS      worker processes                                                (default 4)
# By default the protocol's sets: the originals and DF, F2F, FS, NT (--methods all adds FaceShifter
# and DeepFakeDetection). The default OUT is where configs/paper.yaml reads FF++ (c23).
# Extra arguments go to `sdr prepare ffpp` (e.g. --methods all --limit 20).
set -euo pipefail
: "${RAW:?set RAW to the FaceForensics++ root}"
COMPRESSION="${COMPRESSION:-c23}"
exec "${SDR:-sdr}" prepare ffpp --root "$RAW" --out "${OUT:-data/ffpp_${COMPRESSION}}" \
  --compression "$COMPRESSION" --workers "${WORKERS:-4}" "$@"
