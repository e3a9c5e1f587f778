"""``sdr predict``: fake probability, verdict and per-frame timeline of raw videos."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

COMMAND = "predict"
HELP = "score a video (or every video in a folder) with a checkpoint: probability, verdict, timeline"

EXIT_SOME_FAILED = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="a video file or a folder of videos")
    parser.add_argument("--checkpoint", required=True, type=Path, help="run dir, .json or .safetensors")
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for <video>.json timelines and predictions.csv (batch)"
    )
    parser.add_argument("--plot", action="store_true", help="also save <video>.png timelines (needs --out)")
    parser.add_argument("--all-tracks", action="store_true", help="score every face, not only the largest")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="face pipeline option, e.g. --set max_side=320 (faster; faces of 80 px and more at 720p) or --set detect_every=5 (fast motion); docs/faces.md",
    )


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from sdrlib.cli import CLIError
    from sdrlib.config import apply_overrides, from_dict
    from sdrlib.data.faces import FacePipelineConfig
    from sdrlib.data.video.errors import InputError
    from sdrlib.data.video.files import list_videos
    from sdrlib.engine.checkpoint import load_checkpoint
    from sdrlib.predict.plots import plot_timeline
    from sdrlib.predict.scoring import predict_video
    from sdrlib.utils import atomic_write_json, atomic_write_text, resolve_device

    if args.plot and args.out is None:
        raise CLIError("--plot needs --out (the folder where the PNG timelines go)")
    videos = list_videos(args.path)
    if not videos:
        raise CLIError(f"no video files under {args.path}")
    device = resolve_device(args.device)
    model, meta = load_checkpoint(args.checkpoint, device)
    face_config = from_dict(
        FacePipelineConfig, apply_overrides({"all_tracks": args.all_tracks}, args.overrides)
    )
    rows, failures = [], 0
    for video in videos:
        try:
            prediction = predict_video(video, model, meta, device, face_config, args.batch_size)
        except (InputError, OSError) as err:
            failures += 1
            print(f"{video}: error: {type(err).__name__}: {err}", file=sys.stderr)
            rows.append({"video": str(video), "track": "", "prob": "", "verdict": "error", "error": str(err)})
            continue
        prediction.checkpoint = str(args.checkpoint)
        for track in prediction.tracks:
            note = f" [{'; '.join(track.warnings)}]" if track.warnings else ""
            print(
                f"{video}: track {track.track_id}: p(fake) = {track.prob:.4f} -> {track.verdict} "
                f"(threshold {track.threshold:.4f}, {track.n_clips} clips, {prediction.runtime_s:.1f} s){note}"
            )
            rows.append(
                {
                    "video": str(video),
                    "track": track.track_id,
                    "prob": track.prob,
                    "verdict": track.verdict,
                    "n_clips": track.n_clips,
                    "n_frames": track.n_frames,
                    "runtime_s": prediction.runtime_s,
                    "error": "",
                }
            )
        if args.out is not None:
            stem = (
                video.stem
                if len(videos) == 1
                else video.relative_to(args.path).with_suffix("").as_posix().replace("/", "__")
            )
            atomic_write_json(args.out / f"{stem}.json", prediction.to_json())
            if args.plot:
                import matplotlib.pyplot as plt

                fig = plot_timeline(prediction)
                fig.savefig(args.out / f"{stem}.png", dpi=120)
                plt.close(fig)
    if args.out is not None:
        atomic_write_text(args.out / "predictions.csv", pd.DataFrame(rows).to_csv(index=False))
    if failures:
        print(f"{failures} of {len(videos)} video(s) failed", file=sys.stderr)
        return EXIT_SOME_FAILED
    return 0
