"""``sdr experiment``: run a named grid (table1, table2, ..., diagnose) under a profile, cached.

``--set`` takes train's override syntax: ``--set train.steps=2`` changes every run of the grid,
``--set models.sdr.width_mult=0.25`` one model's options and ``--set experiments.table2_models=[sdr]``
the grid's settings (:meth:`sdrlib.engine.profiles.Profile.with_overrides`). A key that tells the
rows apart (table1's training domain, table3's ablations) is refused. The tables of an overridden
grid go to ``runs/<profile>/experiments/<name>-set-<hash>``. Smoke commands for the GPU profiles,
to run before the real job: ``docs/cli.md``.
"""

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
    parser.add_argument("--profile", default="smoke", help="smoke, tiny, small, synth-gpu, paper or a YAML path")
    parser.add_argument("--out", type=Path, default=None, help="default runs/<profile>/experiments/<name>")
    parser.add_argument("--seeds", default=None, help="comma-separated seeds (default: the profile's)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override every run's config as sdr train --set does (e.g. --set train.steps=2), a model's "
        "options (--set models.sdr.K=2) or a grid setting (--set experiments.table2_models=[ftcn,sdr])",
    )
    parser.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    # imported here, not at the top: `sdr --help` stays fast without the grids and the engine
    from sdrlib.experiments import run_experiment
    from sdrlib.studies import STUDY_GRIDS

    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else None
    runner = STUDY_GRIDS.get(args.name)
    progress = not args.no_progress
    if runner is not None:
        result = runner(args.profile, args.out, progress=progress, seeds=seeds, overrides=args.overrides)
    else:
        result = run_experiment(args.name, args.profile, args.out, progress, seeds, args.overrides)
    overridden = f" with --set {' '.join(args.overrides)}" if args.overrides else ""
    print(f"{args.name} ({result.profile}{overridden}), video-level AUC %:")
    print(result.markdown)
    print(f"wrote {result.out_dir}/table.md and results.csv")
    return 0
