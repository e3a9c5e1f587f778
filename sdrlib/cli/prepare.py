"""``sdr prepare``: turn a real benchmark into a dataset directory of aligned face tracks.

    sdr prepare ffpp    --root FF++        [--out data/ffpp_c23] [--compression c23] [--methods protocol|all|df,nt,...]
    sdr prepare celebdf --root Celeb-DF-v2 [--out data/celebdf] [--splits test|all]
    sdr prepare dfdc    --root DFDC        [--out data/dfdc] [--subset 3215|full]
    sdr prepare folder  --root VIDEOS   --out data/mine [--domain NAME] [--split test]
    sdr prepare deepfakebench --json FaceForensics++.json --root datasets --out data/dfb
    sdr prepare merge   --out DIR [--shards N]

By default the three benchmarks are prepared as the paper's protocol uses them, into the folders
the ``paper`` profile reads (:mod:`sdrlib.data.preparation`): FF++'s originals and four
manipulations, Celeb-DF-v2's 518 test videos, DFDC's 3215-video subset. Every dataset command
accepts ``--workers N`` (processes), ``--shard i/n`` (this process's share,
0-based, for cluster array jobs), ``--limit N``, ``--retry-failed``, ``--splits``, ``--format``,
``--device``, ``--set key=value`` (face pipeline options) and ``--dry-run`` (list and count only).
Exit status (``sdr --help``): 0 all videos prepared, 3 some failed (each named on the screen and
listed in ``failures.csv``), 2 a usage error, 1 an output could not be written (disk full), 130/143
stopped by Ctrl-C/SIGTERM. Whatever stopped it, the videos finished so far are kept and running the
same command again resumes.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from sdrlib.cli import EXIT_SOME_FAILED, CLIError, error_message
from sdrlib.cli._report import report_skipped
from sdrlib.config import apply_overrides, from_dict, to_dict
from sdrlib.data.preparation import (
    PROTOCOL_CELEBDF_SPLITS,
    PROTOCOL_DFDC_SUBSET,
    default_dataset_dir,
)
from sdrlib.data.video.errors import OutputError
from sdrlib.utils import resolve_device

COMMAND = "prepare"
HELP = "prepare FF++ / Celeb-DF-v2 / DFDC / a folder / a DeepfakeBench JSON as a dataset of face tracks"
DATASETS = ("ffpp", "celebdf", "dfdc", "folder", "deepfakebench")
INTERRUPTED_HINT = "the videos finished so far are kept; run the same command again to resume"


def _common(
    parser: argparse.ArgumentParser, root_help: str, out: str | None = None, splits: str | None = None
) -> None:
    """The options every dataset command has; ``out`` and ``splits``: their defaults, if any."""
    parser.add_argument("--root", required=True, help=root_help)
    parser.add_argument(
        "--out",
        required=out is None,
        default=out,
        help="dataset directory to write (created; re-runs resume)"
        + (f"; default {out}, where the paper profile reads it" if out else ""),
    )
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--shard", help="process only shard i/n (0-based), e.g. $SLURM_ARRAY_TASK_ID/8")
    parser.add_argument("--limit", type=int, help="process only the first N videos (after sharding)")
    parser.add_argument(
        "--splits",
        default=splits,
        help=f"comma-separated splits to prepare, or all (default: {splits or 'all'})",
    )
    parser.add_argument(
        "--format", default="mp4", choices=("mp4", "npy"), help="track file format (default mp4)"
    )
    parser.add_argument(
        "--device",
        default="auto",
        help="face detector device: auto (CUDA with --workers 1 when present, else CPU), cpu, cuda[:N]",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="face pipeline option (recorded in prepare.json; a checkpoint trained on the data carries "
        "the crop options to sdr predict)",
    )
    parser.add_argument("--retry-failed", action="store_true", help="retry videos recorded as failed")
    parser.add_argument("--dry-run", action="store_true", help="list and count the videos, prepare nothing")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="dataset", metavar="DATASET", required=True)
    ffpp = sub.add_parser("ffpp", help="FaceForensics++ (official download layout)")
    _common(
        ffpp,
        "FF++ root (holds original_sequences/ and manipulated_sequences/)",
        out=ffpp_out_default(),
    )
    ffpp.add_argument("--compression", default="c23", choices=("c23", "c40", "raw"))
    ffpp.add_argument(
        "--methods",
        default="protocol",
        help="protocol (default: the originals and DF, F2F, FS, NT), all (also FaceShifter and "
        "DeepFakeDetection when present), or a list of df,f2f,fs,nt,fsh,dfd / folder names",
    )
    celebdf = sub.add_parser("celebdf", help="Celeb-DF-v2 (Celeb-real/, YouTube-real/, Celeb-synthesis/)")
    splits = ",".join(PROTOCOL_CELEBDF_SPLITS)
    _common(celebdf, "Celeb-DF-v2 root", out=default_dataset_dir("celebdf"), splits=splits)
    dfdc = sub.add_parser("dfdc", help="DFDC public test set (searched recursively for <id>.mp4)")
    _common(dfdc, "folder holding the DFDC test videos", out=default_dataset_dir("dfdc"))
    dfdc.add_argument(
        "--subset",
        default=PROTOCOL_DFDC_SUBSET,
        choices=("3215", "full"),
        help="3215-video subset (default, the protocol's) or all 5000",
    )
    folder = sub.add_parser(
        "folder", help="any folder with labels.csv/manifest.csv or real/ fake/ subfolders"
    )
    _common(folder, "the folder of videos")
    folder.add_argument("--domain", help="domain name of its rows (default: from the folder name)")
    folder.add_argument(
        "--split", default="test", choices=("train", "val", "test"), help="split of unlisted rows"
    )
    dfb = sub.add_parser(
        "deepfakebench", help="import a DeepfakeBench dataset JSON (per-frame aligned crops)"
    )
    _common(dfb, "the folder the JSON's frame paths are relative to (DeepfakeBench's rgb_dir)")
    dfb.add_argument("--json", required=True, help="DeepfakeBench dataset_json/<Name>.json")
    dfb.add_argument("--compression", default="c23", choices=("c23", "c40", "raw"))
    dfb.add_argument("--size", type=int, help="resize the crops to SIZE x SIZE (default: keep)")
    dfb.add_argument("--fps", type=float, default=25.0, help="frame rate written to the tracks (default 25)")
    merge = sub.add_parser("merge", help="merge finished shards into manifest.csv and failures.csv")
    merge.add_argument("--out", required=True, help="the dataset directory")
    merge.add_argument("--shards", type=int, help="number of shards n (needed if several counts exist)")


def ffpp_out_default() -> str:
    """``--out``'s placeholder for FF++: the folder depends on ``--compression``."""
    return default_dataset_dir("ffpp", "COMPRESSION").replace("COMPRESSION", "<compression>")


