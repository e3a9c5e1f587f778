"""Measurements of the real-video face pipeline, printed as the tables of ``docs/faces.md``.

Sections (all by default, or pick some with ``--sections``):

- ``detectors``: MTCNN (our batched runner), facenet-pytorch's own MTCNN and OpenCV's Haar cascade
  on sampled frames of every shared clip: detection rate per source (fraction of frames with at
  least one face) and milliseconds per frame;
- ``speed``: ``extract_face_tracks`` (decode + detect + track + align) on the 720p clips for
  several ``detect_every`` N and detection sizes (``--speed``, default N = 1, 2, 5, 10 at 640 px and
  N = 5, 10 at 320 px): frames per second, time split, key-frame hit rate, and how far the clip
  transforms move (crop pixels) compared with the first setting (every frame at 640 px);
- ``coverage``: the pipeline on every shared clip (default configuration, or ``--detect-every``,
  ``--max-side``, ``--min-score``): per source, the clips that give a track and the fraction of
  frames the track covers;
- ``jitter``: per-frame versus clip-level alignment on real clips: frame-to-frame shake of the
  aligned content (phase correlation), the number the clip-level choice is about;
- ``codec``: size and fidelity of aligned tracks written as H.264 (CRF), lossless RGB, raw .npy;
- ``sheet``: contact sheet of aligned clips, ``docs/figures/faces_contact_sheet.png``; with the
  ``jitter`` section also ``docs/figures/faces_jitter.png``.

The CPU figures in the docs are for 2 cores: ``--cores 2`` pins this process (decoder threads,
torch, OpenCV) to the first two CPUs. On a shared machine the timings are noisy; the wall-clock and
the process CPU time are both printed.

    .venv/bin/python scripts/bench_faces.py --cores 2
    .venv/bin/python scripts/bench_faces.py --sections speed --max-frames 150 --cores 2
    .venv/bin/python scripts/bench_faces.py --device cuda --sections speed,coverage
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
import torch

from sdrlib.data.faces import (
    FacePipelineConfig,
    HaarDetector,
    InputError,
    MTCNNDetector,
    alignment_windows,
    apply_transform,
    extract_face_tracks,
    face_template,
    invert_similarity,
    warp_face,
    window_transforms,
)
from sdrlib.data.video import iter_frames, probe, read_frames, write_video
from sdrlib.data.video.samples import shared_videos_dir
from sdrlib.utils.io import atomic_write_bytes

DEFAULT_VIDEOS = shared_videos_dir()
SECTIONS = ("detectors", "speed", "coverage", "jitter", "codec", "sheet")
CELL = 96  # contact-sheet thumbnail side, pixels
SHEET_CLIPS = (
    "ffpp_icpr2020/youtube_004.mp4",
    "ffpp_icpr2020/NeuralTextures_004_982.mp4",
    "ffpp_icpr2020/FaceSwap_634_660.mp4",
    "dfdc_icpr2020/brtujopkby.mp4",
    "dfdc_train_sample/abofeumbvv.mp4",
    "deeperforensics/input.mp4",
    "ghost/orig.webm",
    "ghost/elon.webm",
    "deepfacelive_split/Keanu_Reeves_0_left_real.mp4",
    "deepfacelive_split/Keanu_Reeves_0_right_fake.mp4",
    "liveportrait/d6.mp4",
    "video_retalking/face2.mp4",
)


def load_manifest(root: Path) -> list[dict[str, str]]:
    with (root / "manifest.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def timed(fn, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def table(header: list[str], rows: list[list]) -> None:
    print("| " + " | ".join(header) + " |")
    print("| " + " | ".join("---" for _ in header) + " |")
    for row in rows:
        print("| " + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in row) + " |")
    print()


# ---------------------------------------------------------------- detectors


class FacenetReference:
    """facenet-pytorch's MTCNN (its own cascade): faces per frame (boxes scored >= 0.9) and speed."""

    name = "facenet-mtcnn"

    def __init__(self, device: str) -> None:
        from facenet_pytorch import MTCNN

        self.net = MTCNN(keep_all=True, device=torch.device(device))

    def detect(self, frames: np.ndarray) -> list[int]:
        boxes, probs = self.net.detect(frames)
        return [
            0 if b is None else int((np.asarray(p, float) >= 0.9).sum())
            for b, p in zip(boxes, probs, strict=True)
        ]


