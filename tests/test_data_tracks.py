"""Face tracks: .npy windows via mmap, length, errors; video tracks through sdrlib.data.video."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from sdrlib.data import read_track, track_length


def _numbered(frames: int, size: int = 6) -> np.ndarray:
    """Frame t is filled with the value t, so a window's content tells where it came from."""
    return np.broadcast_to(
        np.arange(frames, dtype=np.uint8)[:, None, None, None], (frames, size, size, 3)
    ).copy()


def test_npy_windows(tmp_path):
    path = tmp_path / "t.npy"
    np.save(path, _numbered(10))
    assert track_length(path) == 10
    window = read_track(path, 3, 4)
    assert window.dtype == np.uint8 and window.shape == (4, 6, 6, 3)
    assert window[:, 0, 0, 0].tolist() == [3, 4, 5, 6]
    assert window.flags.writeable and window.flags.c_contiguous
    assert read_track(path, 8, 5)[:, 0, 0, 0].tolist() == [8, 9]
    assert len(read_track(path)) == 10


def test_bad_tracks_and_windows(tmp_path):
    path = tmp_path / "t.npy"
    np.save(path, _numbered(4))
    with pytest.raises(ValueError, match="past the end"):
        read_track(path, 4, 1)
    with pytest.raises(ValueError, match="start >= 0"):
        read_track(path, -1, 2)
    with pytest.raises(ValueError, match="count >= 1"):
        read_track(path, 0, 0)
    np.save(tmp_path / "f.npy", np.zeros((2, 4, 4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"uint8 \(T, H, W, 3\)"):
        track_length(tmp_path / "f.npy")
    with pytest.raises(ValueError, match="must be one of"):
        read_track(tmp_path / "t.png")
    with pytest.raises(FileNotFoundError):
        read_track(tmp_path / "absent.npy")


@pytest.mark.skipif(
    importlib.util.find_spec("sdrlib.data.video") is None, reason="sdrlib.data.video not there yet"
)
def test_video_tracks_are_decoded_by_sdrlib_data_video(tmp_path):
    from sdrlib.data.video import write_video

    frames = np.repeat(np.repeat(_numbered(12, 4) * 20, 8, axis=1), 8, axis=2)
    path = write_video(tmp_path / "t.mp4", frames, lossless=True)
    assert track_length(path) == 12
    window = read_track(path, 5, 3)
    assert window.shape == (3, 32, 32, 3) and window.dtype == np.uint8
    assert np.abs(window.astype(int) - frames[5:8]).max() <= 2


@pytest.mark.parametrize("writer", ["write_track_video", "write_video"])
def test_prepared_video_directories_of_both_formats_give_the_sequential_clips(tmp_path, writer):
    """Directories written the new way (seekable RGB tracks) and the old way (YUV 4:4:4, B-frames,
    x264's key frames): every training and evaluation clip is the sequentially decoded window."""
    from sdrlib.data import ClipDataset, video, write_manifest

    rng = np.random.default_rng(0)
    rows, decoded = [], {}
    for i, length in enumerate((70, 90)):
        base = np.repeat(np.repeat(_numbered(length, 4) * 3, 8, axis=1), 8, axis=2)
        frames = np.clip(base + rng.integers(0, 20, base.shape), 0, 255).astype(np.uint8)
        path = getattr(video, writer)(tmp_path / f"tracks/v{i}.t0.mp4", frames)
        decoded[f"v{i}"] = video.read_frames(path)
        rows.append(
            {"path": f"tracks/v{i}.t0.mp4", "label": i, "video_id": f"v{i}", "split": "train", "domain": "d"}
            | {"frames": length, "align_len": 32}
        )
    write_manifest(tmp_path, rows)
    for mode in ("train", "eval"):
        data = ClipDataset(tmp_path, clip_len=16, mode=mode, seed=3)
        for epoch in range(4 if mode == "train" else 1):
            data.set_epoch(epoch)
            for item in (data[i] for i in range(len(data))):
                want = decoded[item["video_id"]][item["start"] : item["start"] + 16]
                np.testing.assert_array_equal(item["clip"].numpy(), want)
