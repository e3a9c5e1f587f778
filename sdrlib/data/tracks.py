"""Face tracks: reading their frames, and where clips may start in them.

A face track is the sequence of aligned face crops of one face in one video, stored as uint8
``(T, H, W, 3)`` frames in a ``.npy`` file or a video file. ``.npy`` tracks are memory-mapped, so
reading a window costs only that window. Video tracks are decoded by :mod:`sdrlib.data.video`
(imported when first needed, to keep this module light) from the key frame before the window
(:func:`sdrlib.data.video.seek.read_window`): tracks written by ``sdr prepare`` have one every 16
frames, so a window costs about its own frames too.

The real-video pipeline aligns a track with ONE similarity per window of ``align_len``
consecutive frames (:func:`alignment_windows`, SDR_SPEC section 4): the crop jumps where one
window's transform hands over to the next. A clip that spans such a boundary carries a jump that
is not in the video, so :func:`clip_start_ranges` and :func:`eval_clip_starts` keep clips inside
one window (the book chapter 'Data' shows the windows).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sdrlib.data.video import probe
from sdrlib.data.video.files import VIDEO_SUFFIXES
from sdrlib.data.video.seek import read_window

TRACK_SUFFIXES: tuple[str, ...] = (".npy", *sorted(VIDEO_SUFFIXES))


def _check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in TRACK_SUFFIXES:
        raise ValueError(f"{path}: a face track must be one of {', '.join(TRACK_SUFFIXES)}, got {suffix!r}")
    if not path.is_file():
        raise FileNotFoundError(f"face track not found: {path}")
    return suffix


def _open_npy(path: Path) -> np.ndarray:
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, EOFError) as err:  # numpy names neither the file nor the cause
        size = path.stat().st_size
        raise ValueError(
            f"{path}: damaged .npy track ({size} bytes, truncated or not a .npy file: {err}); prepare it again"
        ) from err
    if array.dtype != np.uint8 or array.ndim != 4 or array.shape[-1] != 3:
        raise ValueError(f"{path}: a .npy track must be uint8 (T, H, W, 3), got {array.dtype} {array.shape}")
    return array


def track_length(path: str | Path) -> int:
    """Number of frames of a face track (``.npy``: from its header; video: from its container)."""
    path = Path(path)
    if _check_suffix(path) == ".npy":
        return int(_open_npy(path).shape[0])
    return int(probe(path).frames)


def read_track(path: str | Path, start: int = 0, count: int | None = None) -> np.ndarray:
    """Frames ``start .. start + count - 1`` of a face track (``count=None``: to the end).

    A window that runs past the end is cut short (video containers can over-report their
    length), so callers must check the number of frames they get.

    Shape:
        returns ``(N, H, W, 3)`` uint8, ``N <= count``.

    Raises:
        ValueError: a negative ``start``, ``count < 1``, a ``start`` past the end, or a ``.npy``
            file that is damaged (the message names it) or not uint8 ``(T, H, W, 3)``.
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
    frames = read_window(path, start=start, count=count)
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


def alignment_windows(length: int, clip_len: int) -> np.ndarray:
    """Split ``length`` consecutive frames into alignment windows of ``clip_len`` frames.

    A last partial window shorter than ``clip_len`` joins the previous one (so that window has
    between ``clip_len`` and ``2 * clip_len - 1`` frames): every run of ``clip_len`` consecutive
    frames that starts at a multiple of ``clip_len``, and the last ``clip_len`` frames, then lie in
    one window with one transform. A track shorter than ``clip_len`` is one window.

    Shape:
        output: ``(W, 2)`` int64 ``[start, end)`` positions.
    """
    if length < 1 or clip_len < 1:
        raise ValueError(f"length and clip_len must be >= 1, got {length} and {clip_len}")
    starts = list(range(0, length, clip_len))
    if len(starts) > 1 and length - starts[-1] < clip_len:
        starts.pop()
    ends = starts[1:] + [length]
    return np.array(list(zip(starts, ends, strict=True)), dtype=np.int64).reshape(-1, 2)


def _clip_windows(length: int, clip_len: int, align_len: int | None) -> np.ndarray:
    """The windows clips must stay inside: the alignment windows when every one can hold a clip
    (``align_len >= clip_len``), else the whole track (no known or no usable constraint)."""
    if align_len is None or align_len < clip_len or length < clip_len:
        return np.array([[0, length]], dtype=np.int64)
    return alignment_windows(length, align_len)


def clip_start_ranges(length: int, clip_len: int, align_len: int | None = None) -> np.ndarray:
    """First frames a training clip may start at: ``[low, high]`` ranges, both ends included.

    With ``align_len`` (the track's alignment window, ``>= clip_len``) a clip never crosses a
    window boundary; without it any start that fits is allowed. A track shorter than the clip
    gives ``[[0, 0]]`` (it is mirror-padded).

    Shape:
        output: ``(R, 2)`` int64.
    """
    windows = _clip_windows(length, clip_len, align_len)
    highs = np.maximum(windows[:, 1] - clip_len, windows[:, 0])
    return np.stack([windows[:, 0], highs], axis=1)


def eval_clip_starts(
    length: int, clip_len: int, align_len: int | None = None, cover_tail: bool = False
) -> np.ndarray:
    """First frames of the evaluation clips: non-overlapping clips from the start of each window
    (a track shorter than a clip gives one, mirror-padded, clip at 0).

    A window's remainder shorter than a clip is dropped, or, with ``cover_tail``, covered by one
    more clip that ends at the window's end (so every frame gets a score: ``sdr predict``'s
    timeline).

    Shape:
        output: ``(N,)`` int64, ``N >= 1``.
    """
    windows = _clip_windows(length, clip_len, align_len)
    starts = []
    for start, end in windows.tolist():
        ours = list(range(start, start + clip_len * max(1, (end - start) // clip_len), clip_len))
        if cover_tail and ours[-1] + clip_len < end:
            ours.append(end - clip_len)
        starts.extend(ours)
    return np.asarray(starts, dtype=np.int64)
