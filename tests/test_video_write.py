"""Writing face tracks as video: fidelity, read-back, atomicity, clear errors."""

from __future__ import annotations

import errno

import numpy as np
import pytest

from sdrlib.data.video import OutputError, probe, read_frames, write_video


def smooth_frames(count: int = 8, size: int = 64) -> np.ndarray:
    """Face-like smooth content (gradients and a blob) that moves a little per frame."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    frames = []
    for t in range(count):
        blob = np.exp(-((xx - 30 - t) ** 2 + (yy - 32) ** 2) / 120.0)
        frames.append(np.stack([80 + 150 * blob, 60 + xx * 2, 200 - yy * 2 + 40 * blob], axis=-1))
    return np.clip(np.stack(frames), 0, 255).astype(np.uint8)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".mov"])
def test_near_lossless_round_trip(tmp_path, suffix):
    frames = smooth_frames()
    path = write_video(tmp_path / f"track{suffix}", frames, fps=30.0)
    back = read_frames(path)
    assert back.shape == frames.shape
    assert psnr(frames, back) > 40.0
    info = probe(path)
    assert info.frames == len(frames) and info.fps == pytest.approx(30.0)


def test_lossless_is_bit_exact(tmp_path):
    frames = np.random.default_rng(0).integers(0, 256, (5, 32, 48, 3), dtype=np.uint8)
    back = read_frames(write_video(tmp_path / "exact.mkv", frames, lossless=True))
    np.testing.assert_array_equal(back, frames)


def test_odd_sizes_and_fractional_fps(tmp_path):
    frames = smooth_frames(count=3, size=33)
    path = write_video(tmp_path / "odd.mp4", frames, fps=29.97)
    assert read_frames(path).shape == (3, 33, 33, 3)
    assert probe(path).fps == pytest.approx(29.97, abs=0.01)


def test_bad_arguments_are_rejected(tmp_path):
    frames = smooth_frames(count=2)
    with pytest.raises(ValueError, match="suffix"):
        write_video(tmp_path / "x.gif", frames)
    with pytest.raises(TypeError, match="uint8"):
        write_video(tmp_path / "x.mp4", frames.astype(np.float32))
    with pytest.raises(ValueError, match="shape"):
        write_video(tmp_path / "x.mp4", frames[0])
    with pytest.raises(ValueError, match="fps"):
        write_video(tmp_path / "x.mp4", frames, fps=0)
    assert not any(tmp_path.iterdir())


def test_disk_full_leaves_nothing_behind(tmp_path, monkeypatch):
    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("sdrlib.utils.io.os.fsync", full)
    with pytest.raises(OutputError, match="No space left") as info:
        write_video(tmp_path / "track.mp4", smooth_frames())
    assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_existing_file_survives_a_failed_write(tmp_path, monkeypatch):
    path = write_video(tmp_path / "track.mp4", smooth_frames(count=4))
    before = path.read_bytes()

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("sdrlib.utils.io.os.fsync", full)
    with pytest.raises(OutputError):
        write_video(path, smooth_frames(count=8))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["track.mp4"]
