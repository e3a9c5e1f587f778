"""``sdr diagnose``: the spatial-dependency diagnostic of a checkpoint."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sdrlib.cli.evaluate import split_list
from sdrlib.utils import atomic_write_text

COMMAND = "diagnose"
HELP = "AUC under temporal destruction (frame shuffle, frame repeat) and spatial destruction (appearance remap, blur)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, type=Path)
    parser.add_argument("--data", required=True, help="dataset director(ies), comma-separated")
    parser.add_argument("--split", default="test", choices=["train", "val", "test"])
    parser.add_argument("--domains", default=None)
    parser.add_argument("--out", type=Path, default=None, help="write diagnose.csv and diagnose.md here")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    # imported here, not at the top: `sdr --help` stays fast without the studies and the engine
    from sdrlib.studies.diagnose import diagnose_checkpoint

    table = diagnose_checkpoint(
        args.checkpoint,
        split_list(args.data),
        args.split,
        split_list(args.domains),
        args.device,
        args.batch_size,
        args.seed,
        progress=not args.no_progress,
    )
    counts = " · ".join(f"{domain} {n}" for domain, n in table.attrs["counts"].items())
    text = (
        table.to_markdown(index=False, floatfmt=".4f")
        + f"\n\ntest videos (real / fake): {counts}\nvideo_auc, clip_auc and drop: every video pooled (all); "
        "a domain column: that domain's AUC (reliance rows: its mean drop)"
    )
    print(text)
    for warning in table.attrs["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    if args.out is not None:
        atomic_write_text(Path(args.out) / "diagnose.csv", table.to_csv(index=False))
        atomic_write_text(Path(args.out) / "diagnose.md", text + "\n")
    return 0
