"""Clip-level alignment: the similarity fit, the template, the windows, and temporal stability.

The two properties that matter for a temporal detector (SDR_SPEC section 4): a static face stays
still after alignment (residual landmark motion ~0), and real per-frame motion of the face (here an
injected jitter) is preserved, not removed as per-frame alignment would.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sdrlib.data.faces import (
    ARCFACE_TEMPLATE_112,
    alignment_windows,
    apply_transform,
    face_template,
    fit_similarity,
    warp_face,
    window_transforms,
)


def similarity(angle: float, scale: float, tx: float, ty: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[scale * c, -scale * s, tx], [scale * s, scale * c, ty]])


def test_fit_recovers_a_known_similarity():
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 300, (40, 2))
    truth = similarity(0.3, 1.7, -12.0, 40.5)
    fitted = fit_similarity(src, apply_transform(truth, src))
    np.testing.assert_allclose(fitted, truth, atol=1e-9)


def test_fit_never_reflects():
    src = np.random.default_rng(3).uniform(0, 10, (6, 2)) * np.array([3.0, 1.0])
    mirrored = src * np.array([-1.0, 1.0])
    matrix = fit_similarity(src, mirrored)
    assert np.linalg.det(matrix[:, :2]) > 0


def test_fit_rejects_degenerate_points():
    with pytest.raises(ValueError, match="coincide"):
        fit_similarity(np.ones((5, 2)), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="matching"):
        fit_similarity(np.zeros((5, 2)), np.zeros((4, 2)))


def test_template_puts_the_enlarged_box_in_the_crop():
    tight = face_template(112, scale=0.0)
    np.testing.assert_allclose(tight, ARCFACE_TEMPLATE_112)
    wide = face_template(224, scale=0.5)
    # Twice the field of view: the template is half as large about the centre.
    np.testing.assert_allclose(wide - 112, (ARCFACE_TEMPLATE_112 * 2 - 112) / 2)
    eyes, mouth = wide[:2].mean(0), wide[3:].mean(0)
    assert eyes[1] < wide[2, 1] < mouth[1]  # eyes above the nose above the mouth
    assert wide[0, 0] < wide[1, 0]  # left eye at smaller x
    with pytest.raises(ValueError):
        face_template(224, scale=-0.1)


@pytest.mark.parametrize(
    ("length", "expected"),
    [
        (100, [[0, 32], [32, 64], [64, 100]]),
        (64, [[0, 32], [32, 64]]),
        (70, [[0, 32], [32, 70]]),
        (33, [[0, 33]]),
        (10, [[0, 10]]),
    ],
)
def test_windows_cover_the_track_and_merge_a_short_tail(length, expected):
    windows = alignment_windows(length, 32)
    assert windows.tolist() == expected
    lengths = windows[:, 1] - windows[:, 0]
    assert lengths.sum() == length
    assert len(windows) == 1 or lengths.min() >= 32


def face_landmarks(center: tuple[float, float], size: float, angle: float = 0.0) -> np.ndarray:
    """Five landmarks of a face of box side ``size`` (the template placed by a similarity)."""
    unit = ARCFACE_TEMPLATE_112 / 112.0 - 0.5
    matrix = similarity(angle, size, *center)
    return apply_transform(matrix, unit)


def draw_face(landmarks: np.ndarray, height: int = 240, width: int = 320, radius: int = 4) -> np.ndarray:
    """A frame with five bright discs at the landmarks on a textured background."""
    yy, xx = np.mgrid[0:height, 0:width]
    frame = np.stack([(xx * 0.5) % 255, (yy * 0.7) % 255, np.full_like(xx, 60)], -1).astype(np.uint8)
    for x, y in landmarks:
        cv2.circle(
            frame, (int(round(x * 16)), int(round(y * 16))), radius * 16, (255, 255, 255), -1, cv2.LINE_AA, 4
        )
    return frame


def disc_centres(crop: np.ndarray) -> np.ndarray:
    """Centroids of the bright discs in an aligned crop, in template order."""
    mask = (crop.min(axis=-1) > 230).astype(np.uint8)
    count, _, _, centroids = cv2.connectedComponentsWithStats(mask)
    assert count - 1 == 5, f"expected 5 discs, found {count - 1}"
    found = centroids[1:]
    template = face_template(crop.shape[0], 0.5)
    order = [int(np.argmin(np.linalg.norm(found - t, axis=1))) for t in template]
    return found[order]


def test_static_face_has_zero_residual_motion_after_alignment():
    frames_n = 32
    base = face_landmarks((160.0, 120.0), 90.0, angle=0.2)
    rng = np.random.default_rng(1)
    # Detector noise on a perfectly still face: clip-level alignment must not turn it into motion.
    detected = base[None] + rng.normal(0, 1.5, (frames_n, 5, 2))
    windows = alignment_windows(frames_n, 32)
    (matrix,) = window_transforms(detected, windows, size=224, scale=0.5)
    aligned_true = apply_transform(matrix, np.broadcast_to(base, (frames_n, 5, 2)))
    assert np.abs(aligned_true - aligned_true[0]).max() < 1e-9
    frame = draw_face(base)
    crops = np.stack([warp_face(frame, matrix, 224) for _ in range(frames_n)])
    assert np.abs(crops.astype(int) - crops[0]).max() == 0
    # The landmarks land on the template (up to the noise averaged over 160 points).
    np.testing.assert_allclose(disc_centres(crops[0]), face_template(224, 0.5), atol=1.0)
    # Per-frame alignment of the same noisy detections would shake the crop by about the noise.
    per_frame = [fit_similarity(d, face_template(224, 0.5)) for d in detected]
    shaken = np.stack([apply_transform(m, base) for m in per_frame])
    assert np.abs(shaken - shaken.mean(0)).max() > 0.5


def test_injected_jitter_is_preserved_not_removed():
    frames_n = 32
    rng = np.random.default_rng(2)
    jitter = rng.normal(0, 2.0, (frames_n, 2))
    base = face_landmarks((160.0, 120.0), 80.0, angle=-0.15)
    moving = base[None] + jitter[:, None, :]
    windows = alignment_windows(frames_n, 32)
    (matrix,) = window_transforms(moving, windows, size=224, scale=0.5)
    aligned = apply_transform(matrix, moving)
    linear = matrix[:, :2]
    # Each frame keeps its own displacement, mapped by the one similarity (rotation x scale).
    motion = aligned - aligned.mean(axis=0)
    expected = (jitter - jitter.mean(0)) @ linear.T
    np.testing.assert_allclose(motion, np.broadcast_to(expected[:, None, :], motion.shape), atol=1e-9)
    # Pixels agree: the discs in the warped frames move by the mapped jitter.
    centres = np.stack([disc_centres(warp_face(draw_face(m), matrix, 224)).mean(0) for m in moving])
    measured = centres - centres.mean(0)
    np.testing.assert_allclose(measured, expected, atol=0.35)
    assert np.corrcoef(measured[:, 0], expected[:, 0])[0, 1] > 0.98


def test_large_reduction_is_antialiased_and_consistent():
    """A face shrunk by more than 2x goes through the area pre-reduction: same geometry."""
    base = face_landmarks((640.0, 480.0), 400.0)
    frame = draw_face(base, 960, 1280, radius=20)
    (matrix,) = window_transforms(base[None], np.array([[0, 1]]), size=224, scale=0.5)
    assert np.sqrt(np.linalg.det(matrix[:, :2])) < 0.5
    np.testing.assert_allclose(disc_centres(warp_face(frame, matrix, 224)), face_template(224, 0.5), atol=1.0)


def test_motion_inside_a_window_does_not_shrink_the_face():
    """The fit is least squares in the frame: a face that moves keeps its size in the crop."""
    base = face_landmarks((100.0, 120.0), 80.0, angle=0.1)
    moving = base[None] + np.arange(32)[:, None, None] * np.array([3.0, 0.5])  # 93 px across the window
    windows = alignment_windows(32, 32)
    (still,) = window_transforms(base[None].repeat(32, 0), windows)
    (moved,) = window_transforms(moving, windows)
    np.testing.assert_allclose(moved[:, :2], still[:, :2], atol=1e-9)
    # The crop is centred on the face's mean position in the window.
    np.testing.assert_allclose(apply_transform(moved, moving.mean(0)), face_template(224, 0.5), atol=1e-6)
