#!/usr/bin/env bash
# Celeb-DF-v2 -> dataset directory (official 518-video test list = test, the rest = train).
#   RAW      Celeb-DF-v2 root (holds Celeb-real/, Celeb-synthesis/, YouTube-real/)  [required]
#   OUT      output directory                                    (default data/celebdf)
#   WORKERS  worker processes                                               (default 4)
# Extra arguments go to `sdr prepare celebdf` (e.g. --splits test to prepare the test set only).
set -euo pipefail
: "${RAW:?set RAW to the Celeb-DF-v2 root}"
exec "${SDR:-sdr}" prepare celebdf --root "$RAW" --out "${OUT:-data/celebdf}" --workers "${WORKERS:-4}" "$@"