def _list(args: argparse.Namespace) -> tuple[list, dict[str, Any], list[str]]:
    """(items, settings that shape the tracks, warnings to print) for the chosen dataset."""
    # sdrlib.data.prepare and sdrlib.data.faces are imported inside the functions: `sdr --help`
    # stays fast without OpenCV and the face pipeline
    from sdrlib.data import prepare as dp

    if args.dataset == "ffpp":
        items = dp.list_ffpp(args.root, args.compression, args.methods)
        return items, {"dataset": "ffpp", "compression": args.compression}, []
    if args.dataset == "celebdf":
        return dp.list_celebdf(args.root), {"dataset": "celebdf"}, []
    if args.dataset == "dfdc":
        return dp.list_dfdc(args.root, args.subset), {"dataset": "dfdc"}, []
    if args.dataset == "folder":
        return _list_folder(args), {"dataset": "folder"}, []
    items, report = dp.list_deepfakebench(args.json, args.root, args.compression)
    settings = {
        "dataset": "deepfakebench",
        "compression": args.compression,
        "size": args.size,
        "fps": args.fps,
    }
    return items, settings, report.warnings()


def _list_folder(args: argparse.Namespace) -> list:
    """The folder's labelled videos; the files passed over are named on the screen, with the reason."""
    from sdrlib.data import prepare as dp

    root, out = Path(args.root), Path(args.out)
    listing = dp.scan_folder(root, args.domain, args.split, exclude=[out])
    if root.resolve() in out.resolve().parents:
        print(f"--out {out} is inside --root: its files are never taken as videos", file=sys.stderr)
    report_skipped(listing.skipped, root)
    return listing.items


def _counts(items: list) -> str:
    counts = Counter((item.split, item.domain, item.label) for item in items)
    lines = [f"{'split':<6} {'domain':<12} {'real':>6} {'fake':>6}"]
    for split, domain in sorted({(s, d) for s, d, _ in counts}):
        lines.append(
            f"{split:<6} {domain:<12} {counts[(split, domain, 0)]:>6} {counts[(split, domain, 1)]:>6}"
        )
    return "\n".join(lines)


def _face_extractor(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The MTCNN track extractor for ``--device``/``--set``, and its settings for ``prepare.json``."""
    from sdrlib.data.faces import FacePipelineConfig
    from sdrlib.data.prepare import FaceTrackExtractor

    device = args.device
    if device == "auto":
        device = str(resolve_device("auto")) if args.workers == 1 else "cpu"
    config = from_dict(FacePipelineConfig, apply_overrides({"device": device}, args.set))
    face = to_dict(config)
    for key in ("device", "batch_size"):  # where and in what batches the detector ran: same tracks
        face.pop(key, None)
    return FaceTrackExtractor(config), {"face": face}


def run(args: argparse.Namespace) -> int:
    from sdrlib.data import prepare as dp
    from sdrlib.data.prepare.items import filter_splits

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.dataset == "merge":
            print(f"merged into {dp.merge_shards(args.out, args.shards)}")
            return 0
        shard = dp.Shard.parse(args.shard) if args.shard else None
        if args.dataset == "ffpp" and args.out == ffpp_out_default():
            args.out = default_dataset_dir("ffpp", args.compression)
        items, settings, warnings = _list(args)
        if args.splits and args.splits.strip().lower() != "all":
            items = filter_splits(items, tuple(s.strip() for s in args.splits.split(",") if s.strip()))
        if not items:
            raise CLIError(f"no video of split(s) {args.splits} found below {args.root}")
        for warning in warnings:
            logging.getLogger("sdr prepare").warning(warning)
        print(_counts(items))
        if args.dry_run:
            return 0
        writer = None
        if args.dataset == "deepfakebench":
            extractor = dp.FrameListExtractor(size=args.size, fps=args.fps)
            writer = extractor.writer
        else:
            extractor, face_settings = _face_extractor(args)
            settings.update(face_settings)
        summary = dp.prepare(
            items,
            args.out,
            extractor,
            settings=settings,
            writer=writer,
            track_format=args.format,
            workers=args.workers,
            shard=shard,
            limit=args.limit,
            retry_failed=args.retry_failed,
            progress=not args.no_progress,
        )
    except ValueError as err:
        raise CLIError(str(err)) from err
    except OSError as err:
        if isinstance(err, FileNotFoundError | NotADirectoryError | FileExistsError):
            raise
        raise OutputError(
            f"{error_message(err)}; the videos finished so far are kept: make room and run the same "
            "command again to resume"
        ) from err
    print(summary.describe())
    return EXIT_SOME_FAILED if summary.failed else 0
