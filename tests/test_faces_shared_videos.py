"""The pipeline on real clips from ``shared/videos`` (skipped when the folder is absent).

The folder sits beside the repository (``../shared/videos``) or where ``SDR_SHARED_VIDEOS`` points;
its clips are never committed. A few clips only, covering the odd cases: 1080p portrait, webm
without a frame count, a clip shorter than one 32-frame clip, a half of a side-by-side video.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from sdrlib.data.faces import (
    FacePipelineConfig,
    MTCNNDetector,
    apply_transform,
    extract_face_tracks,
    face_template,
)
from sdrlib.data.video import probe, read_frames, read_window, track_layout, write_track_video, write_video

pytestmark = pytest.mark.videos


@pytest.fixture(scope="module")
def manifest(shared_videos: Path) -> dict[str, dict[str, str]]:
    with (shared_videos / "manifest.csv").open(newline="") as handle:
        return {row["path"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def detector() -> MTCNNDetector:
    return MTCNNDetector(device="cpu", max_side=None)


def test_probe_agrees_with_the_manifest(manifest, shared_videos):
    for rel, row in manifest.items():
        info = probe(shared_videos / rel)
        assert (info.width, info.height) == (int(row["width"]), int(row["height"])), rel
        assert info.fps == pytest.approx(float(row["fps"]), rel=0.01), rel
        expected = int(row["frames"])
        assert info.frames == expected if expected > 0 else info.frames > 0, rel


@pytest.mark.parametrize(
    ("rel", "max_frames", "expect_padded"),
    [
        ("dfdc_icpr2020/brtujopkby.mp4", 40, False),  # 1080 x 1920 portrait
        ("ghost/orig.webm", 40, False),  # VP9 in webm: no frame count in the container
        ("liveportrait/d1.mp4", None, True),  # 16 frames: shorter than one clip
        ("deepfacelive_split/Keanu_Reeves_0_right_fake.mp4", 40, False),
    ],
)
def test_real_clips_give_one_aligned_track(rel, max_frames, expect_padded, detector, shared_videos):
    config = FacePipelineConfig(detect_every=5, max_frames=max_frames, device="cpu")
    (track,) = extract_face_tracks(shared_videos / rel, config, detector=detector)
    length = 32 if expect_padded else max_frames
    assert track.frames.shape == (length, 224, 224, 3)
    assert track.padded == expect_padded
    assert track.detected.any() and not any("detected in only" in w for w in track.warnings)
    info = probe(shared_videos / rel)
    assert track.mean_face_size >= 40 and track.boxes[:, 2].max() <= info.width + 1
    # Every frame's landmarks land near the template: the face sits where the model expects it.
    template = face_template(224, config.scale)
    for (start, end), matrix in zip(track.windows, track.transforms, strict=True):
        aligned = apply_transform(matrix, track.landmarks[start:end])
        assert np.linalg.norm(aligned - template, axis=-1).mean() < 12


def test_real_tracks_of_both_formats_read_by_windows_as_sequentially(detector, shared_videos, tmp_path):
    """Aligned crops of real FF++ content, stored the new way (RGB, a key frame every 16 frames)
    and the old way (YUV 4:4:4 CRF 10): windows read by seeking are the sequentially decoded frames,
    and the new format keeps the old one's fidelity to the aligned crops."""
    config = FacePipelineConfig(max_frames=96, device="cpu")
    (track,) = extract_face_tracks(shared_videos / "ffpp_icpr2020/youtube_004.mp4", config, detector=detector)
    fidelity = {}
    for name, path in (
        ("new", write_track_video(tmp_path / "new.mp4", track.frames, fps=track.fps)),
        ("old", write_video(tmp_path / "old.mp4", track.frames, fps=track.fps)),
    ):
        every = read_frames(path)
        for start in (0, 7, 16, 32, 45, 64):
            np.testing.assert_array_equal(
                read_window(path, start, 32), every[start : start + 32], err_msg=name
            )
        mse = np.mean((every.astype(np.float64) - track.frames) ** 2)
        fidelity[name] = 10 * np.log10(255**2 / mse)
    assert track_layout(tmp_path / "new.mp4").max_key_gap == 16
    assert fidelity["new"] > 42.0 and fidelity["new"] > fidelity["old"] - 0.5, fidelity
