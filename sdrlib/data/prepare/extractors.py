"""Track extractors for the runner: ``VideoItem -> list[FaceTrack]``, picklable for worker processes.

* :class:`FaceTrackExtractor`: the real-video pipeline (MTCNN detection, tracking, one alignment
  per clip) of :func:`sdrlib.data.faces.extract_face_tracks`.
* :class:`FrameListExtractor`: face crops that another tool already made (a DeepfakeBench import),
  stacked as they are into one track.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path

import cv2
import numpy as np

from sdrlib.data.faces import FacePipelineConfig, FaceTrack, extract_face_tracks, write_face_track
from sdrlib.data.prepare.items import VideoItem
from sdrlib.data.video.errors import InputError

_NUMBER = re.compile(r"\d+")


@dataclasses.dataclass(frozen=True)
class FaceTrackExtractor:
    """Run :func:`sdrlib.data.faces.extract_face_tracks` on the item's video.

    The detector is created once per process and reused (``shared_detector``), so each worker
    loads MTCNN once.
    """

    config: FacePipelineConfig = dataclasses.field(default_factory=FacePipelineConfig)

    def __call__(self, item: VideoItem) -> list[FaceTrack]:
        return extract_face_tracks(item.source, self.config)


def frame_number(path: Path) -> int | None:
    """The last number in a frame's file name (``frame_0012.png`` -> 12); None without one."""
    numbers = _NUMBER.findall(path.stem)
    return int(numbers[-1]) if numbers else None


@dataclasses.dataclass(frozen=True)
class FrameListExtractor:
    """Stack an item's ``frame_paths`` (already-cropped faces) into one :class:`FaceTrack`.

    The crops keep the alignment their tool gave them (DeepfakeBench: one per frame, so each frame
    is its own alignment window); boxes, landmarks and transforms are unknown (NaN) and are not
    written (use :attr:`writer`, which skips the ``.json`` side file).

    Attributes:
        size: resize every crop to ``size`` x ``size`` (area filter); None keeps the crops' size.
        fps: frame rate stored with the track (frame lists carry none).
    """

    size: int | None = None
    fps: float = 25.0

    def __post_init__(self) -> None:
        if self.size is not None and self.size < 8:
            raise ValueError(f"size must be None or >= 8, got {self.size}")
        if not self.fps > 0:
            raise ValueError(f"fps must be > 0, got {self.fps}")

    @property
    def writer(self) -> functools.partial:
        """The track writer for these tracks: :func:`write_face_track` without the geometry file."""
        return functools.partial(write_face_track, metadata=False)

    def _read(self, path: Path) -> np.ndarray:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise InputError(f"{path}: cannot read the image (missing or not an image)")
        if self.size is not None and image.shape[:2] != (self.size, self.size):
            image = cv2.resize(image, (self.size, self.size), interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)

    def __call__(self, item: VideoItem) -> list[FaceTrack]:
        if not item.frame_paths:
            raise InputError(f"{item.source_rel}: no frame list (FrameListExtractor needs frame_paths)")
        frames = [self._read(path) for path in item.frame_paths]
        shapes = {frame.shape for frame in frames}
        if len(shapes) > 1:
            raise InputError(f"{item.source_rel}: crops of different sizes {sorted(shapes)}; pass a size")
        count = len(frames)
        numbers = [frame_number(path) for path in item.frame_paths]
        indices = np.array(numbers if None not in numbers else range(count), np.int64)
        return [
            FaceTrack(
                frames=np.stack(frames),
                frame_indices=indices,
                boxes=np.full((count, 4), np.nan, np.float32),
                landmarks=np.full((count, 5, 2), np.nan, np.float32),
                detected=np.ones(count, bool),
                track_id=0,
                mean_face_size=float("nan"),
                fps=self.fps,
                padded=False,
                warnings=[],
                windows=np.stack([np.arange(count), np.arange(1, count + 1)], axis=1).astype(np.int64),
                transforms=np.full((count, 2, 3), np.nan, np.float32),
            )
        ]