def bench_detectors(root: Path, rows: list[dict], args: argparse.Namespace) -> None:
    print(
        f"## detectors: every {args.stride}th frame, at most {args.samples} per clip, max side {args.max_side}\n"
    )
    detectors = {
        "mtcnn": MTCNNDetector(device=args.device, max_side=None, batch_size=16),
        "haar": HaarDetector(max_side=None),
    }
    if not args.skip_facenet:
        detectors["facenet-mtcnn"] = FacenetReference(args.device)
    found = defaultdict(lambda: defaultdict(int))  # (source, detector) -> frames with >= 1 face
    multi = defaultdict(lambda: defaultdict(int))
    frames_per_source = defaultdict(int)
    seconds = defaultdict(float)
    total = 0
    for row in rows:
        frames = []
        for i, frame in enumerate(iter_frames(root / row["path"], max_side=args.max_side)):
            if i % args.stride == 0:
                frames.append(frame)
            if len(frames) >= args.samples:
                break
        batch = np.stack(frames)
        source = row["source"]
        frames_per_source[source] += len(batch)
        total += len(batch)
        for name, detector in detectors.items():
            result, wall, _ = timed(detector.detect, batch)
            seconds[name] += wall
            if name == "mtcnn":
                for threshold in (0.7, 0.9):
                    counts = [int((d.scores >= threshold).sum()) for d in result]
                    found[source][f"mtcnn>={threshold}"] += sum(c > 0 for c in counts)
                    multi[source][f"mtcnn>={threshold}"] += sum(c > 1 for c in counts)
                continue
            counts = result if name == "facenet-mtcnn" else [len(d) for d in result]
            found[source][name] += sum(c > 0 for c in counts)
            multi[source][name] += sum(c > 1 for c in counts)
    names = ["mtcnn>=0.7", "mtcnn>=0.9"] + [d for d in detectors if d != "mtcnn"]
    rows_out = []
    for source in sorted(frames_per_source):
        n = frames_per_source[source]
        rows_out.append(
            [source, n] + [f"{found[source][d] / n:.1%} ({multi[source][d] / n:.0%})" for d in names]
        )
    all_found = {d: sum(found[s][d] for s in found) for d in names}
    all_multi = {d: sum(multi[s][d] for s in multi) for d in names}
    rows_out.append(
        ["**all**", total] + [f"{all_found[d] / total:.1%} ({all_multi[d] / total:.0%})" for d in names]
    )
    print("detection rate: frames with >= 1 face (in brackets: frames with > 1 face)\n")
    table(["source", "frames"] + names, rows_out)
    table(["detector", "ms/frame"], [[d, 1000 * seconds[d] / total] for d in detectors])


# ---------------------------------------------------------------- speed


def parse_speed_settings(text: str) -> list[tuple[int, int]]:
    """``"1@640,5@640,10@320"`` -> ``[(1, 640), (5, 640), (10, 320)]`` (detect_every @ max_side)."""
    settings = []
    for item in text.split(","):
        every, _, side = item.strip().partition("@")
        try:
            settings.append((int(every), int(side or FacePipelineConfig.max_side)))
        except ValueError:
            raise SystemExit(f"--speed: {item!r} is not detect_every@max_side, e.g. 5@640") from None
    return settings


