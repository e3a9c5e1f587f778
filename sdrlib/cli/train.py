"""``sdr train``: train one model from a profile or run config."""

from __future__ import annotations

import argparse
from pathlib import Path

COMMAND = "train"
HELP = "train a detector from a profile/config YAML (checkpoints, logs, validation-chosen threshold)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="profile name (smoke, tiny, ...) or YAML path")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set model.name=ftcn --set train.steps=50",
    )
    parser.add_argument("--out", type=Path, required=True, help="run directory to create")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    # imported here, not at the top: `sdr --help` stays fast without the engine
    from sdrlib.engine.profiles import load_run_config
    from sdrlib.engine.trainer import train

    config = load_run_config(args.config, args.overrides)
    result = train(config, args.out, resume=args.resume, progress=not args.no_progress)
    if not result.finished:
        print(f"stopped at step {result.steps_done}; resume with --resume")
        return 1
    val = result.val_metrics
    print(
        f"trained {config.model.name} for {result.steps_done} steps in {result.wall_s:.1f} s | best step "
        f"{result.best_step}: val video AUC {val.get('video_auc', float('nan')):.4f}, threshold "
        f"{result.threshold:.4f}\ncheckpoint: {result.best_checkpoint}"
    )
    return 0
