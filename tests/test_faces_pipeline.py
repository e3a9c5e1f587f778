"""extract_face_tracks end to end on synthetic videos, with a marker "face" detector.

The detector here finds green squares (the "faces") and places the five landmarks in each square,
so the tests check the pipeline (decoding, key frames, tracking, selection, windows, padding,
errors, writing) without depending on a neural detector; MTCNN itself is tested on real clips in
``test_faces_shared_videos.py``.
"""

from __future__ import annotations

import errno
import json
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from sdrlib.config import ConfigError, from_dict
from sdrlib.data.faces import (
    ARCFACE_TEMPLATE_112,
    Detections,
    FaceDetector,
    FacePipelineConfig,
    FaceTooSmallError,
    InputError,
    NoFaceError,
    OutputError,
    VideoError,
    extract_face_tracks,
    write_face_track,
)
from sdrlib.data.tracks import mirror_indices
from sdrlib.data.video import TRACK_GOP, read_frames, track_layout, write_video

GREEN = (40, 220, 40)


class MarkerDetector:
    """Finds green squares; landmarks at the template's relative positions in each square."""

    name = "marker"

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, frames: np.ndarray) -> list[Detections]:
        self.calls += len(frames)
        out = []
        for frame in frames:
            mask = ((frame[..., 1] > 170) & (frame[..., 0] < 110) & (frame[..., 2] < 110)).astype(np.uint8)
            count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
            boxes = [
                [x, y, x + w, y + h] for x, y, w, h, area in stats[1:count] if area >= 16 and min(w, h) >= 4
            ]
            if not boxes:
                out.append(Detections.empty())
                continue
            boxes = np.array(boxes, np.float32)
            wh = boxes[:, 2:] - boxes[:, :2]
            landmarks = boxes[:, None, :2] + (ARCFACE_TEMPLATE_112 / 112.0)[None] * wh[:, None]
            out.append(Detections(boxes, np.ones(len(boxes), np.float32), landmarks.astype(np.float32)))
        return out


def scene(count: int, faces: list[tuple[float, float, float, float]], height: int = 180, width: int = 240):
    """Frames with green squares ``(x0, y0, side, dx per frame)`` on a grey textured background."""
    yy, xx = np.mgrid[0:height, 0:width]
    background = np.stack([90 + (xx % 16) * 4, 90 + (yy % 16) * 4, np.full_like(xx, 120)], -1).astype(
        np.uint8
    )
    frames = np.repeat(background[None], count, axis=0)
    for t in range(count):
        for x0, y0, side, dx in faces:
            x = int(round(x0 + dx * t))
            frames[t, int(y0) : int(y0 + side), x : x + int(side)] = GREEN
    return frames


def is_green(pixels: np.ndarray) -> np.ndarray:
    return (pixels[..., 1] > 170) & (pixels[..., 0] < 110) & (pixels[..., 2] < 110)


@pytest.fixture
def config() -> FacePipelineConfig:
    return FacePipelineConfig(size=64, clip_len=32, detect_every=5, min_face_size=20, min_track_len=8)


def test_marker_detector_follows_the_protocol():
    assert isinstance(MarkerDetector(), FaceDetector)


def test_one_moving_face_is_tracked_and_aligned_per_window(tmp_path, config):
    path = write_video(tmp_path / "one.mp4", scene(70, [(30, 50, 60, 1.0)]), fps=25)
    detector = MarkerDetector()
    (track,) = extract_face_tracks(path, config, detector=detector)
    assert detector.calls == 15  # frames 0, 5, ..., 65 and the last frame, 69
    assert track.frames.shape == (70, 64, 64, 3) and track.frames.dtype == np.uint8
    assert track.frame_indices.tolist() == list(range(70))
    assert track.windows.tolist() == [[0, 32], [32, 70]] and track.transforms.shape == (2, 2, 3)
    assert not track.padded and track.warnings == [] and track.fps == pytest.approx(25.0)
    assert track.detected.sum() == 15
    assert track.mean_face_size == pytest.approx(60, abs=2)
    # The face stays in the middle of every crop although it moved 70 px in the video.
    assert is_green(track.frames[:, 29:35, 29:35]).all()
    # The face moves inside a window (clip-level alignment keeps motion): it drifts in the crop.
    columns = [np.flatnonzero(is_green(frame[32])).mean() for frame in track.frames[:32]]
    assert columns[-1] - columns[0] > 5
    assert np.allclose(track.boxes[:, 2] - track.boxes[:, 0], 60, atol=2)


def test_every_frame_and_every_fifth_frame_give_the_same_alignment(tmp_path, config):
    path = write_video(tmp_path / "one.mp4", scene(40, [(30, 50, 60, 1.0)]))
    every = extract_face_tracks(path, dataclass_replace(config, detect_every=1), detector=MarkerDetector())[0]
    fifth = extract_face_tracks(path, config, detector=MarkerDetector())[0]
    np.testing.assert_allclose(every.transforms, fifth.transforms, atol=0.02)
    assert every.detected.all() and fifth.detected.sum() == 9


def dataclass_replace(config: FacePipelineConfig, **changes) -> FacePipelineConfig:
    import dataclasses

    return dataclasses.replace(config, **changes)


def test_short_video_is_mirror_padded_and_says_so(tmp_path, config):
    path = write_video(tmp_path / "short.mp4", scene(12, [(30, 50, 60, 2.0)]))
    (track,) = extract_face_tracks(path, config, detector=MarkerDetector())
    assert track.padded and track.frames.shape[0] == 32
    assert track.frame_indices.tolist() == mirror_indices(12, 32).tolist()
    assert track.frame_indices[:14].tolist() == list(range(12)) + [10, 9]
    np.testing.assert_array_equal(track.frames[12], track.frames[10])
    assert track.windows.tolist() == [[0, 32]]
    assert any("mirror-padded" in w for w in track.warnings)


