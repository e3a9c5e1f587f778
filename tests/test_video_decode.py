"""Decoding real videos: containers, rotation, variable frame rate, downscaling, bad files."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from sdrlib.data.video import (
    InputError,
    VideoError,
    iter_frames,
    normalize_rotation,
    probe,
    read_frames,
    rotate_frame,
)

# (suffix, codec, pixel format) of small synthetic videos, one per common container.
CONTAINERS = [
    (".mp4", "libx264", "yuv420p"),
    (".webm", "libvpx-vp9", "yuv420p"),
    (".avi", "mpeg4", "yuv420p"),
    (".mov", "libx264", "yuv420p"),
    (".mkv", "ffv1", "yuv420p"),
]


def pattern(index: int, height: int = 48, width: int = 64) -> np.ndarray:
    """A frame whose content says its index: a bright block that moves right, on a dark field."""
    frame = np.full((height, width, 3), 30, np.uint8)
    x = 4 + 2 * index
    frame[8:24, x : x + 12] = (230, 200, 40)
    return frame


def write_synthetic(
    path: Path,
    frames: int = 12,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    rotation: int = 0,
    pts: list[int] | None = None,
) -> Path:
    """Write a tiny video with PyAV; ``pts`` (in 1/1000 s) makes the frame rate variable."""
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, pix_fmt
        if rotation:
            stream.set_display_rotation(rotation)
        if pts is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(pattern(i), format="rgb24")
            if pts is not None:
                frame.pts, frame.time_base = pts[i], Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def block_x(frame: np.ndarray) -> float:
    """Column of the bright block's centre (robust to lossy codecs)."""
    columns = np.flatnonzero(frame[8:24, :, 0].mean(axis=0) > 130)
    return float(columns.mean())


@pytest.mark.parametrize(("suffix", "codec", "pix_fmt"), CONTAINERS)
def test_every_container_decodes_in_order(tmp_path, suffix, codec, pix_fmt):
    path = write_synthetic(tmp_path / f"clip{suffix}", frames=12, codec=codec, pix_fmt=pix_fmt)
    info = probe(path)
    assert (info.width, info.height, info.rotation) == (64, 48, 0)
    assert info.frames == 12 and info.fps == pytest.approx(25.0)
    frames = read_frames(path)
    assert frames.shape == (12, 48, 64, 3) and frames.dtype == np.uint8
    positions = [block_x(f) for f in frames]
    assert np.allclose(np.diff(positions), 2.0, atol=0.6)


def test_webm_without_frame_count_is_counted_from_packets(tmp_path):
    path = write_synthetic(tmp_path / "clip.webm", frames=9, codec="libvpx-vp9")
    info = probe(path)
    assert info.frames == 9 and info.frames_source in {"packets", "container"}
    assert probe(path, count_frames=True).frames_source == "decoded"


def test_start_and_count_skip_by_decoding(tmp_path):
    path = write_synthetic(tmp_path / "clip.mp4", frames=20)
    every = read_frames(path)
    part = read_frames(path, start=5, count=4)
    assert part.shape[0] == 4
    np.testing.assert_array_equal(part, every[5:9])
    assert read_frames(path, start=18, count=10).shape[0] == 2  # cut short at the end, no padding
    streamed = list(iter_frames(path, start=3, count=2))
    np.testing.assert_array_equal(np.stack(streamed), every[3:5])
    with pytest.raises(VideoError, match="past the last frame"):
        read_frames(path, start=20)
    with pytest.raises(ValueError, match="count"):
        read_frames(path, count=0)
    with pytest.raises(ValueError, match="start"):
        read_frames(path, start=-1)


def test_max_side_downscales_keeping_aspect(tmp_path):
    path = write_synthetic(tmp_path / "clip.mp4", frames=3)
    small = read_frames(path, max_side=32)
    assert small.shape == (3, 24, 32, 3)
    assert read_frames(path, max_side=1000).shape == (3, 48, 64, 3)


def test_rotation_metadata_gives_portrait_frames(tmp_path):
    path = write_synthetic(tmp_path / "rotated.mp4", frames=4, rotation=90)
    info = probe(path)
    assert info.rotation == 90 and (info.width, info.height) == (48, 64)
    plain = read_frames(write_synthetic(tmp_path / "plain.mp4", frames=4))
    rotated = read_frames(path)
    assert rotated.shape == (4, 64, 48, 3)
    np.testing.assert_array_equal(rotated, np.rot90(plain, k=1, axes=(1, 2)))
    assert read_frames(path, max_side=32).shape == (4, 32, 24, 3)


