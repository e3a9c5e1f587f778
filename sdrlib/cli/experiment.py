"""``sdr experiment``: run a named grid (table1, table2, ..., diagnose) under a profile, cached."""

from __future__ import annotations

import argparse
from pathlib import Path

#: The paper's grids (:mod:`sdrlib.experiments`) and the studies' grids (:mod:`sdrlib.studies`);
#: written out here so that building the parser does not import torch (checked by a test).
NAMES = ["table1", "table2", "table3", "figure2", "baselines", "control", "diagnose"]

COMMAND = "experiment"
HELP = "run a paper table/figure grid under a profile (training runs cached by config hash)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=NAMES)
    parser.add_argument("--profile", default="smoke", help="smoke, tiny, synth-gpu, paper or a YAML path")
    parser.add_argument("--out", type=Path, default=None, help="default runs/<profile>/experiments/<name>")
    parser.add_argument("--seeds", default=None, help="comma-separated seeds (default: the profile's)")
    parser.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    from sdrlib.experiments import run_experiment
    from sdrlib.studies import STUDY_GRIDS

    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else None
    runner = STUDY_GRIDS.get(args.name)
    if runner is not None:
        result = runner(args.profile, args.out, progress=not args.no_progress, seeds=seeds)
    else:
        result = run_experiment(args.name, args.profile, args.out, progress=not args.no_progress, seeds=seeds)
    print(f"{args.name} ({result.profile}), video-level AUC %:")
    print(result.markdown)
    print(f"wrote {result.out_dir}/table.md and results.csv")
    return 0
