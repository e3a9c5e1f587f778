#!/usr/bin/env bash
# FaceForensics++ -> dataset directory of face tracks (official split; see data_scripts/README.md).
#   RAW          FF++ root (holds original_sequences/ and manipulated_sequences/)  [required]
#   OUT          output directory                       (default data/ffpp_${COMPRESSION})
#   COMPRESSION  c23 (HQ, the paper's protocol), c40 or raw                    (default c23)
#   WORKERS      worker processes                                                (default 4)
# Extra arguments go to `sdr prepare ffpp` (e.g. --methods df,f2f,fs,nt --limit 20).
set -euo pipefail
: "${RAW:?set RAW to the FaceForensics++ root}"
COMPRESSION="${COMPRESSION:-c23}"
exec "${SDR:-sdr}" prepare ffpp --root "$RAW" --out "${OUT:-data/ffpp_${COMPRESSION}}" \
  --compression "$COMPRESSION" --workers "${WORKERS:-4}" "$@"
