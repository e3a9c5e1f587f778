#!/usr/bin/env bash
# Make sure "$VENV" is a usable virtual environment; the first step of scripts/setup.sh.
#   VENV          where the venv lives (default .venv, relative to the repository root)
#   PYTHON        the interpreter that creates it (default python3.11, else python3)
#   VENV_OPTIONS  extra options for "python -m venv" (the tests pass --without-pip)
# What it finds at "$VENV", and what it does:
#   a venv whose bin/python runs     -> keeps it
#   nothing, or an empty folder      -> creates the venv
#   a dangling symbolic link         -> removes the link (it points to a folder of another
#                                       machine or a deleted one) and creates the venv in its place
#   a folder with pyvenv.cfg but no working bin/python (moved, or its Python removed)
#                                    -> recreates the venv (python -m venv --clear)
#   anything else (a file, a folder that is not a venv)
#                                    -> stops with a one-line error, touching nothing
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
read -r -a OPTIONS <<< "${VENV_OPTIONS:-}"

fail() {
  echo "[setup] error: $*" >&2
  exit 2
}

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "" 2>/dev/null; then
  exit 0
fi
if [ -L "$VENV" ] && [ ! -e "$VENV" ]; then
  echo "[setup] $VENV is a symbolic link to $(readlink "$VENV"), which does not exist here: replacing it with a new virtual environment"
  rm "$VENV"
elif [ -e "$VENV" ] && [ ! -d "$VENV" ]; then
  fail "$VENV exists and is not a folder; move it away or choose another place with VENV=/path/to/venv"
elif [ -f "$VENV/pyvenv.cfg" ]; then
  echo "[setup] $VENV is a virtual environment whose Python does not run (moved, or its interpreter removed): recreating it"
  OPTIONS+=(--clear)
elif [ -d "$VENV" ] && [ -n "$(ls -A "$VENV")" ]; then
  fail "$VENV is a folder but not a virtual environment (no pyvenv.cfg); move it away or choose another place with VENV=/path/to/venv"
fi
[ -n "$PYTHON" ] || fail "no python3 found; install Python 3.11 or newer, or set PYTHON=/path/to/python3"
echo "[setup] creating virtual environment at $VENV with $PYTHON"
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv ${OPTIONS[@]+"${OPTIONS[@]}"} "$VENV"