def bench_speed(root: Path, rows: list[dict], args: argparse.Namespace) -> None:
    clips = [r for r in rows if (r["width"], r["height"]) == ("1280", "720")]
    print(f"## speed: extract_face_tracks on {len(clips)} 720p clips, first {args.max_frames} frames\n")
    detector = MTCNNDetector(device=args.device, max_side=None, batch_size=16)
    settings = parse_speed_settings(args.speed)
    reference: dict[str, np.ndarray] = {}
    lines = []
    for every, side in settings:
        config = FacePipelineConfig(
            detect_every=every, max_side=side, max_frames=args.max_frames, device=args.device
        )
        frames = wall_sum = cpu_sum = 0.0
        detected = keys = 0
        transforms = {}
        for row in clips:
            (track,), wall, cpu = timed(extract_face_tracks, root / row["path"], config, detector=detector)
            frames += len(track.frames)
            wall_sum += wall
            cpu_sum += cpu
            detected += int(track.detected.sum())
            checked = (track.frame_indices % every == 0) | (track.frame_indices == track.frame_indices.max())
            keys += int(checked.sum())
            transforms[row["path"]] = track.transforms
        drift = "-"
        if not reference:
            reference = transforms  # the first setting is the reference of the "crop shift" column
        else:
            template = face_template(config.size, config.scale)
            moves = []
            for path, mats in transforms.items():
                for ref, other in zip(reference[path], mats, strict=True):
                    back = apply_transform(invert_similarity(ref), template)
                    moves.append(np.linalg.norm(apply_transform(other, back) - template, axis=1).mean())
            drift = f"{np.mean(moves):.2f} / {np.max(moves):.2f}"
        lines.append(
            [
                f"N={every}, max_side {side}",
                frames / wall_sum,
                1000 * wall_sum / frames,
                1000 * cpu_sum / frames,
                f"{detected / max(keys, 1):.1%}",
                drift,
            ]
        )
    table(
        [
            "setting",
            "frames/s",
            "wall ms/frame",
            "CPU ms/frame",
            "key frames with the face",
            "crop shift vs the first setting (mean / max px)",
        ],
        lines,
    )
    path = root / clips[0]["path"]
    n = args.max_frames
    _, wall_small, _ = timed(lambda: sum(1 for _ in iter_frames(path, count=n, max_side=640)))
    _, wall_full, _ = timed(lambda: sum(1 for _ in iter_frames(path, count=n)))
    batch = read_frames(path, count=16, max_side=640)
    _, wall_det, _ = timed(detector.detect, batch)
    small = read_frames(path, count=16, max_side=320)
    _, wall_det_small, _ = timed(detector.detect, small)
    full = read_frames(path, count=16)
    matrix = np.array([[0.8, 0.0, -300.0], [0.0, 0.8, -100.0]])
    _, wall_warp, _ = timed(lambda: [warp_face(f, matrix, 224) for f in full])
    table(
        ["stage (720p, one clip)", "ms/frame"],
        [
            ["decode + RGB at max side 640", 1000 * wall_small / n],
            ["decode + RGB at full size", 1000 * wall_full / n],
            ["MTCNN on a 640 x 360 frame (batch 16)", 1000 * wall_det / 16],
            ["MTCNN on a 320 x 180 frame (batch 16)", 1000 * wall_det_small / 16],
            ["warp to 224 x 224", 1000 * wall_warp / 16],
        ],
    )


# ---------------------------------------------------------------- coverage


def bench_coverage(root: Path, rows: list[dict], args: argparse.Namespace) -> None:
    print(
        f"## coverage: detect_every={args.detect_every}, max_side {args.max_side}, first {args.max_frames} frames of every clip\n"
    )
    detector = MTCNNDetector(device=args.device, max_side=None, batch_size=16)
    config = FacePipelineConfig(
        max_frames=args.max_frames,
        device=args.device,
        min_score=args.min_score,
        max_side=args.max_side,
        detect_every=args.detect_every,
    )
    print(f"min_score {config.min_score}\n")
    per = defaultdict(lambda: {"clips": 0, "ok": 0, "covered": 0.0, "frames": 0, "multi": 0, "errors": []})
    for row in rows:
        entry = per[row["source"]]
        entry["clips"] += 1
        try:
            (track,) = extract_face_tracks(root / row["path"], config, detector=detector)
        except InputError as err:
            entry["errors"].append(f"{row['path']}: {type(err).__name__}")
            continue
        info = probe(root / row["path"])
        length = (
            info.frames
            if info.frames_source == "container"
            else probe(root / row["path"], count_frames=True).frames
        )
        length = min(length, args.max_frames or length)
        entry["ok"] += 1
        entry["frames"] += length
        entry["covered"] += min(len(np.unique(track.frame_indices)), length)
        entry["multi"] += any("face tracks found" in w for w in track.warnings)
    out = []
    for source, e in sorted(per.items()):
        cover = e["covered"] / e["frames"] if e["frames"] else 0.0
        out.append([source, e["clips"], e["ok"], f"{cover:.1%}", e["multi"]])
    clips = sum(e["clips"] for e in per.values())
    ok = sum(e["ok"] for e in per.values())
    cover = sum(e["covered"] for e in per.values()) / max(1, sum(e["frames"] for e in per.values()))
    out.append(["**all**", clips, ok, f"{cover:.1%}", sum(e["multi"] for e in per.values())])
    table(["source", "clips", "with a track", "frames covered", "several faces"], out)
    for e in per.values():
        for message in e["errors"]:
            print(f"- {message}")
    print()


# ---------------------------------------------------------------- jitter


def content_shift(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    grey = [cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float64) for x in (a, b)]
    window = cv2.createHanningWindow(grey[0].shape[::-1], cv2.CV_64F)
    (dx, dy), _ = cv2.phaseCorrelate(grey[0], grey[1], window)
    return np.array([dx, dy])


