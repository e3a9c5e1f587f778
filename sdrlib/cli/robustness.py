"""``sdr robustness``: the Table 2 runs scored under the DeeperForensics-1.0 perturbations, cached."""

from __future__ import annotations

import argparse
from pathlib import Path

from sdrlib.cli.evaluate import split_list

COMMAND = "robustness"
HELP = "AUC of the table2 runs under compression, blur, noise... at five levels (cached evaluations)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default="smoke", help="smoke, tiny, synth-gpu, paper or a YAML path")
    parser.add_argument(
        "--out", type=Path, default=None, help="default runs/<profile>/experiments/robustness"
    )
    parser.add_argument("--models", default=None, help="comma-separated table2 rows (default: the profile's)")
    parser.add_argument(
        "--perturbations", default=None, help="comma-separated: saturation,contrast,block,noise,blur,..."
    )
    parser.add_argument("--levels", default=None, help="comma-separated levels 1..5 (default: the profile's)")
    parser.add_argument("--seeds", default=None, help="comma-separated seeds (default: the profile's)")
    parser.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    from sdrlib.cli import CLIError
    from sdrlib.studies.robustness import run_robustness

    try:
        levels = [int(v) for v in split_list(args.levels)] if args.levels else None
        seeds = [int(v) for v in split_list(args.seeds)] if args.seeds else None
    except ValueError as err:
        raise CLIError(f"--levels and --seeds take comma-separated integers ({err})") from err
    try:
        result = run_robustness(
            args.profile,
            args.out,
            models=split_list(args.models),
            perturbations=split_list(args.perturbations),
            levels=levels,
            seeds=seeds,
            progress=not args.no_progress,
        )
    except ValueError as err:
        raise CLIError(str(err)) from err
    print(f"robustness ({result.profile}), video-level AUC % on the FF++ test domains:")
    print(result.table.to_markdown(index=False, floatfmt=".1f"))
    print(f"wrote {result.out_dir}/table.md and results.csv")
    return 0
