"""Writing aligned face tracks as small, near-lossless videos (atomically).

Aligned 224 x 224 crops are stored once and read many times by training, so the codec must keep
them close to the decoded source without the 147 KiB per frame of raw ``.npy``. Measured on aligned
FF++ crops (``scripts/bench_faces.py``, see ``docs/faces.md``): H.264 in 4:4:4 chroma at CRF 10 is
about 45 dB PSNR for about 2 KiB per frame; 4:2:0 chroma (what phones write) loses 5 dB on the
colour edges of faces, so it is not offered; ``lossless=True`` stores bit-exact RGB (libx264rgb,
QP 0) at about 18 KiB per frame. Every variant reads back with :func:`~sdrlib.data.video.read_frames`.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from sdrlib.data.video.errors import OutputError
from sdrlib.utils.io import atomic_open

CONTAINERS: dict[str, str] = {".mp4": "mp4", ".mkv": "matroska", ".mov": "mov"}


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
) -> Path:
    """Encode RGB frames as H.264 into ``path`` (``.mp4``, ``.mkv`` or ``.mov``), atomically.

    Args:
        path: destination; its suffix picks the container. Parent folders are created.
        frames: the frames to write.
        fps: frame rate stored in the file.
        crf: H.264 constant rate factor (0..51, lower is better); 10 is near-lossless.
        lossless: store bit-exact RGB instead (libx264rgb, QP 0; about 8x larger than CRF 10).
        preset: x264 speed/size trade-off (``ultrafast`` .. ``veryslow``); size only, not quality.

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
    _, height, width, _ = frames.shape
    codec, pix_fmt, options = (
        ("libx264rgb", "rgb24", {"qp": "0"}) if lossless else ("libx264", "yuv444p", {"crf": str(int(crf))})
    )
    options["preset"] = preset
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
