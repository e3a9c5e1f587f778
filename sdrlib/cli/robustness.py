"""``sdr robustness``: the Table 2 runs scored under the DeeperForensics-1.0 perturbations, cached;
or, with ``--checkpoint RUN_DIR --data DIR``, one checkpoint (a converted one included)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sdrlib.cli import CLIError
from sdrlib.cli.evaluate import split_list

COMMAND = "robustness"
HELP = "AUC of the table2 runs (or of one --checkpoint) under compression, blur, noise... at five levels"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default="smoke", help="smoke, tiny, small, synth-gpu, paper or a YAML path")
    parser.add_argument(
        "--out", type=Path, default=None, help="default runs/<profile>/experiments/robustness"
    )
    parser.add_argument("--models", default=None, help="comma-separated table2 rows (default: the profile's)")
    parser.add_argument(
        "--perturbations", default=None, help="comma-separated: saturation,contrast,block,noise,blur,..."
    )
    parser.add_argument("--levels", default=None, help="comma-separated levels 1..5 (default: the profile's)")
    parser.add_argument("--seeds", default=None, help="comma-separated seeds (default: the profile's)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="as sdr experiment --set: score the table2 runs trained with these overrides",
    )
    parser.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        help="score this checkpoint instead of the profile's runs (needs --data)",
    )
    parser.add_argument(
        "--data", default=None, help="with --checkpoint: dataset director(ies), comma-separated"
    )
    parser.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    # imported inside run: `sdr --help` stays fast without the studies, the grids and the engine
    from sdrlib.experiments.tables import with_counts
    from sdrlib.studies.robustness import run_robustness

    try:
        levels = [int(v) for v in split_list(args.levels)] if args.levels else None
        seeds = [int(v) for v in split_list(args.seeds)] if args.seeds else None
    except ValueError as err:
        raise CLIError(f"--levels and --seeds take comma-separated integers ({err})") from err
    if (args.checkpoint is None) != (args.data is None):
        raise CLIError("--checkpoint and --data go together (one checkpoint on a prepared data set)")
    if args.checkpoint is not None and args.overrides:
        raise CLIError("--set changes the profile's runs; with --checkpoint there are none to change")
    if args.checkpoint is not None:
        from sdrlib.studies.robustness_checkpoint import checkpoint_robustness

        result = checkpoint_robustness(
            args.checkpoint,
            split_list(args.data),
            args.out,
            perturbations=split_list(args.perturbations),
            levels=levels,
            seed=(seeds or [0])[0],
            progress=not args.no_progress,
        )
        print(f"robustness of {args.checkpoint}, video-level AUC % on the test split of {args.data}:")
        print(with_counts(result.table, result.counts).to_markdown(index=False, floatfmt=".1f"))
        return 0
    try:
        result = run_robustness(
            args.profile,
            args.out,
            models=split_list(args.models),
            perturbations=split_list(args.perturbations),
            levels=levels,
            seeds=seeds,
            progress=not args.no_progress,
            overrides=args.overrides,
        )
    except ValueError as err:
        raise CLIError(str(err)) from err
    print(f"robustness ({result.profile}), video-level AUC % on the FF++ test domains:")
    print(with_counts(result.table, result.counts).to_markdown(index=False, floatfmt=".1f"))
    print(f"wrote {result.out_dir}/table.md and results.csv")
    return 0
