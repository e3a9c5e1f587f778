"""Tracking on synthetic boxes: IoU association, interpolation, gaps, holding, smoothing."""

from __future__ import annotations

import numpy as np
import pytest

from sdrlib.data.faces import Detections, box_iou, build_tracks
from sdrlib.data.faces.align import ARCFACE_TEMPLATE_112


def face(x: float, y: float, side: float, score: float = 0.99) -> tuple[np.ndarray, float, np.ndarray]:
    box = np.array([x, y, x + side, y + side], np.float32)
    landmarks = (np.array([x, y]) + ARCFACE_TEMPLATE_112 / 112.0 * side).astype(np.float32)
    return box, score, landmarks


def detections(*faces: tuple[np.ndarray, float, np.ndarray]) -> Detections:
    if not faces:
        return Detections.empty()
    return Detections(
        np.stack([f[0] for f in faces]),
        np.array([f[1] for f in faces], np.float32),
        np.stack([f[2] for f in faces]),
    )


def test_box_iou_values():
    a = np.array([[0, 0, 10, 10]], np.float32)
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30], [0, 0, 0, 0]], np.float32)
    np.testing.assert_allclose(box_iou(a, b), [[1.0, 50 / 150, 0.0, 0.0]])


def test_two_faces_crossing_keep_their_identity_and_are_interpolated():
    # Face A moves right, face B moves left, both detected every 5 frames on frames 0..40.
    keys = []
    for f in range(0, 41, 5):
        keys.append((f, detections(face(10 + f, 50, 60), face(300 - f, 60, 50))))
    tracks = build_tracks(keys, last_frame=40)
    assert len(tracks) == 2
    a, b = tracks
    assert a.frame_indices.tolist() == list(range(41)) and b.frame_indices.tolist() == list(range(41))
    # Linear interpolation between key frames: frame 12 lies 2/5 of the way from 10 to 15.
    np.testing.assert_allclose(a.boxes[12, 0], 10 + 12, atol=1e-4)
    np.testing.assert_allclose(b.boxes[12, 0], 300 - 12, atol=1e-4)
    np.testing.assert_allclose(a.landmarks[12], face(22, 50, 60)[2], atol=1e-3)
    assert a.detected.sum() == 9 and a.detected[::5].all()
    assert a.mean_face_size == pytest.approx(60.0) and b.mean_face_size == pytest.approx(50.0)
    assert a.extent > b.extent


def test_short_gap_is_bridged_long_gap_splits_the_track():
    def run(missing: set[int], max_missed: int) -> list:
        keys = [
            (f, detections() if f in missing else detections(face(100 + f, 80, 70))) for f in range(0, 51, 5)
        ]
        return build_tracks(keys, last_frame=50, max_missed=max_missed)

    bridged = run({15, 20}, max_missed=2)
    assert len(bridged) == 1 and len(bridged[0]) == 51
    assert not bridged[0].detected[15] and not bridged[0].detected[20]
    np.testing.assert_allclose(bridged[0].boxes[17, 0], 117, atol=1e-4)
    split = run({15, 20, 25}, max_missed=2)
    assert len(split) == 2
    assert split[0].frame_indices[-1] == 10 and split[1].frame_indices[0] == 30


def test_track_alive_at_the_last_key_frame_is_held_to_the_end():
    keys = [(f, detections(face(40, 40, 80))) for f in (0, 5, 10)]
    keys.append((12, detections(face(44, 40, 80))))  # the final frame is a key frame too
    (track,) = build_tracks(keys, last_frame=15)
    assert track.frame_indices[-1] == 15
    np.testing.assert_allclose(track.boxes[13:, 0], 44)


def test_a_track_that_ended_earlier_is_not_extended():
    keys = [(0, detections(face(0, 0, 50), face(200, 0, 50))), (5, detections(face(0, 0, 50)))]
    keys += [(f, detections(face(0, 0, 50))) for f in (10, 15)]
    tracks = build_tracks(keys, last_frame=15, max_missed=0)
    assert [t.frame_indices[[0, -1]].tolist() for t in tracks] == [[0, 15], [0, 0]]


def test_smoothing_reduces_jitter_and_keeps_the_mean():
    rng = np.random.default_rng(0)
    keys = [(f, detections(face(100 + rng.normal(0, 3), 80, 64))) for f in range(60)]
    raw = build_tracks(keys, last_frame=59)[0]
    smooth = build_tracks(keys, last_frame=59, smooth_window=5)[0]
    assert np.std(np.diff(smooth.boxes[:, 0])) < 0.6 * np.std(np.diff(raw.boxes[:, 0]))
    assert smooth.boxes[:, 0].mean() == pytest.approx(raw.boxes[:, 0].mean(), abs=0.5)


def test_no_detections_give_no_tracks_and_bad_options_fail():
    assert build_tracks([(0, detections()), (5, detections())], last_frame=9) == []
    assert build_tracks([], last_frame=9) == []
    with pytest.raises(ValueError):
        build_tracks([], last_frame=9, iou_threshold=0)
    with pytest.raises(ValueError, match="boxes"):
        Detections(np.zeros((2, 4)), np.zeros(3), np.zeros((2, 5, 2)))


def test_a_fast_face_that_leaves_the_iou_gate_stays_one_track():
    # 60 px face jumping 45 px between key frames (IoU 0.14), back and forth like a dance.
    xs = [100, 145, 100, 145, 190, 145, 100]
    keys = [(5 * i, detections(face(x, 80, 60))) for i, x in enumerate(xs)]
    (track,) = build_tracks(keys, last_frame=30)
    assert track.detected.sum() == len(xs)
    # Two faces side by side still give two tracks: each detection continues its own face.
    keys = [(5 * i, detections(face(100 + 10 * i, 80, 60), face(300 - 10 * i, 80, 60))) for i in range(5)]
    assert len(build_tracks(keys, last_frame=20)) == 2
    # A face of a very different size at the same place is another face.
    keys = [(0, detections(face(100, 80, 60))), (5, detections(face(80, 60, 140)))]
    assert len(build_tracks(keys, last_frame=5, max_missed=0)) == 2
