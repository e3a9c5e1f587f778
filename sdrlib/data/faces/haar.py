"""OpenCV's Haar cascade as a second detector: no extra package, no landmarks.

It exists for comparison (``docs/faces.md``) and as a fallback where facenet-pytorch is missing.
Haar gives boxes only, so the five landmarks are *placed* in each box at the template's relative
positions: the clip-level fit then aligns the box, not the eyes, and head rotation is not undone.
Scores are 1.0 (the cascade has no calibrated confidence).
"""

from __future__ import annotations

import cv2
import numpy as np

from sdrlib.data.faces.align import ARCFACE_TEMPLATE_112
from sdrlib.data.faces.base import Detections, check_batch, downscale_batch


class HaarDetector:
    """OpenCV frontal-face Haar cascade (the cascade file ships inside opencv-python).

    Args:
        min_size: smallest face in pixels of the (downscaled) detection frame.
        max_side: downscale frames whose longer side exceeds this before detection.
        scale_factor: pyramid step of the cascade.
        min_neighbors: overlapping hits needed to accept a face (higher = fewer false positives).
    """

    name = "haar"

    def __init__(
        self,
        min_size: int = 20,
        max_side: int | None = 640,
        scale_factor: float = 1.1,
        min_neighbors: int = 5,
    ) -> None:
        self._cascade = cv2.CascadeClassifier(
            str(cv2.data.haarcascades) + "haarcascade_frontalface_default.xml"
        )
        if self._cascade.empty():  # pragma: no cover - depends on the opencv build
            raise RuntimeError("OpenCV's haarcascade_frontalface_default.xml could not be loaded")
        self.min_size = min_size
        self.max_side = max_side
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors

    def detect(self, frames: np.ndarray) -> list[Detections]:
        """Faces in each frame, landmarks placed from the box (see the module docstring).

        Shape:
            frames: ``(N, H, W, 3)`` uint8 RGB; returns ``N`` :class:`Detections`.
        """
        check_batch(frames)
        small, fx, fy = downscale_batch(frames, self.max_side)
        relative = (ARCFACE_TEMPLATE_112 / 112.0).astype(np.float32)
        results = []
        for frame in small:
            gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
            found = self._cascade.detectMultiScale(
                gray,
                scaleFactor=self.scale_factor,
                minNeighbors=self.min_neighbors,
                minSize=(self.min_size, self.min_size),
            )
            if len(found) == 0:
                results.append(Detections.empty())
                continue
            xywh = np.asarray(found, np.float32).reshape(-1, 4)
            boxes = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
            landmarks = xywh[:, None, :2] + relative[None] * xywh[:, None, 2:]
            results.append(Detections(boxes, np.ones(len(boxes), np.float32), landmarks).scaled(fx, fy))
        return results
