#!/usr/bin/env bash
# Celeb-DF-v2 -> dataset directory: the official 518-video test list, the protocol's test set.
#   RAW      Celeb-DF-v2 root (holds Celeb-real/, Celeb-synthesis/, YouTube-real/)  [required]
#   OUT      output directory                                    (default data/celebdf)
#   WORKERS  worker processes                                               (default 4)
# Extra arguments go to `sdr prepare celebdf` (e.g. --splits all to also prepare the other ~6k
# videos, as split train; the protocol never uses them).
set -euo pipefail
: "${RAW:?set RAW to the Celeb-DF-v2 root}"
exec "${SDR:-sdr}" prepare celebdf --root "$RAW" --out "${OUT:-data/celebdf}" --workers "${WORKERS:-4}" "$@"
