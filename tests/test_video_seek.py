"""Random access into face tracks: every window read by seeking equals sequential decoding, for
tracks written the new way (H.264 RGB, a key frame every 16 frames) and the old way (YUV 4:4:4,
B-frames, x264's own key frames), in every container; the layout is what the writer promises."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from sdrlib.data import read_track
from sdrlib.data.video import (
    TRACK_GOP,
    VideoError,
    read_frames,
    read_window,
    track_layout,
    write_track_video,
    write_video,
)
from sdrlib.data.video import seek as seek_module

FRAMES = 300  # more than x264's default key-frame interval (250): old tracks get a second key frame


def face_like(count: int, size: int = 32, cut_every: int = 32, seed: int = 0) -> np.ndarray:
    """Smooth moving content with a jump every ``cut_every`` frames (like a new alignment window),
    plus mild noise, so that an encoder uses P-frames and B-frames."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    frames = []
    for t in range(count):
        shift = 6.0 * (t // cut_every)
        cx = size / 2 + 5 * np.sin(t / 7) + shift
        blob = np.exp(-((xx - cx) ** 2 + (yy - size / 2) ** 2) / (size * 2.0))
        frame = np.stack([70 + 160 * blob, 50 + xx * 3 + shift * 4, 200 - yy * 2 + 40 * blob], axis=-1)
        frames.append(frame + rng.normal(0, 2.0, frame.shape))
    return np.clip(np.stack(frames), 0, 255).astype(np.uint8)


def no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the sequential fallback fail, so a passing read proves the seek path served it."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("read_window fell back to sequential decoding")

    monkeypatch.setattr(seek_module, "iter_av_frames", refuse)


@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    return face_like(FRAMES)


@pytest.fixture(scope="module")
def new_track(tmp_path_factory: pytest.TempPathFactory, frames: np.ndarray) -> Path:
    return write_track_video(tmp_path_factory.mktemp("new") / "t.mp4", frames)


@pytest.fixture(scope="module")
def old_track(tmp_path_factory: pytest.TempPathFactory, frames: np.ndarray) -> Path:
    """The writer's earlier defaults: YUV 4:4:4 CRF 10, B-frames, key frames where x264 wants."""
    return write_video(tmp_path_factory.mktemp("old") / "t.mp4", frames)


def test_new_tracks_have_a_key_frame_every_gop_and_no_b_frames(new_track, frames):
    layout = track_layout(new_track)
    assert (layout.codec, layout.pix_fmt, layout.frames, layout.indexed) == ("h264", "gbrp", FRAMES, True)
    assert layout.key_frames == -(-len(frames) // TRACK_GOP) and layout.max_key_gap == TRACK_GOP
    assert not layout.reorders


def test_old_tracks_reorder_and_place_their_own_key_frames(old_track):
    layout = track_layout(old_track)
    assert layout.pix_fmt == "yuv444p" and layout.indexed and layout.reorders
    assert layout.key_frames >= 2 and layout.max_key_gap > TRACK_GOP, "x264's own key frames, not a grid"


@pytest.mark.parametrize("which", ["new_track", "old_track"])
def test_every_window_equals_sequential_decoding(which, request, monkeypatch):
    path = request.getfixturevalue(which)
    every = read_frames(path)
    assert every.shape[0] == FRAMES
    no_fallback(monkeypatch)
    windows = [(start, 32) for start in range(FRAMES)] + [
        (s, c) for s in (0, 15, 16, 17, 250) for c in (1, 9)
    ]
    for start, count in windows:
        window = read_window(path, start, count)
        np.testing.assert_array_equal(
            window, every[start : start + count], err_msg=f"{which} {start}+{count}"
        )
    np.testing.assert_array_equal(read_window(path, 260), every[260:])
    np.testing.assert_array_equal(read_track(path, 37, 32), every[37:69])


def test_new_format_keeps_the_fidelity_of_the_old_one(new_track, old_track, frames):
    def psnr(path: Path) -> float:
        mse = np.mean((read_frames(path).astype(np.float64) - frames) ** 2)
        return float(10 * np.log10(255**2 / mse))

    assert psnr(new_track) > 40.0 and psnr(new_track) > psnr(old_track) - 1.5
    lossless = write_track_video(new_track.with_name("exact.mkv"), frames[:20], lossless=True)
    np.testing.assert_array_equal(read_window(lossless, 3, 10), frames[3:13])


def _write_other(path: Path, frames: np.ndarray, codec: str, pix_fmt: str) -> Path:
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=Fraction(25))
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], pix_fmt
        stream.options = {"g": "10"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.mark.parametrize(
    ("suffix", "codec", "pix_fmt"),
    [
        (".mkv", "libx264", "yuv444p"),
        (".mov", "libx264", "yuv420p"),
        (".avi", "mpeg4", "yuv420p"),
        (".webm", "libvpx-vp9", "yuv420p"),
        (".mkv", "mjpeg", "yuvj444p"),
    ],
)
def test_other_containers_and_codecs_read_the_same_frames(tmp_path, frames, suffix, codec, pix_fmt):
    path = _write_other(tmp_path / f"t{suffix}", frames[:50], codec, pix_fmt)
    every = read_frames(path)
    for start in (0, 1, 9, 10, 11, 25, 49):
        np.testing.assert_array_equal(read_window(path, start, 12), every[start : start + 12])


def test_bad_windows_raise_clear_errors(new_track):
    with pytest.raises(VideoError, match="past the last frame"):
        read_window(new_track, FRAMES, 4)
    with pytest.raises(ValueError, match="start"):
        read_window(new_track, -1, 4)
    with pytest.raises(ValueError, match="count"):
        read_window(new_track, 0, 0)
    with pytest.raises(VideoError, match="no such file"):
        read_window(new_track.with_name("absent.mp4"), 0, 4)
    with pytest.raises(ValueError, match="gop"):
        write_video(new_track.with_name("x.mp4"), face_like(2), gop=0)
