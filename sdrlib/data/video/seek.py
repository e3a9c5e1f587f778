"""Random access into face tracks: a window of consecutive frames, exact, from the key frame before it.

Training reads one random window of ``clip_len`` frames per track (SDR_SPEC section 4: clips of
consecutive frames); decoding every track from frame 0 made that window cost the frames before it
too (``docs/performance.md``). :func:`read_window` instead

1. looks the window's first frame up in the container's per-frame index (mp4/mov keep one for
   every frame, with the key-frame flags; no packet is read for it),
2. seeks to the last key frame at or before it and decodes from there, converting to RGB only the
   frames of the window.

This is exact when the key frame starts a closed group of pictures (H.264 IDR frames, what x264
writes by default and what :func:`~sdrlib.data.video.write_track_video` writes every 16 frames):
the frames decoded before it in the file are exactly the frames shown before it, so its position
in the index is its frame number, and nothing after it refers back. What is checked while reading
(the seek landed on an indexed key frame, the first decoded frame is a key frame, no packet failed)
falls back to sequential decoding from frame 0 when it does not hold, as does a container without
a complete index (webm/mkv cues list key frames only). Tests compare every path with sequential
decoding, for tracks written by :func:`~sdrlib.data.video.write_track_video` and by the earlier
writer (B-frames, a key frame every 250 frames).

One decoder thread by default: the loader's worker processes are the parallelism, and frame
threads would only add start-up delay to a 32-frame window. The book chapter 'Data' explains the
track format; ``docs/performance.md`` has the measurements.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import av
import numpy as np

from sdrlib.data.video.decode import _check_range, _open, frame_to_rgb, iter_av_frames
from sdrlib.data.video.errors import VideoError


@dataclasses.dataclass(frozen=True)
class TrackLayout:
    """How a video track is laid out for random access (:func:`track_layout`).

    Attributes:
        codec: FFmpeg codec name (``h264``...).
        pix_fmt: decoded pixel format (``gbrp``: RGB planes, ``yuv444p``...).
        frames: frames in the container's count.
        indexed: the container indexes every frame, so :func:`read_window` seeks.
        key_frames: key frames in the index (0 when not ``indexed``).
        max_key_gap: the most frames from one key frame to the next (or to the end): at most this
            many minus one are decoded before a window and dropped.
        reorders: the stream has B-frames (frames decode in another order than they show).
    """

    codec: str
    pix_fmt: str
    frames: int
    indexed: bool
    key_frames: int
    max_key_gap: int
    reorders: bool


def track_layout(path: str | Path) -> TrackLayout:
    """Codec, pixel format and key-frame spacing of a video track (reads the index, decodes nothing).

    Raises:
        VideoError: not a readable video (see :func:`~sdrlib.data.video.probe`).
    """
    with _open(Path(path), threads=1) as (container, stream):
        context = stream.codec_context
        entries = stream.index_entries
        frames = int(stream.frames)
        indexed = frames > 0 and len(entries) == frames
        keys = [i for i, entry in enumerate(entries) if entry.is_keyframe] if indexed else []
        gaps = np.diff(keys + [frames]) if keys else np.array([frames])
        return TrackLayout(
            codec=context.name,
            pix_fmt=str(context.pix_fmt),
            frames=frames,
            indexed=indexed,
            key_frames=len(keys),
            max_key_gap=int(gaps.max()),
            reorders=bool(context.has_b_frames),
        )


def _from_key_frame(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    path: Path,
    start: int,
    count: int | None,
) -> list[np.ndarray] | None:
    """The window's frames by seeking, or None when the file does not allow an exact seek."""
    entries = stream.index_entries
    total = len(entries)
    if total == 0 or total != stream.frames:
        return None
    if start >= total:
        raise VideoError(f"{path}: start={start} is past the last frame (the video has {total} frames)")
    key = entries.search_timestamp(entries[start].timestamp, backward=True, any_frame=False)
    if key < 0 or not entries[key].is_keyframe:
        return None
    if key > 0:
        container.seek(entries[key].timestamp, stream=stream, backward=True, any_frame=False)
    wanted = total - start if count is None else min(count, total - start)
    out: list[np.ndarray] = []
    position, check_key = -1, True
    try:
        for packet in container.demux(stream):
            if position < 0:
                if packet.dts is None or not packet.is_keyframe:
                    return None
                # where the seek landed (a demuxer may choose an earlier key frame): its index row
                landed = entries.search_timestamp(packet.dts, backward=True, any_frame=True)
                if landed < 0 or landed > start or entries[landed].timestamp != packet.dts:
                    return None
                position = landed
            for frame in packet.decode():
                if check_key and not frame.key_frame:
                    return None
                check_key = False
                if position >= start:
                    out.append(frame_to_rgb(frame))
                    if len(out) == wanted:
                        return out
                position += 1
    except av.error.FFmpegError:
        return None
    return out if out else None


def read_window(path: str | Path, start: int = 0, count: int | None = None, threads: int = 1) -> np.ndarray:
    """Frames ``start .. start + count - 1`` of a video, decoded from the key frame before ``start``.

    The same frames as :func:`~sdrlib.data.video.read_frames` (see the module docstring for when it
    seeks and when it decodes from the start instead); a window past the end is cut short.

    Args:
        path: the video file.
        start: first frame.
        count: number of frames; ``None`` for all to the end.
        threads: decoder threads (0: FFmpeg's choice).

    Shape:
        output: ``(N, H, W, 3)`` uint8 RGB, ``N <= count``.

    Raises:
        VideoError: not a readable video, or ``start`` past the last frame.
        ValueError: a negative ``start`` or ``count < 1``.
    """
    _check_range(start, count)
    path = Path(path)
    with _open(path, threads) as (container, stream):
        frames = _from_key_frame(container, stream, path, int(start), count)
    if frames is None:
        frames = [frame_to_rgb(frame) for _, frame in iter_av_frames(path, start, count, threads)]
    return np.stack(frames)
