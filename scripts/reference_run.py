"""The larger CPU reference run the results chapters show beside their own ('what more compute
changes'; docs/results/small.md).

    python scripts/reference_run.py                                  # small profile, all grids
    python scripts/reference_run.py --grids table2,diagnose,control  # a subset

Trains every run of the chosen grids in one worker pool, costliest first (what ``sdr reproduce``
does before its notebooks, :mod:`sdrlib.book.prefetch`), then writes for each grid, under
``--out/<grid>/``: ``videos.csv.gz``, the per-video scores every interval and paired difference
of the chapters is computed from (the same functions compute them from these files), and
``table.md``, the grid's table with 95 % intervals. ``--out/run.json`` records the command, the
commit, the machine and the wall times. Nothing is written for a grid that failed.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import torch

from sdrlib.book.prefetch import prefetch_grids
from sdrlib.experiments import run_experiment
from sdrlib.studies.diagnose import run_diagnostic
from sdrlib.utils import atomic_write_json, atomic_write_text

#: The grids a reference run can hold (the results chapters show them beside their own).
GRIDS = ("table2", "table3", "figure2", "diagnose", "control")
ROOT = Path(__file__).resolve().parents[1]


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "sdrlib", "configs"], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="small")
    parser.add_argument("--grids", default=",".join(GRIDS), help="comma-separated, of " + ", ".join(GRIDS))
    parser.add_argument("--out", type=Path, default=None, help="default docs/results/<profile>")
    args = parser.parse_args()
    grids = [g.strip() for g in args.grids.split(",") if g.strip()]
    unknown = sorted(set(grids) - set(GRIDS))
    if unknown:
        print(f"reference_run: unknown grids {unknown}; known: {', '.join(GRIDS)}", file=sys.stderr)
        return 2
    out = args.out or ROOT / "docs" / "results" / args.profile
    started = time.perf_counter()
    trained = prefetch_grids(args.profile, grids, progress=True)
    prefetch_s = time.perf_counter() - started
    print(f"{trained} runs trained and scored in {prefetch_s:.0f} s", flush=True)
    walls = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in grids:
            tick = time.perf_counter()
            if name == "diagnose":
                result = run_diagnostic(args.profile, Path(scratch) / name, progress=False)
            else:
                result = run_experiment(name, args.profile, Path(scratch) / name, progress=False)
            target = out / name
            target.mkdir(parents=True, exist_ok=True)
            videos = result.videos.drop(columns=["run_dir"], errors="ignore")
            partial = target / "videos.csv.gz.tmp"  # renamed when whole: no half-written scores
            videos.to_csv(partial, index=False, float_format="%.6g", compression="gzip")
            os.replace(partial, target / "videos.csv.gz")
            atomic_write_text(target / "table.md", result.markdown + "\n")
            walls[name] = round(time.perf_counter() - tick, 1)
            print(f"{name}: {len(result.runs)} runs, tables in {walls[name]:.0f} s", flush=True)
    total = time.perf_counter() - started
    atomic_write_json(
        out / "run.json",
        {
            "profile": args.profile,
            "grids": grids,
            "command": "python scripts/reference_run.py " + shlex.join(sys.argv[1:]),
            "commit": _commit(),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()} CPU, {os.cpu_count()} cores, torch {torch.__version__}",
            "runs_trained": trained,
            "train_and_score_wall_s": round(prefetch_s, 1),
            "tables_wall_s": walls,
            "total_wall_s": round(total, 1),
        },
    )
    print(f"total {total:.0f} s; {out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
