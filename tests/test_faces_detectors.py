"""Face detectors on a real photograph (Grace Hopper, shipped with matplotlib), and the full MTCNN
pipeline on videos made from it: a static face stays still after alignment, injected jitter stays."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest
from matplotlib import cbook

from sdrlib.data.faces import (
    FaceDetector,
    FacePipelineConfig,
    HaarDetector,
    MTCNNDetector,
    box_iou,
    create_detector,
    extract_face_tracks,
    list_detectors,
)
from sdrlib.data.faces.base import downscale_batch
from sdrlib.data.video import write_video


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def mtcnn() -> MTCNNDetector:
    return MTCNNDetector(device="cpu")


def check_face(found, photo_shape) -> None:
    assert len(found) == 1
    (x1, y1, x2, y2), (lm,) = found.boxes[0], found.landmarks
    assert 0 <= x1 < x2 <= photo_shape[1] and 0 <= y1 < y2 <= photo_shape[0]
    assert lm[0, 0] < lm[1, 0] and lm[3, 0] < lm[4, 0]  # left before right
    assert lm[:2, 1].max() < lm[2, 1] < lm[3:, 1].min()  # eyes, nose, mouth from top to bottom
    assert ((lm >= [x1, y1]) & (lm <= [x2, y2])).all()


def test_registry():
    assert list_detectors() == ["haar", "mtcnn"]
    assert isinstance(create_detector("haar"), FaceDetector)
    with pytest.raises(ValueError, match="unknown face detector"):
        create_detector("retina")


def test_mtcnn_finds_the_face_and_five_ordered_landmarks(photo, mtcnn):
    blank = np.full_like(photo, 127)
    found = mtcnn.detect(np.stack([photo, blank, photo[:, ::-1].copy()]))
    assert len(found) == 3
    check_face(found[0], photo.shape)
    assert found[0].scores[0] > 0.99
    assert len(found[1]) == 0 and found[1].landmarks.shape == (0, 5, 2)
    check_face(found[2], photo.shape)
    mirrored = found[2].boxes[0][[2, 1, 0, 3]] * [-1, 1, -1, 1] + [photo.shape[1], 0, photo.shape[1], 0]
    assert box_iou(found[0].boxes, mirrored[None])[0, 0] > 0.85


def test_mtcnn_downscales_large_frames_and_reports_original_pixels(photo, mtcnn):
    small_detector = MTCNNDetector(device="cpu", max_side=256)
    full, small = mtcnn.detect(photo[None])[0], small_detector.detect(photo[None])[0]
    assert box_iou(full.boxes, small.boxes)[0, 0] > 0.8
    size = full.boxes[0, 2] - full.boxes[0, 0]
    assert np.abs(full.landmarks - small.landmarks).max() < 0.06 * size
    frames, fx, fy = downscale_batch(photo[None], 256)
    assert (
        frames.shape[1:3] == (256, 218) and fx == pytest.approx(512 / 218) and fy == pytest.approx(600 / 256)
    )


def test_mtcnn_agrees_with_facenet_pytorch(photo, mtcnn):
    from facenet_pytorch import MTCNN

    boxes, _, points = MTCNN(keep_all=True, device="cpu").detect(photo, landmarks=True)
    ours = mtcnn.detect(photo[None])[0]
    assert box_iou(ours.boxes, boxes)[0, 0] > 0.85
    size = boxes[0, 2] - boxes[0, 0]
    assert np.abs(ours.landmarks[0] - points[0]).max() < 0.04 * size


def test_haar_finds_the_face_with_placed_landmarks(photo):
    found = HaarDetector().detect(photo[None])[0]
    check_face(found, photo.shape)
    assert found.scores.tolist() == [1.0]


@pytest.mark.parametrize("detector", [HaarDetector(), None])
def test_detectors_reject_bad_frames(detector, mtcnn):
    detector = detector or mtcnn
    with pytest.raises(ValueError, match="uint8"):
        detector.detect(np.zeros((2, 32, 32, 3), np.float32))
    with pytest.raises(ValueError, match="uint8"):
        detector.detect(np.zeros((32, 32, 3), np.uint8))
    assert detector.detect(np.zeros((0, 32, 32, 3), np.uint8)) == []


def photo_video(photo: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The photo (shrunk to 240 px tall) pasted on a grey 320 x 400 canvas at per-frame offsets."""
    small = cv2.resize(photo, (205, 240), interpolation=cv2.INTER_AREA)
    frames = np.full((len(offsets), 320, 400, 3), 110, np.uint8)
    for t, (dx, dy) in enumerate(offsets):
        matrix = np.float32([[1, 0, 90 + dx], [0, 1, 40 + dy]])
        cv2.warpAffine(
            small, matrix, (400, 320), frames[t], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT
        )
    return frames


def shift_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sub-pixel translation from crop ``a`` to crop ``b`` (phase correlation on grey levels)."""
    grey = [cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float64) for x in (a, b)]
    window = cv2.createHanningWindow(grey[0].shape[::-1], cv2.CV_64F)
    (dx, dy), _ = cv2.phaseCorrelate(grey[0], grey[1], window)
    return np.array([dx, dy])


def test_mtcnn_pipeline_static_face_is_still_and_jitter_is_preserved(tmp_path, photo, mtcnn):
    config = FacePipelineConfig(size=112, clip_len=16, detect_every=2, min_track_len=8, device="cpu")
    frames_n = 16
    static = write_video(tmp_path / "static.mp4", photo_video(photo, np.zeros((frames_n, 2))), crf=4)
    (still,) = extract_face_tracks(static, config, detector=mtcnn)
    assert still.frames.shape == (frames_n, 112, 112, 3) and still.detected.sum() == 9
    drift = [np.abs(shift_between(still.frames[0], f)).max() for f in still.frames[1:]]
    assert max(drift) < 0.1

    rng = np.random.default_rng(0)
    jitter = rng.uniform(-3, 3, (frames_n, 2)).round(0)  # whole pixels: the pasted photo stays sharp
    moving = write_video(tmp_path / "jitter.mp4", photo_video(photo, jitter), crf=4)
    (track,) = extract_face_tracks(moving, dataclasses.replace(config), detector=mtcnn)
    assert len(track.windows) == 1
    scale = np.sqrt(np.linalg.det(track.transforms[0][:, :2]))
    measured = np.stack([shift_between(track.frames[0], f) for f in track.frames])
    expected = (jitter - jitter[0]) @ track.transforms[0][:, :2].T
    np.testing.assert_allclose(measured, expected, atol=0.25 + 0.1 * scale)
    assert np.corrcoef(measured[:, 0], expected[:, 0])[0, 1] > 0.98