def bench_jitter(root: Path, args: argparse.Namespace, figures: Path | None) -> None:
    clips = [
        "ffpp_icpr2020/youtube_634.mp4",
        "liveportrait/d6.mp4",
        "video_retalking/face2.mp4",
        "ghost/orig.webm",
    ]
    print("## jitter: per-frame vs clip-level alignment (N=1, 64 frames, 224 px crops)\n")
    detector = MTCNNDetector(device=args.device, max_side=None, batch_size=16)
    config = FacePipelineConfig(detect_every=1, max_frames=64, clip_len=32, device=args.device)
    rows_out, curves = [], {}
    for rel in clips:
        path = root / rel
        if not path.is_file():
            continue
        (track,) = extract_face_tracks(path, config, detector=detector)
        frames = read_frames(path, count=len(track.frames))
        per_frame = window_transforms(
            track.landmarks, alignment_windows(len(track.frames), 1), config.size, config.scale
        )
        crops = {
            "clip-level": track.frames,
            "per-frame": np.stack(
                [warp_face(f, m, config.size) for f, m in zip(frames, per_frame, strict=True)]
            ),
        }
        stats = {}
        face = slice(config.size // 4, config.size - config.size // 4)  # where the face box lands
        for name, seq in crops.items():
            steps = np.stack(
                [content_shift(seq[i][face, face], seq[i + 1][face, face]) for i in range(len(seq) - 1)]
            )
            # A window boundary is a deliberate transform switch, not shake: leave those steps out.
            inside = np.ones(len(steps), bool)
            if name == "clip-level":
                inside[track.windows[1:, 0] - 1] = False
            accel = np.diff(steps, axis=0)[inside[1:] & inside[:-1]]
            # Shake = the part of the motion that reverses from frame to frame (second difference).
            stats[name] = float(np.sqrt((accel**2).sum(axis=1).mean()))
            curves[(rel, name)] = np.concatenate([[0.0], np.cumsum(steps[:, 0])])
        rows_out.append([rel, stats["clip-level"], stats["per-frame"]])
    print("shake: RMS frame-to-frame change of the face region's motion (px, 224 crop)\n")
    table(["clip", "clip-level", "per-frame"], rows_out)
    if figures is not None and curves:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        names = sorted({rel for rel, _ in curves})
        fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 2.8), squeeze=False)
        for ax, rel in zip(axes[0], names, strict=True):
            for name in ("per-frame", "clip-level"):
                ax.plot(curves[(rel, name)], label=name, lw=1.2)
            for start in range(config.clip_len, config.max_frames, config.clip_len):
                ax.axvline(start - 0.5, color="grey", ls=":", lw=1)
            ax.set_title(Path(rel).name, fontsize=9)
            ax.set_xlabel("frame")
        axes[0][0].set_ylabel("face content x in the crop (px)")
        axes[0][0].legend(fontsize=8)
        fig.tight_layout()
        out = figures / "faces_jitter.png"
        with tempfile.NamedTemporaryFile(suffix=".png") as tmp:
            fig.savefig(tmp.name, dpi=110)
            atomic_write_bytes(out, Path(tmp.name).read_bytes())
        plt.close(fig)
        print(f"wrote {out}\n")


# ---------------------------------------------------------------- codec


def bench_codec(root: Path, args: argparse.Namespace) -> None:
    clips = [
        "ffpp_icpr2020/youtube_004.mp4",
        "dfdc_icpr2020/lynaeydofd.mp4",
        "deepfacelive_split/Keanu_Reeves_0_right_fake.mp4",
    ]
    print("## codec: aligned 224 x 224 tracks (64 frames of 3 clips)\n")
    config = FacePipelineConfig(max_frames=64, device=args.device, detect_every=args.detect_every)
    detector = MTCNNDetector(device=args.device, max_side=None)
    tracks = [extract_face_tracks(root / rel, config, detector=detector)[0].frames for rel in clips]
    variants = [("H.264 4:4:4 CRF 4", ".mp4", {"crf": 4})]
    variants += [(f"H.264 4:4:4 CRF {c}", ".mp4", {"crf": c}) for c in (10, 15, 20)]
    variants += [("H.264 lossless RGB (QP 0)", ".mkv", {"lossless": True})]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, suffix, options in variants:
            size = psnr_sum = worst = 0.0
            enc = 0.0
            for i, frames in enumerate(tracks):
                path = Path(tmp) / f"t{i}{suffix}"
                _, wall, _ = timed(write_video, path, frames, 25.0, **options)
                enc += wall
                back = read_frames(path)
                mse = np.mean((back.astype(np.float64) - frames) ** 2)
                psnr_sum += 99.0 if mse == 0 else 10 * np.log10(255**2 / mse)
                worst = max(worst, float(np.abs(back.astype(int) - frames).max()))
                size += path.stat().st_size
            n = sum(len(t) for t in tracks)
            out.append(
                [
                    name,
                    f"{size / n / 1024:.1f}",
                    f"{psnr_sum / len(tracks):.1f}",
                    int(worst),
                    f"{n / enc:.0f}",
                ]
            )
    out.append(["raw .npy", f"{tracks[0][0].nbytes / 1024:.1f}", "exact", 0, "-"])
    table(["format", "KiB/frame", "PSNR (dB)", "max abs error", "encode frames/s"], out)


