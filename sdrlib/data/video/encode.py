"""Writing aligned face tracks as small, near-lossless videos (atomically).

Aligned 224 x 224 crops are stored once and read many times by training, so the codec must keep
them close to the aligned crops without the 147 KiB per frame of raw ``.npy``, and a random window
must decode fast. :func:`write_track_video` is the face-track format (``docs/performance.md``,
"Storing tracks", measured on aligned crops of the shared clips with
``scripts/bench_track_codecs.py``):

- **H.264 in RGB** (libx264rgb: the G, B and R planes are coded as they are, 4:4:4): no YUV
  conversion on either side (FFmpeg has no fast path from 4:4:4 YUV to RGB: decoding plus
  conversion went from 0.52 to 0.36 ms per frame); 4:2:0 chroma loses 3 dB on the colour edges of
  faces, so it is not offered.
- **A key frame every 16 frames** (``gop``), no scene-cut key frames and no B-frames: every window
  of the default 32-frame alignment window and every evaluation clip starts on a key frame, and
  any other window at most 15 frames after one (:func:`~sdrlib.data.video.seek.read_window`).
- **Fast decoding** (x264 ``tune=fastdecode``: CAVLC instead of CABAC, no deblocking filter):
  CABAC was the largest part of the decoding time at this bit rate.
- **CRF 17**: 45.3 dB PSNR against the aligned crops at 3.7 KiB per frame, the fidelity of the
  earlier default (YUV 4:4:4 CRF 10: 45.0 dB at 2.2 KiB per frame, key frames 250 frames apart);
  ``lossless=True`` stores bit-exact RGB (QP 0).

:func:`write_video` writes any of these variants, and the earlier default with its defaults. Every
variant reads back with :func:`~sdrlib.data.video.read_frames` and
:func:`~sdrlib.data.video.seek.read_window`.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from sdrlib.data.video.errors import OutputError
from sdrlib.utils.io import atomic_open

CONTAINERS: dict[str, str] = {".mp4": "mp4", ".mkv": "matroska", ".mov": "mov"}

#: Quality of face tracks (x264 CRF of the RGB planes): the fidelity of the earlier YUV CRF 10.
TRACK_CRF = 17
#: Frames between key frames of face tracks: a divisor of the default alignment window (32).
TRACK_GOP = 16


def _check_frames(frames: np.ndarray) -> None:
    if not isinstance(frames, np.ndarray) or frames.dtype != np.uint8:
        raise TypeError(
            f"frames must be a uint8 numpy array, got {type(frames).__name__} {getattr(frames, 'dtype', '')}"
        )
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] < 1:
        raise ValueError(f"frames must have shape (T>=1, H, W, 3), got {frames.shape}")


def write_video(
    path: str | Path,
    frames: np.ndarray,
    fps: float = 25.0,
    crf: int = 10,
    lossless: bool = False,
    preset: str = "medium",
    gop: int | None = None,
    rgb: bool = False,
    fast_decode: bool = False,
) -> Path:
    """Encode RGB frames as H.264 into ``path`` (``.mp4``, ``.mkv`` or ``.mov``), atomically.

    Args:
        path: destination; its suffix picks the container. Parent folders are created.
        frames: the frames to write.
        fps: frame rate stored in the file.
        crf: H.264 constant rate factor (0..51, lower is better); 10 is near-lossless in YUV 4:4:4.
        lossless: store bit-exact RGB instead (libx264rgb, QP 0; about 8x larger than CRF 10).
        preset: x264 speed/size trade-off (``ultrafast`` .. ``veryslow``); size only, not quality.
        gop: a key frame (IDR) exactly every ``gop`` frames, and no B-frames; ``None`` leaves x264's
            choice (up to 250 frames apart, more at scene cuts, with B-frames).
        rgb: code the RGB planes as they are (libx264rgb) instead of converting to YUV 4:4:4.
        fast_decode: x264 ``tune=fastdecode`` (CAVLC, no deblocking): about twice as fast to decode,
            somewhat larger at the same CRF.

    Shape:
        frames: ``(T, H, W, 3)`` uint8 RGB.

    Returns:
        ``path``.

    Raises:
        ValueError / TypeError: bad frames, fps, crf or suffix.
        OutputError: the file cannot be written (no permission, disk full); nothing is left behind.
    """
    path = Path(path)
    _check_frames(frames)
    container_format = CONTAINERS.get(path.suffix.lower())
    if container_format is None:
        raise ValueError(f"{path}: unsupported video suffix {path.suffix!r}; use one of {sorted(CONTAINERS)}")
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    if not 0 <= int(crf) <= 51:
        raise ValueError(f"crf must be in 0..51, got {crf}")
    if gop is not None and gop < 1:
        raise ValueError(f"gop must be None or >= 1, got {gop}")
    _, height, width, _ = frames.shape
    codec, pix_fmt = ("libx264rgb", "rgb24") if lossless or rgb else ("libx264", "yuv444p")
    options = {"qp": "0"} if lossless else {"crf": str(int(crf))}
    options["preset"] = preset
    if fast_decode:
        options["tune"] = "fastdecode"
    if gop is not None:
        options["x264-params"] = f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0"
    try:
        with atomic_open(path, "wb") as handle:
            container = av.open(handle, mode="w", format=container_format)
            try:
                stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(100_000))
                stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
                stream.options = options
                for frame in frames:
                    for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                        container.mux(packet)
                for packet in stream.encode():
                    container.mux(packet)
            finally:
                container.close()
    except OSError as err:
        raise OutputError(f"{path}: cannot write the video ({' '.join(str(err).split())})") from err
    return path


def write_track_video(
    path: str | Path,
    frames: np.ndarray,
    fps: float = 25.0,
    crf: int = TRACK_CRF,
    lossless: bool = False,
    gop: int = TRACK_GOP,
) -> Path:
    """Write a face track in the face-track format (module docstring): H.264 RGB, a key frame every
    ``gop`` frames, fast decoding, CRF ``crf`` (or bit-exact with ``lossless``).

    Shape:
        frames: ``(T, H, W, 3)`` uint8 RGB.

    Raises:
        See :func:`write_video`.
    """
    return write_video(path, frames, fps=fps, crf=crf, lossless=lossless, gop=gop, rgb=True, fast_decode=True)
