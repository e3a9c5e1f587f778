"""The detector interface: what any face detector gives the tracker and the aligner.

A detector is anything with ``name`` and ``detect(frames) -> list[Detections]`` (one entry per
frame), so another detector is one small class away (see ``docs/faces.md``). Coordinates are pixels
of the frames passed in, ``x`` to the right and ``y`` down; landmarks are the usual five points in
the order left eye, right eye, nose tip, left mouth corner, right mouth corner ("left" = smaller x
in the image).
"""

from __future__ import annotations

import dataclasses
from typing import Protocol, runtime_checkable

import cv2
import numpy as np


@dataclasses.dataclass(frozen=True)
class Detections:
    """The faces found in one frame.

    Shape:
        boxes: ``(M, 4)`` float32 ``x1, y1, x2, y2``.
        scores: ``(M,)`` float32 in [0, 1].
        landmarks: ``(M, 5, 2)`` float32 ``x, y``.
    """

    boxes: np.ndarray
    scores: np.ndarray
    landmarks: np.ndarray

    def __post_init__(self) -> None:
        m = len(self.boxes)
        if self.boxes.shape != (m, 4) or self.scores.shape != (m,) or self.landmarks.shape != (m, 5, 2):
            raise ValueError(
                "Detections need boxes (M, 4), scores (M,), landmarks (M, 5, 2); got "
                f"{self.boxes.shape}, {self.scores.shape}, {self.landmarks.shape}"
            )

    def __len__(self) -> int:
        return len(self.boxes)

    @classmethod
    def empty(cls) -> Detections:
        """No face."""
        return cls(np.zeros((0, 4), np.float32), np.zeros((0,), np.float32), np.zeros((0, 5, 2), np.float32))

    def scaled(self, factor_x: float, factor_y: float) -> Detections:
        """Coordinates multiplied by per-axis factors (detection resolution -> frame resolution)."""
        factor = np.array([factor_x, factor_y], np.float32)
        return Detections(
            (self.boxes.reshape(-1, 2, 2) * factor).reshape(-1, 4).astype(np.float32),
            self.scores,
            (self.landmarks * factor).astype(np.float32),
        )

    def select(self, keep: np.ndarray) -> Detections:
        """The detections where the boolean mask ``keep`` is true."""
        return Detections(self.boxes[keep], self.scores[keep], self.landmarks[keep])


@runtime_checkable
class FaceDetector(Protocol):
    """Batched face detection with five landmarks.

    Shape:
        frames: ``(N, H, W, 3)`` uint8 RGB, all the same size; returns ``N`` :class:`Detections`.
    """

    name: str

    def detect(self, frames: np.ndarray) -> list[Detections]: ...


def downscale_batch(frames: np.ndarray, max_side: int | None) -> tuple[np.ndarray, float, float]:
    """Shrink a batch so that its longer side is at most ``max_side`` (area filter).

    Returns the (possibly unchanged) frames and the factors that map their coordinates back to the
    input's: ``x_in = x_small * fx``, ``y_in = y_small * fy``.

    Shape:
        frames: ``(N, H, W, 3)`` uint8; output ``(N, h, w, 3)``.
    """
    _, height, width, _ = frames.shape
    if max_side is None or max(height, width) <= max_side:
        return frames, 1.0, 1.0
    ratio = max_side / max(height, width)
    new_w, new_h = max(1, round(width * ratio)), max(1, round(height * ratio))
    small = np.stack([cv2.resize(f, (new_w, new_h), interpolation=cv2.INTER_AREA) for f in frames])
    return small, width / new_w, height / new_h


def check_batch(frames: np.ndarray) -> None:
    """Raise a one-line error unless ``frames`` is uint8 ``(N, H, W, 3)``."""
    if (
        not isinstance(frames, np.ndarray)
        or frames.dtype != np.uint8
        or frames.ndim != 4
        or frames.shape[-1] != 3
    ):
        raise ValueError(
            "detect expects uint8 frames of shape (N, H, W, 3), got "
            f"{type(frames).__name__} {getattr(frames, 'dtype', '')} {getattr(frames, 'shape', '')}"
        )