# ---------------------------------------------------------------- sheet


def contact_sheet(root: Path, args: argparse.Namespace, figures: Path) -> None:
    config = FacePipelineConfig(max_frames=32, device=args.device)
    detector = MTCNNDetector(device=args.device, max_side=None)
    rows, labels = [], []
    for rel in SHEET_CLIPS:
        if not (root / rel).is_file():
            continue
        try:
            (track,) = extract_face_tracks(root / rel, config, detector=detector)
        except InputError as err:
            print(f"- sheet: skipped {err}")
            continue
        picks = track.frames[::6][:6]
        rows.append(
            np.concatenate([cv2.resize(f, (CELL, CELL), interpolation=cv2.INTER_AREA) for f in picks], axis=1)
        )
        labels.append(rel)
    label_w = 300
    sheet = np.full((len(rows) * CELL, label_w + rows[0].shape[1], 3), 255, np.uint8)
    for i, (row, label) in enumerate(zip(rows, labels, strict=True)):
        sheet[i * CELL : (i + 1) * CELL, label_w:] = row
        for j, text in enumerate(label.split("/")):
            origin = (6, i * CELL + 40 + 22 * j)
            cv2.putText(sheet, text, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    _, png = cv2.imencode(".png", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    out = figures / "faces_contact_sheet.png"
    atomic_write_bytes(out, png.tobytes())
    print(f"## sheet\n\nwrote {out} ({len(rows)} clips: aligned frames 0, 6, .., 30 at {CELL} px)\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS, help="folder with manifest.csv")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma list of {SECTIONS}")
    parser.add_argument("--cores", type=int, default=None, help="pin to the first N CPUs (Linux)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--max-frames", type=int, default=150, help="frames per clip for speed/coverage")
    parser.add_argument(
        "--speed",
        default="1@640,2@640,5@640,10@640,5@320,10@320",
        help="speed: comma list of detect_every@max_side settings; the first is the shift reference",
    )
    parser.add_argument("--stride", type=int, default=10, help="detectors: sample every N-th frame")
    parser.add_argument("--samples", type=int, default=30, help="detectors: frames per clip")
    parser.add_argument(
        "--max-side", type=int, default=640, help="detectors/coverage: longer side of the detection frames"
    )
    parser.add_argument("--skip-facenet", action="store_true", help="detectors: leave out facenet-pytorch")
    parser.add_argument(
        "--detect-every",
        type=int,
        default=FacePipelineConfig.detect_every,
        help="coverage/codec: detect on every N-th frame",
    )
    parser.add_argument(
        "--min-score", type=float, default=FacePipelineConfig.min_score, help="coverage: min_score"
    )
    parser.add_argument("--sources", default=None, help="detectors/coverage: comma list of manifest sources")
    parser.add_argument("--limit", type=int, default=None, help="detectors/coverage: first N clips only")
    parser.add_argument("--figures", type=Path, default=Path("docs/figures"))
    args = parser.parse_args()
    if args.cores:
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cores]))
        torch.set_num_threads(args.cores)
        cv2.setNumThreads(args.cores)
    if not (args.videos / "manifest.csv").is_file():
        raise SystemExit(f"no manifest.csv in {args.videos} (set --videos or SDR_SHARED_VIDEOS)")
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        raise SystemExit(f"unknown sections {unknown}; choose from {SECTIONS}")
    rows = load_manifest(args.videos)
    if args.sources:
        rows = [row for row in rows if row["source"] in args.sources.split(",")]
    rows = rows[: args.limit]
    cpus = len(os.sched_getaffinity(0))
    print(
        f"# bench_faces: {len(rows)} clips, device {args.device}, {cpus} CPUs, torch threads "
        f"{torch.get_num_threads()}, torch {torch.__version__}\n"
    )
    start = time.perf_counter()
    if "detectors" in sections:
        bench_detectors(args.videos, rows, args)
    if "speed" in sections:
        bench_speed(args.videos, load_manifest(args.videos), args)
    if "coverage" in sections:
        bench_coverage(args.videos, rows, args)
    if "jitter" in sections:
        bench_jitter(args.videos, args, args.figures)
    if "codec" in sections:
        bench_codec(args.videos, args)
    if "sheet" in sections:
        contact_sheet(args.videos, args, args.figures)
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
