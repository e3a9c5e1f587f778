"""Reading face tracks: uint8 ``(T, H, W, 3)`` frames from a ``.npy`` file or a video file.

A face track is the sequence of aligned face crops of one face in one video. ``.npy`` tracks are
memory-mapped, so reading a window costs only that window. Video tracks are decoded by
:mod:`sdrlib.data.video` (imported when first needed, to keep this module light).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

VIDEO_SUFFIXES: tuple[str, ...] = (".mp4", ".avi", ".mkv", ".webm", ".mov")
TRACK_SUFFIXES: tuple[str, ...] = (".npy",) + VIDEO_SUFFIXES


def _check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in TRACK_SUFFIXES:
        raise ValueError(f"{path}: a face track must be one of {', '.join(TRACK_SUFFIXES)}, got {suffix!r}")
    if not path.is_file():
        raise FileNotFoundError(f"face track not found: {path}")
    return suffix


def _open_npy(path: Path) -> np.ndarray:
    array = np.load(path, mmap_mode="r", allow_pickle=False)
    if array.dtype != np.uint8 or array.ndim != 4 or array.shape[-1] != 3:
        raise ValueError(f"{path}: a .npy track must be uint8 (T, H, W, 3), got {array.dtype} {array.shape}")
    return array


def track_length(path: str | Path) -> int:
    """Number of frames of a face track (``.npy``: from its header; video: from its container)."""
    path = Path(path)
    if _check_suffix(path) == ".npy":
        return int(_open_npy(path).shape[0])
    from sdrlib.data.video import probe

    return int(probe(path).frames)


def read_track(path: str | Path, start: int = 0, count: int | None = None) -> np.ndarray:
    """Frames ``start .. start + count - 1`` of a face track (``count=None``: to the end).

    A window that runs past the end is cut short (video containers can over-report their
    length), so callers must check the number of frames they get.

    Shape:
        returns ``(N, H, W, 3)`` uint8, ``N <= count``.

    Raises:
        ValueError: a negative ``start``, ``count < 1``, a ``start`` past the end, or a ``.npy``
            file that is not uint8 ``(T, H, W, 3)``.
    """
    path = Path(path)
    suffix = _check_suffix(path)
    if start < 0 or (count is not None and count < 1):
        raise ValueError(f"{path}: need start >= 0 and count >= 1, got start={start}, count={count}")
    if suffix == ".npy":
        array = _open_npy(path)
        if start >= array.shape[0]:
            raise ValueError(f"{path}: start {start} is past the end of a {array.shape[0]}-frame track")
        stop = array.shape[0] if count is None else min(array.shape[0], start + count)
        return np.array(array[start:stop])
    from sdrlib.data.video import read_frames

    frames = np.asarray(read_frames(path, start=start, count=count))
    if frames.shape[0] == 0:
        raise ValueError(f"{path}: no frame at or after {start}")
    return frames


def mirror_indices(length: int, count: int, start: int = 0) -> np.ndarray:
    """Indices ``start .. start + count - 1`` folded into ``[0, length)`` by mirroring at both ends.

    Example: ``mirror_indices(3, 7)`` is ``[0, 1, 2, 1, 0, 1, 2]``.
    """
    if length < 1:
        raise ValueError(f"cannot mirror a track of {length} frames")
    if length == 1:
        return np.zeros(count, dtype=np.int64)
    period = 2 * (length - 1)
    phase = np.arange(start, start + count) % period
    return np.where(phase < length, phase, period - phase).astype(np.int64)
