"""Clip-level face alignment as in FTCN (SDR_SPEC section 4).

Per-frame alignment (one transform per frame, as most image pipelines do) moves every frame by the
landmark detector's noise, which is exactly the temporal jitter a temporal deepfake detector looks
for. FTCN instead fits ONE similarity transform (rotation, uniform scale, translation) to all the
landmarks of a window of consecutive frames and warps every frame of the window with it: the face's
real motion inside the window is kept, the detector's per-frame noise is not added.

Template. The five target points come from the 5-point template widely used for 112 x 112 ArcFace
crops (insightface's ``arcface_dst``: eyes at (38.29, 51.70) and (73.53, 51.50), nose (56.03,
71.74), mouth corners (41.55, 92.37) and (70.73, 92.20)). That crop is about one face box wide, so
it stands for the detector's box. FTCN enlarges the box by ``scale`` = 0.5 of its size on every
side, i.e. the output shows ``1 + 2 * scale`` = 2 box widths, so the template is shrunk by that
factor about the output's centre: with the defaults the face fills the central half of a 224 x 224
crop. The book chapter on data preparation shows the effect of per-frame versus clip-level
alignment.
"""

from __future__ import annotations

import cv2
import numpy as np

ARCFACE_TEMPLATE_112: np.ndarray = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)


def face_template(size: int = 224, scale: float = 0.5) -> np.ndarray:
    """The five target landmark positions in a ``size`` x ``size`` output whose field of view is the
    face box enlarged by ``scale`` of its size on every side.

    Shape:
        output: ``(5, 2)`` float64 ``x, y``.
    """
    if size < 8:
        raise ValueError(f"size must be >= 8 pixels, got {size}")
    if scale < 0:
        raise ValueError(f"scale must be >= 0, got {scale}")
    unit = ARCFACE_TEMPLATE_112 / 112.0 - 0.5
    return (unit / (1.0 + 2.0 * scale) + 0.5) * size


def fit_similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity ``dst ~ s R src + t`` (Umeyama, 1991; no reflection, no RANSAC).

    Every point counts equally: for a window this is the fit to all ``T x 5`` landmarks.

    Shape:
        src: ``(N, 2)``; dst: ``(N, 2)``; output ``(2, 3)`` float64 affine matrix ``[s R | t]``.
    """
    src = np.asarray(src, np.float64).reshape(-1, 2)
    dst = np.asarray(dst, np.float64).reshape(-1, 2)
    if src.shape != dst.shape or len(src) < 2:
        raise ValueError(f"need matching (N>=2, 2) point sets, got {src.shape} and {dst.shape}")
    mu_s, mu_d = src.mean(0), dst.mean(0)
    xs, xd = src - mu_s, dst - mu_d
    var_s = (xs**2).sum() / len(src)
    if var_s <= 1e-12:
        raise ValueError("the source points coincide: a similarity transform is undefined")
    cov = xd.T @ xs / len(src)
    u, sing, vt = np.linalg.svd(cov)
    sign = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[-1] = -1.0
    rot = u @ np.diag(sign) @ vt
    s = (sing * sign).sum() / var_s
    matrix = np.empty((2, 3))
    matrix[:, :2] = s * rot
    matrix[:, 2] = mu_d - s * rot @ mu_s
    return matrix


def apply_transform(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map points through a ``(2, 3)`` affine matrix.

    Shape:
        points: ``(..., 2)``; output the same shape.
    """
    points = np.asarray(points, np.float64)
    return points @ matrix[:, :2].T + matrix[:, 2]


def invert_similarity(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a ``(2, 3)`` affine matrix (crop pixels -> frame pixels and back).

    Shape:
        matrix: ``(2, 3)``; output ``(2, 3)``.
    """
    linear_inv = np.linalg.inv(np.asarray(matrix, np.float64)[:, :2])
    return np.concatenate([linear_inv, -(linear_inv @ matrix[:, 2])[:, None]], axis=1)


def window_transforms(
    landmarks: np.ndarray, windows: np.ndarray, size: int = 224, scale: float = 0.5
) -> np.ndarray:
    """One similarity per window, the least-squares fit to all the window's landmarks.

    The residuals are measured in the frame, where the landmarks and their noise live: the fit
    places the template over all ``T x 5`` landmarks (template -> frame), and the crop transform is
    its inverse. Fitting the other way (frames -> template) would treat the face's motion inside
    the window as noise and shrink the face in proportion to how much it moves (regression
    dilution of the scale); fitting this way equals fitting the window's mean landmark shape.

    Shape:
        landmarks: ``(T, 5, 2)`` frame coordinates; windows: ``(W, 2)``; output ``(W, 2, 3)``
        (frame pixels -> crop pixels).
    """
    template = face_template(size, scale)
    out = np.empty((len(windows), 2, 3))
    for w, (start, end) in enumerate(windows):
        pts = landmarks[start:end]
        placed = fit_similarity(np.broadcast_to(template, pts.shape).reshape(-1, 2), pts.reshape(-1, 2))
        out[w] = invert_similarity(placed)
    return out


def warp_face(frame: np.ndarray, matrix: np.ndarray, size: int = 224) -> np.ndarray:
    """Warp one frame into the ``size`` x ``size`` aligned crop (bilinear; black outside the frame).

    Bilinear warping samples only 4 source pixels per output pixel, which aliases when the face
    shrinks by more than 2x (a 1080p close-up into 224 x 224); the frame is then first reduced by an
    integer factor with an area filter and the matrix adjusted, so every source pixel contributes.

    Shape:
        frame: ``(H, W, 3)`` uint8; output ``(size, size, 3)`` uint8.
    """
    matrix = np.asarray(matrix, np.float64)
    reduction = int(1.0 / max(np.sqrt(abs(np.linalg.det(matrix[:, :2]))), 1e-6))
    if reduction >= 2:
        height, width = frame.shape[:2]
        new_w, new_h = max(1, round(width / reduction)), max(1, round(height / reduction))
        frame = cv2.resize(frame, (new_w, new_h), interpolation=cv2.INTER_AREA)
        # Pixel centres of the reduced frame: x = fx * x_small + (fx - 1) / 2 (likewise y).
        fx, fy = width / new_w, height / new_h
        matrix = matrix.copy()
        matrix[:, 2] += matrix[:, 0] * (fx - 1) / 2 + matrix[:, 1] * (fy - 1) / 2
        matrix[:, 0] *= fx
        matrix[:, 1] *= fy
    return cv2.warpAffine(
        frame, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
