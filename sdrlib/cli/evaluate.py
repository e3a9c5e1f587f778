"""``sdr evaluate``: video- and clip-level metrics of a checkpoint on test data."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sdrlib.cli import CLIError

COMMAND = "evaluate"
HELP = "evaluate a checkpoint: video AUC, clip AUC, EER, AP, ACC at the validation threshold, per domain"


def split_list(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, type=Path, help="run dir, .json or .safetensors")
    parser.add_argument("--data", required=True, help="dataset director(ies), comma-separated")
    parser.add_argument("--split", default="test", choices=["train", "val", "test"])
    parser.add_argument("--domains", default=None, help="comma-separated domains (default: all)")
    parser.add_argument("--out", type=Path, default=None, help="folder for metrics.json, CSVs (and roc.png)")
    parser.add_argument("--roc", action="store_true", help="also save ROC curves as roc.png (needs --out)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="loader worker processes (default: the eval workers of the checkpoint's profile)",
    )
    parser.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    # imported inside run: `sdr --help` stays fast without the engine, and matplotlib only with --roc
    from sdrlib.engine.evaluate import ALL_ROW, evaluate_checkpoint

    if args.roc and args.out is None:
        raise CLIError("--roc needs --out (the folder where roc.png goes)")
    result = evaluate_checkpoint(
        args.checkpoint,
        split_list(args.data),
        split=args.split,
        domains=split_list(args.domains),
        device=args.device,
        batch_size=args.batch_size,
        num_workers=args.workers,
        progress=not args.no_progress,
    )
    if result.threshold is None:
        print("no threshold (converted weights, never calibrated): video_acc is nan; see `sdr calibrate`")
    else:
        print(f"threshold (chosen on validation): {result.threshold:.4f}")
    print(result.markdown())
    print(ALL_ROW)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.out is not None:
        path = result.save(args.out)
        print(f"wrote {path}")
        if args.roc:
            import matplotlib.pyplot as plt

            from sdrlib.studies.curves import plot_roc

            fig = plot_roc(result.clips)
            fig.savefig(Path(args.out) / "roc.png", dpi=120, bbox_inches="tight")
            plt.close(fig)
            print(f"wrote {Path(args.out) / 'roc.png'}")
    return 0