def test_rotate_frame_turns_counter_clockwise():
    frame = np.arange(6, dtype=np.uint8).reshape(2, 3, 1)
    # Counter-clockwise by 90: the top-right pixel becomes the top-left one.
    assert rotate_frame(frame, 90)[0, 0, 0] == frame[0, 2, 0]
    assert rotate_frame(frame, -90)[0, 0, 0] == frame[1, 0, 0]
    np.testing.assert_array_equal(rotate_frame(frame, 180), frame[::-1, ::-1])
    assert rotate_frame(frame, 0) is frame
    assert [normalize_rotation(d) for d in (0, 89.6, -90, 180, -180, 270, 360)] == [
        0,
        90,
        270,
        180,
        180,
        270,
        0,
    ]


def test_variable_frame_rate_returns_every_frame(tmp_path):
    pts = [0, 40, 80, 200, 220, 240, 400, 440]  # irregular gaps, in milliseconds
    path = write_synthetic(tmp_path / "vfr.mkv", frames=len(pts), codec="ffv1", pts=pts)
    frames = read_frames(path)
    assert frames.shape[0] == len(pts)
    assert np.allclose(np.diff([block_x(f) for f in frames]), 2.0, atol=0.6)
    assert probe(path).fps > 0


def test_not_a_video_and_bad_paths_raise_one_line_video_errors(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("this is not a video\n" * 50)
    binary = tmp_path / "noise.mp4"
    binary.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    image = tmp_path / "still.png"
    cv2.imwrite(str(image), np.zeros((16, 16, 3), np.uint8))
    empty = tmp_path / "empty.mp4"
    empty.touch()
    cases = {
        text: "a text file",
        binary: "not a readable video",
        image: "a still image",
        empty: "empty file",
        tmp_path / "missing.mp4": "no such file",
        tmp_path: "is a directory",
    }
    if Path("/dev/null").exists():
        cases[Path("/dev/null")] = "not a regular file"
    for path, message in cases.items():
        with pytest.raises(VideoError, match=message) as info:
            probe(path)
        assert isinstance(info.value, InputError) and "\n" not in str(info.value)
        with pytest.raises(VideoError):
            read_frames(path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_a_video_error(tmp_path):
    path = write_synthetic(tmp_path / "clip.mp4", frames=2)
    path.chmod(0)
    with pytest.raises(VideoError, match="permission denied"):
        probe(path)


def test_audio_only_file_has_no_video_stream(tmp_path):
    path = tmp_path / "sound.wav"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with pytest.raises(VideoError, match="no video stream"):
        probe(path)


@pytest.mark.parametrize(("suffix", "codec"), [(".mkv", "ffv1"), (".mp4", "libx264")])
def test_zero_frame_video_is_a_video_error(tmp_path, suffix, codec):
    path = tmp_path / f"zero{suffix}"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        container.start_encoding()  # header only, not one frame
    assert path.stat().st_size > 0
    for read in (probe, read_frames):
        with pytest.raises(
            VideoError, match="no decodable video frames|not a readable video|no video stream"
        ):
            read(path)


def test_truncated_and_corrupt_files_fail_cleanly_or_decode_what_is_left(tmp_path):
    source = write_synthetic(tmp_path / "clip.mp4", frames=30)
    data = source.read_bytes()
    # PyAV writes the index (moov) at the end: cut it off and the file cannot be opened.
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoError, match="not a readable video"):
        probe(cut)
    # Frame data (between the mdat and moov boxes) replaced by noise: the first keyframe is gone, so
    # nothing decodes, and that is an error (no hang, no frames of noise).
    start, end = data.find(b"mdat") + 4, data.find(b"moov") - 4
    assert 0 < start < end
    rng = np.random.default_rng(0)

    def damaged(lo: float, hi: float) -> Path:
        out = bytearray(data)
        a, b = int(start + lo * (end - start)), int(start + hi * (end - start))
        out[a:b] = rng.integers(0, 256, b - a, dtype=np.uint8).tobytes()
        path = tmp_path / f"damaged-{lo}-{hi}.mp4"
        path.write_bytes(bytes(out))
        return path

    with pytest.raises(VideoError, match="no decodable video frames"):
        read_frames(damaged(0.0, 1.0))
    # Only the last frames' data damaged: what comes before the damage decodes exactly as before.
    clean = read_frames(source)
    frames = read_frames(damaged(0.9, 0.95))
    assert len(clean) == 30 and 1 <= len(frames) <= 30
    assert np.array_equal(frames[0], clean[0]) and np.array_equal(frames[1], clean[1])
