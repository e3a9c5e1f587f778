"""Detectors by name, so configs say ``detector: mtcnn`` and a new one is one entry here."""

from __future__ import annotations

import functools
from collections.abc import Callable

from sdrlib.data.faces.base import FaceDetector
from sdrlib.data.faces.haar import HaarDetector
from sdrlib.data.faces.mtcnn import MTCNNDetector

_FACTORIES: dict[str, Callable[[str, int | None, int], FaceDetector]] = {
    "mtcnn": lambda device, max_side, batch_size: MTCNNDetector(
        device=device, max_side=max_side, batch_size=batch_size
    ),
    "haar": lambda device, max_side, batch_size: HaarDetector(max_side=max_side),
}


def list_detectors() -> list[str]:
    """Names accepted by :func:`create_detector`."""
    return sorted(_FACTORIES)


def create_detector(
    name: str = "mtcnn", device: str = "auto", max_side: int | None = 640, batch_size: int = 16
) -> FaceDetector:
    """A new detector (``device`` and ``batch_size`` matter only to network detectors).

    Raises:
        ValueError: unknown name (the message lists the known ones).
    """
    if name not in _FACTORIES:
        raise ValueError(f"unknown face detector {name!r}; known: {list_detectors()}")
    return _FACTORIES[name](device, max_side, batch_size)


@functools.lru_cache(maxsize=4)
def shared_detector(
    name: str = "mtcnn", device: str = "auto", max_side: int | None = 640, batch_size: int = 16
) -> FaceDetector:
    """Like :func:`create_detector` but built once per process and argument set (one model load for
    a whole dataset)."""
    return create_detector(name, device, max_side, batch_size)
