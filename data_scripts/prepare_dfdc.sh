#!/usr/bin/env bash
# DFDC public test set -> dataset directory (test only).
#   RAW      a folder below which the test videos <id>.mp4 lie                  [required]
#   OUT      output directory                                       (default data/dfdc)
#   SUBSET   3215 (LipForensics/RealForensics/FTCN subset, the paper's) or full (5000)
#   WORKERS  worker processes                                               (default 4)
# DFDC has several people in some videos: add --set all_tracks=true to keep every face.
set -euo pipefail
: "${RAW:?set RAW to the folder holding the DFDC test videos}"
exec "${SDR:-sdr}" prepare dfdc --root "$RAW" --out "${OUT:-data/dfdc}" --subset "${SUBSET:-3215}" \
  --workers "${WORKERS:-4}" "$@"
