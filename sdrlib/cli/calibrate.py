"""``sdr calibrate``: choose a checkpoint's decision threshold on validation data.

Exit status: 0 calibrated; 2 a bad input (no checkpoint, no clips, one class only, the test split,
a training threshold without ``--force``), printed as one line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sdrlib.cli.evaluate import split_list

COMMAND = "calibrate"
HELP = "choose the threshold of a checkpoint without one (converted weights) on a validation split"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, type=Path, help="run dir, .json or .safetensors")
    parser.add_argument("--data", required=True, help="prepared dataset director(ies), comma-separated")
    parser.add_argument("--split", default="val", choices=["train", "val"], help="default: val")
    parser.add_argument("--domains", default=None, help="comma-separated domains (default: all)")
    parser.add_argument("--force", action="store_true", help="replace a threshold chosen in training")
    parser.add_argument("--dry-run", action="store_true", help="print the threshold, do not write it")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    # imported here, not at the top: `sdr --help` stays fast without the engine
    from sdrlib.engine.calibrate import calibrate_checkpoint

    result = calibrate_checkpoint(
        args.checkpoint,
        split_list(args.data),
        split=args.split,
        domains=split_list(args.domains),
        device=args.device,
        batch_size=args.batch_size,
        force=args.force,
        write=not args.dry_run,
        progress=not args.no_progress,
    )
    rec = result.record
    print(
        f"threshold {result.threshold:.4f} on p(fake), chosen on {rec['n_videos']} {rec['split']} videos "
        f"({rec['n_real']} real, {rec['n_fake']} fake; video AUC {rec['video_auc']:.4f}, "
        f"accuracy {rec['video_acc']:.4f}) of {', '.join(rec['data'])}"
    )
    print("dry run: nothing written" if args.dry_run else f"written to {result.checkpoint}")
    return 0