def test_several_faces_largest_by_default_all_on_request(tmp_path, config):
    path = write_video(tmp_path / "two.mp4", scene(40, [(20, 40, 70, 0.0), (170, 60, 40, 0.0)]))
    (main,) = extract_face_tracks(path, config, detector=MarkerDetector())
    assert main.mean_face_size == pytest.approx(70, abs=2)
    assert any("2 face tracks found" in w for w in main.warnings)
    both = extract_face_tracks(path, dataclass_replace(config, all_tracks=True), detector=MarkerDetector())
    assert [round(t.mean_face_size) for t in both] == [70, 40]
    assert {t.track_id for t in both} == {0, 1}


def test_no_face_small_face_and_not_a_video(tmp_path, config):
    empty = write_video(tmp_path / "empty.mp4", scene(20, []))
    with pytest.raises(NoFaceError, match="no face found") as info:
        extract_face_tracks(empty, config, detector=MarkerDetector())
    assert "\n" not in str(info.value)
    tiny = write_video(tmp_path / "tiny.mp4", scene(20, [(50, 50, 12, 0.0)]))
    with pytest.raises(FaceTooSmallError, match="below min_face_size=20"):
        extract_face_tracks(tiny, config, detector=MarkerDetector())
    flicker = scene(40, [(50, 50, 50, 0.0)])
    flicker[6:] = scene(34, [])  # the face is visible for 6 frames only
    with pytest.raises(NoFaceError, match="stayed in view"):
        extract_face_tracks(write_video(tmp_path / "flicker.mp4", flicker), config, detector=MarkerDetector())
    text = tmp_path / "clip.mp4.txt"
    text.write_text("not a video")
    with pytest.raises(VideoError):
        extract_face_tracks(text, config, detector=MarkerDetector())
    for error in (NoFaceError, FaceTooSmallError, VideoError):
        assert issubclass(error, InputError)


def test_max_frames_limits_the_work(tmp_path, config):
    path = write_video(tmp_path / "one.mp4", scene(60, [(30, 50, 60, 0.5)]))
    (track,) = extract_face_tracks(path, dataclass_replace(config, max_frames=20), detector=MarkerDetector())
    assert track.frame_indices.max() == 19 and track.padded and len(track.frames) == 32


def test_rotated_video_is_aligned_upright(tmp_path, config):
    frames = scene(34, [(30, 50, 60, 0.0)])
    frames[:, 50:60, 30:90] = (250, 40, 40)  # a red band on the face's top edge: "up"
    path = tmp_path / "rotated.mp4"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 240, 180, "yuv444p"
        stream.set_display_rotation(90)
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    (track,) = extract_face_tracks(path, config, detector=MarkerDetector())
    # Displayed upright = rotated 90 degrees counter-clockwise: the red band is now on the left.
    crop = track.frames[0].astype(int)
    red = (crop[..., 0] > 170) & (crop[..., 1] < 110)
    columns = np.flatnonzero(red.any(axis=0))
    assert columns.mean() < 32
    assert track.boxes[0, 3] > track.boxes[0, 1]
    assert read_frames(path, count=1).shape == (1, 240, 180, 3)


@pytest.mark.parametrize("suffix", [".npy", ".mp4"])
def test_write_face_track_round_trip(tmp_path, config, suffix):
    path = write_video(tmp_path / "one.mp4", scene(40, [(30, 50, 60, 1.0)]), fps=Fraction(30, 1))
    (track,) = extract_face_tracks(path, config, detector=MarkerDetector())
    out = write_face_track(tmp_path / "tracks" / f"t{suffix}", track)
    back = np.load(out) if suffix == ".npy" else read_frames(out)
    assert back.shape == track.frames.shape
    assert np.abs(back.astype(int) - track.frames).mean() < 2.0
    if suffix == ".mp4":  # the seekable track format: RGB planes, key frames every TRACK_GOP frames
        layout = track_layout(out)
        assert layout.pix_fmt == "gbrp" and layout.max_key_gap <= TRACK_GOP and not layout.reorders
    meta = json.loads(out.with_name(out.name + ".json").read_text())
    assert meta["windows"] == track.windows.tolist() and meta["fps"] == pytest.approx(30.0)
    assert len(meta["landmarks"]) == len(track.frames) and meta["padded"] is False
    with pytest.raises(ValueError, match="suffix"):
        write_face_track(tmp_path / "t.gif", track)


def test_config_is_validated_and_loads_from_a_mapping():
    with pytest.raises(ConfigError, match="detect_every"):
        FacePipelineConfig(detect_every=0)
    with pytest.raises(ConfigError, match="detector"):
        FacePipelineConfig(detector="nope")
    with pytest.raises(ConfigError, match="unknown option"):
        from_dict(FacePipelineConfig, {"sizes": 3})
    loaded = from_dict(FacePipelineConfig, {"size": 112, "max_side": None, "all_tracks": True})
    assert (loaded.size, loaded.max_side, loaded.all_tracks) == (112, None, True)


def test_write_face_track_disk_full_leaves_nothing(tmp_path, config, monkeypatch):
    path = write_video(tmp_path / "one.mp4", scene(20, [(30, 50, 60, 0.0)]))
    (track,) = extract_face_tracks(path, config, detector=MarkerDetector())
    out_dir = tmp_path / "tracks"
    out_dir.mkdir()

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("sdrlib.utils.io.os.fsync", full)
    for suffix in (".npy", ".mp4"):
        with pytest.raises(OutputError, match="No space left"):
            write_face_track(out_dir / f"t{suffix}", track)
    assert list(out_dir.iterdir()) == []
