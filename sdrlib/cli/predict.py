"""``sdr predict``: fake probability, verdict and per-frame timeline of raw videos.

A checkpoint without a threshold (``sdr convert``) gets p(fake) and the verdict column says why
there is none, unless ``--threshold`` is given or the checkpoint was calibrated (``sdr
calibrate``). ``--protocol ftcn`` scores as the published demos (docs/published_detectors.md).
Exit status: 0 all videos scored; 2 a bad input (no checkpoint, bad option); 3 some videos failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sdrlib.cli import EXIT_SOME_FAILED, CLIError
from sdrlib.cli._report import report_skipped
from sdrlib.data.video.errors import InputError
from sdrlib.data.video.files import list_videos, scan_videos
from sdrlib.utils import resolve_device

if TYPE_CHECKING:
    from sdrlib.engine.checkpoint import CheckpointMeta

COMMAND = "predict"
HELP = "score a video (or every video in a folder) with a checkpoint: probability, verdict, timeline"

INTERRUPTED_HINT = "the videos scored so far are printed above and, with --out, written there"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="a video file or a folder of videos")
    parser.add_argument("--checkpoint", required=True, type=Path, help="run dir, .json or .safetensors")
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for <video>.json timelines and predictions.csv (batch)"
    )
    parser.add_argument("--plot", action="store_true", help="also save <video>.png timelines (needs --out)")
    parser.add_argument("--all-tracks", action="store_true", help="score every face, not only the largest")
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="decision threshold on p(fake) (default: the checkpoint's)",
    )
    parser.add_argument(
        "--protocol",
        choices=["sdr", "ftcn"],
        default="sdr",
        help="sdr: consecutive clips (default); ftcn: the published demos' stride-1 clips and template (slow)",
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="face pipeline option, e.g. --set max_side=320 (faster; faces of 80 px and more at 720p) or --set detect_every=5 (fast motion); docs/faces.md. "
        "Default: the options the checkpoint's training data was prepared with; a size or scale that contradicts them is refused",
    )


def _stems(videos: list[Path], root: Path) -> dict[Path, str]:
    """The name of each video's ``.json``/``.png``: its stem, or for a folder its path below it."""
    if root.is_file():
        return {video: video.stem for video in videos}
    return {video: video.relative_to(root).with_suffix("").as_posix().replace("/", "__") for video in videos}


def run(args: argparse.Namespace) -> int:
    # imported here, not at the top: `sdr --help` stays fast without the engine and the face pipeline
    from sdrlib.engine.checkpoint import load_checkpoint
    from sdrlib.predict.faces import prediction_face_config, recorded_face_options
    from sdrlib.predict.ftcn_protocol import protocol_face_options
    from sdrlib.predict.outputs import PredictionWriter
    from sdrlib.predict.scoring import predict_video

    if args.plot and args.out is None:
        raise CLIError("--plot needs --out (the folder where the PNG timelines go)")
    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        raise CLIError(f"--threshold is a probability in [0, 1], got {args.threshold}")
    single = not args.path.is_dir()
    if single:
        if args.path.is_symlink() and not args.path.exists():
            raise CLIError(f"{args.path}: broken symbolic link (to {args.path.readlink()})")
        videos = list_videos(args.path)
    else:
        videos, skipped = scan_videos(args.path)
        report_skipped(skipped, args.path)
    if not videos:
        raise CLIError(f"no video files under {args.path}")
    writer = PredictionWriter(args.out, _stems(videos, args.path), args.plot) if args.out else None
    device = resolve_device(args.device)
    model, meta = load_checkpoint(args.checkpoint, device)
    source = threshold_source(meta, args.threshold)
    if args.threshold is not None:
        meta.threshold = args.threshold
    base = {"all_tracks": args.all_tracks}
    if args.protocol == "ftcn":
        base.update(protocol_face_options(meta))
    elif meta.source.get("preprocessing") == "ftcn":
        print(
            f"note: {meta.source.get('title', 'this checkpoint')} was trained on FTCN's crops (the face fills "
            "the crop); the default protocol's crops show it at half that scale: --protocol ftcn matches them",
            file=sys.stderr,
        )
    face_config = prediction_face_config(meta, args.overrides, base)
    if recorded_face_options(meta):
        print(
            f"face crops {face_config.size} px, box scale {face_config.scale}: as the checkpoint's training data "
            f"({', '.join(meta.preparation.get('dataset_dirs', []))})",
            file=sys.stderr,
        )
    failures = 0
    for video in videos:
        try:
            prediction = predict_video(
                video, model, meta, device, face_config, args.batch_size, protocol=args.protocol
            )
        except (InputError, OSError) as err:
            if writer is not None:
                writer.add_error(video, err)
            if single:
                raise
            failures += 1
            print(f"{video}: error: {type(err).__name__}: {' '.join(str(err).split())}", file=sys.stderr)
            continue
        prediction.checkpoint = str(args.checkpoint)
        for track in prediction.tracks:
            note = f" [{'; '.join(track.warnings)}]" if track.warnings else ""
            decision = "" if track.threshold is None else f"threshold {track.threshold:.4f} ({source}), "
            print(
                f"{video}: track {track.track_id}: p(fake) = {track.prob:.4f} -> {track.verdict} "
                f"({decision}{track.n_clips} clips, {prediction.runtime_s:.1f} s){note}"
            )
        if writer is not None:
            writer.add(video, prediction, source)
    if failures:
        where = f"; every video has a row in {writer.table}" if writer is not None else ""
        print(f"{failures} of {len(videos)} videos failed{where}", file=sys.stderr)
        return EXIT_SOME_FAILED
    return 0


def threshold_source(meta: CheckpointMeta, override: float | None) -> str:
    """Where the decision threshold of a prediction comes from, in a few words."""
    if override is not None:
        return "--threshold"
    if meta.threshold is None:
        return "none"
    if meta.calibration:
        return f"calibrated on {meta.calibration.get('split', 'val')} of {', '.join(meta.calibration.get('data', []))}"
    return "validation"
