"""Size, fidelity and decoding speed of face-track formats: the "Storing tracks" table of
``docs/performance.md``, from which the track format of ``write_track_video`` was chosen.

Input: a dataset directory prepared with ``--format npy`` (``sdr prepare folder --root VIDEOS --out
DIR --format npy``): its ``.npy`` tracks are the aligned crops themselves, the reference of the
PSNR. Every candidate re-encodes every track; then, per candidate:

- KiB per frame on disk and PSNR (dB) of the decoded frames against the aligned crops (mean and
  worst track), and the largest gap between key frames;
- encoding frames/s (CPU);
- decode + RGB conversion, CPU ms per frame, sequential (one decoder thread);
- a 32-frame window: CPU ms of the first window and of windows at uniformly random starts (what
  ``sdrlib.data.read_track`` costs), and random windows per second of one core.

CPU times are ``time.process_time`` of this process, so run it on one core for per-core figures
(``taskset -c 1``); they hold on a shared machine better than wall-clock times, not perfectly.

``--export KEY=DIR`` writes the tracks in candidate KEY's format as a dataset directory DIR (same
manifest, ``.npy`` paths renamed), e.g. to time the whole loader on the old and the new format with
``sdr bench --data DIR``.

    taskset -c 1 .venv/bin/python scripts/bench_track_codecs.py --data /tmp/faces-npy
    taskset -c 1 .venv/bin/python scripts/bench_track_codecs.py --data DIR --only new,old --windows 200
    .venv/bin/python scripts/bench_track_codecs.py --data DIR --only none --export old=/tmp/faces-old
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from sdrlib.data import read_manifest
from sdrlib.data.video import frame_to_rgb, iter_av_frames, read_window, track_layout, write_video

Writer = Callable[[Path, np.ndarray, float], Path]


def pyav_writer(codec: str, pix_fmt: str, options: dict[str, str]) -> Writer:
    """A writer for formats ``write_video`` does not offer (4:2:0 chroma, MJPEG)."""

    def write(path: Path, frames: np.ndarray, fps: float) -> Path:
        with av.open(str(path), mode="w") as container:
            stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(100_000))
            stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], pix_fmt
            stream.options = dict(options)
            for frame in frames:
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        return path

    return write


def video_writer(**options) -> Writer:
    return lambda path, frames, fps: write_video(path, frames, fps=fps, **options)


FAST = {"gop": 16, "fast_decode": True}
X264_420 = {"crf": "10", "tune": "fastdecode", "x264-params": "keyint=16:min-keyint=16:scenecut=0:bframes=0"}
#: (key, description, suffix, writer)
CANDIDATES: list[tuple[str, str, str, Writer]] = [
    ("old", "YUV 4:4:4 CRF 10, x264 key frames, B-frames (old default)", ".mp4", video_writer()),
    ("yuv-gop", "YUV 4:4:4 CRF 10, key frame every 16, no B-frames", ".mp4", video_writer(gop=16)),
    ("yuv-fast", "YUV 4:4:4 CRF 10, key frame every 16, fastdecode", ".mp4", video_writer(**FAST)),
    (
        "yuv420",
        "YUV 4:2:0 CRF 10, key frame every 16, fastdecode",
        ".mp4",
        pyav_writer("libx264", "yuv420p", X264_420),
    ),
    (
        "rgb-cabac",
        "RGB CRF 17, key frame every 16, CABAC + deblocking",
        ".mp4",
        video_writer(crf=17, gop=16, rgb=True),
    ),
    (
        "new",
        "**RGB CRF 17, key frame every 16, fastdecode (new default)**",
        ".mp4",
        video_writer(crf=17, rgb=True, **FAST),
    ),
    (
        "rgb-gop32",
        "RGB CRF 17, key frame every 32, fastdecode",
        ".mp4",
        video_writer(crf=17, rgb=True, gop=32, fast_decode=True),
    ),
    ("rgb-14", "RGB CRF 14, key frame every 16, fastdecode", ".mp4", video_writer(crf=14, rgb=True, **FAST)),
    ("rgb-20", "RGB CRF 20, key frame every 16, fastdecode", ".mp4", video_writer(crf=20, rgb=True, **FAST)),
    (
        "lossless",
        "RGB lossless (QP 0), key frame every 16, fastdecode",
        ".mp4",
        video_writer(lossless=True, **FAST),
    ),
    (
        "mjpeg",
        "MJPEG 4:4:4 q 2 (every frame a key frame)",
        ".avi",
        pyav_writer("mjpeg", "yuvj444p", {"qmin": "1", "qmax": "2"}),
    ),
]


def cpu(fn: Callable, *args) -> tuple[object, float]:
    start = time.process_time()
    out = fn(*args)
    return out, time.process_time() - start


def sequential(path: Path) -> np.ndarray:
    return np.stack([frame_to_rgb(frame) for _, frame in iter_av_frames(path, threads=1)])


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255**2 / mse)


def measure(
    tracks: list[np.ndarray], fps: list[float], writer: Writer, suffix: str, windows: int, seed: int
) -> list[str]:
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp:
        paths, size, encode_s = [], 0, 0.0
        for i, (frames, rate) in enumerate(zip(tracks, fps, strict=True)):
            path, seconds = cpu(writer, Path(tmp) / f"t{i}{suffix}", frames, rate)
            paths.append(path)
            encode_s += seconds
            size += path.stat().st_size
        fidelity, per_frame, gap = [], [], 0
        for path, frames in zip(paths, tracks, strict=True):
            back, seconds = cpu(sequential, path)
            assert back.shape == frames.shape, (back.shape, frames.shape)
            fidelity.append(psnr(back, frames))
            per_frame.append(seconds / len(frames))
            layout = track_layout(path)
            gap = max(gap, layout.max_key_gap if layout.indexed else len(frames))
        firsts, randoms = [], []
        for _ in range(windows):
            i = int(rng.integers(len(paths)))
            count = min(32, len(tracks[i]))
            start = int(rng.integers(0, len(tracks[i]) - count + 1))
            firsts.append(cpu(read_window, paths[i], 0, count)[1])
            randoms.append(cpu(read_window, paths[i], start, count)[1])
    frames_total = sum(len(t) for t in tracks)
    return [
        f"{size / frames_total / 1024:.2f}",
        "exact" if min(fidelity) >= 99.0 else f"{statistics.mean(fidelity):.2f} ({min(fidelity):.2f})",
        str(gap),
        f"{frames_total / encode_s:.0f}",
        f"{1e3 * statistics.median(per_frame):.3f}",
        f"{1e3 * statistics.median(firsts):.1f}",
        f"{1e3 * statistics.median(randoms):.1f}",
        f"{1 / statistics.mean(randoms):.1f}",
    ]


def export(data: Path, table, key: str, out: Path) -> None:
    """Write every ``.npy`` track of ``table`` in candidate ``key``'s format into the directory ``out``."""
    from sdrlib.data import write_manifest

    _, _, suffix, writer = next(c for c in CANDIDATES if c[0] == key)
    rows = table.copy()
    for i, row in rows.iterrows():
        path = str(row["path"])[: -len(".npy")] + suffix
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        writer(out / path, np.load(data / row["path"]), float(row.get("fps", 25.0) or 25.0))
        rows.loc[i, "path"] = path
    write_manifest(out, rows)
    print(f"wrote {len(rows)} tracks as {key} into {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a dataset directory of .npy tracks")
    parser.add_argument("--only", help="comma-separated candidate keys (default: all)")
    parser.add_argument("--limit", type=int, help="use only the first N tracks")
    parser.add_argument("--windows", type=int, default=100, help="random windows timed per candidate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--export", action="append", default=[], metavar="KEY=DIR", help="write the tracks as KEY into DIR"
    )
    args = parser.parse_args()
    table = read_manifest(args.data)
    table = table[table["path"].str.endswith(".npy")].head(args.limit)
    if table.empty:
        parser.error(f"{args.data} holds no .npy track (prepare it with --format npy)")
    tracks = [np.load(args.data / p) for p in table["path"]]
    fps = table["fps"].fillna(25.0).tolist() if "fps" in table else [25.0] * len(table)
    keys = args.only.split(",") if args.only else [key for key, *_ in CANDIDATES]
    exports = [item.partition("=")[::2] for item in args.export]
    unknown = ({*keys} | {key for key, _ in exports}) - {key for key, *_ in CANDIDATES} - {"none"}
    if unknown:
        parser.error(f"unknown candidates {sorted(unknown)}")
    for key, out in exports:
        export(args.data, table, key, Path(out))
    if keys == ["none"]:
        return
    frames_total = sum(len(t) for t in tracks)
    print(
        f"{len(tracks)} tracks, {frames_total} frames of {tracks[0].shape[1]}x{tracks[0].shape[2]} from {args.data}\n"
    )
    header = [
        "format",
        "KiB/frame",
        "PSNR dB (worst track)",
        "max key gap",
        "encode frames/s",
        "decode+RGB ms/frame",
        "first window ms",
        "random window ms",
        "random windows/s per core",
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for key, name, suffix, writer in CANDIDATES:
        if key in keys:
            row = measure(tracks, fps, writer, suffix, args.windows, args.seed)
            print(f"| {name} | " + " | ".join(row) + " |", flush=True)
    npy = tracks[0][0].nbytes / 1024
    print(f"| raw `.npy` | {npy:.1f} | exact | - | - | - | - | - | - |")


if __name__ == "__main__":
    main()
