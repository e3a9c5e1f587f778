#!/usr/bin/env bash
# Set up (or refresh) the project's virtual environment. Idempotent: safe to run every time.
#   VENV    where the venv lives (default .venv); CI points it outside the clone to reuse it.
#   PYTHON  the interpreter that creates it (default python3.11, else python3).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"

# A usable venv at $VENV, or a one-line error saying what is in the way (scripts/setup_venv.sh).
VENV="$VENV" PYTHON="$PYTHON" bash scripts/setup_venv.sh
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off)

# torch first, pinned to the builds that carry a working torchvision (a CUDA build that also
# runs on the CPU); elsewhere pip takes them from PyPI.
if [ "$(uname -m)" = "x86_64" ]; then
  "${PIP[@]}" -q "torch==2.14.1" "torchvision==0.29.1"
else
  "${PIP[@]}" -q "torch==2.9.1" "torchvision==0.24.1"
fi
"${PIP[@]}" -q -e ".[book,dev]"
# facenet-pytorch pins an old torch in its metadata; its MTCNN (weights inside the wheel) runs on
# current torch, so it is installed without its dependencies.
"${PIP[@]}" -q --no-deps "facenet-pytorch>=2.5"
"$VENV/bin/python" -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (sdr-book)" >/dev/null

if [ -f scripts/setup_book_assets.sh ]; then
  bash scripts/setup_book_assets.sh
fi
echo "[setup] ready: $("$VENV/bin/python" -c 'import torch, sdrlib; print("torch", torch.__version__, "| sdrlib", sdrlib.__version__)')"
