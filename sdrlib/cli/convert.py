"""``sdr convert``: a published FTCN or AltFreezing checkpoint as an ``sdrlib`` checkpoint directory.

Exit status: 0 converted; 2 a bad input (no such file, not a state dict, a missing, unexpected or
mis-shaped key, an output directory that already holds a checkpoint), printed as one line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sdrlib.cli import CLIError

COMMAND = "convert"
HELP = "convert FTCN's ftcn_tt.pth or AltFreezing's model.pth into a checkpoint directory (no download)"

#: ``sdrlib.models.published.PUBLISHED``'s names (kept here so that ``sdr --help`` stays light).
KINDS = ("altfreezing", "ftcn-tt")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=KINDS, help="ftcn-tt (FTCN, ICCV 2021) or altfreezing (CVPR 2023)")
    parser.add_argument("path", type=Path, help="the released file you downloaded (.pth)")
    parser.add_argument("--out", type=Path, required=True, help="checkpoint directory to write")
    parser.add_argument("--force", action="store_true", help="overwrite a checkpoint already in --out")


def run(args: argparse.Namespace) -> int:
    # imported here, not at the top: `sdr --help` stays fast without the engine
    from sdrlib.engine.published import convert_checkpoint
    from sdrlib.models.published import get_spec

    try:
        json_path = convert_checkpoint(args.kind, args.path, args.out, overwrite=args.force)
    except FileExistsError as err:
        raise CLIError(f"{err}; pass --force to overwrite it") from err
    spec = get_spec(args.kind)
    print(
        f"converted {spec.title}: {spec.num_keys} tensors mapped onto {spec.model_name} -> {json_path}\n"
        f"no decision threshold yet: `sdr predict VIDEO --checkpoint {args.out}` prints p(fake) only, "
        f"until you pass --threshold or run `sdr calibrate --checkpoint {args.out} --data DATASET_DIR`"
    )
    return 0
