"""One raw video to prepare: its unique id, where it is, and its labels.

Every dataset adapter (FF++, Celeb-DF-v2, DFDC, a folder, a DeepfakeBench JSON) turns a raw
dataset into a list of :class:`VideoItem`; the runner never needs to know which dataset it is.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path, PurePosixPath

SPLITS = ("train", "val", "test")
_SAFE_PART = re.compile(r"^[^/\\\x00]+$")


@dataclasses.dataclass(frozen=True)
class VideoItem:
    """A raw video (or, for DeepfakeBench imports, an ordered list of frame images) and its labels.

    Attributes:
        video_id: unique across the whole dataset directory, ``/``-separated
            (``ffpp/c23/Deepfakes/000_003``); it also names the track files.
        source: absolute path of the raw video (for frame lists: the folder of the frames).
        source_rel: ``source`` relative to the raw dataset root, written to the manifest.
        label: 1 = fake, 0 = real.
        split: ``train``, ``val`` or ``test``.
        domain: the evaluation domain (see :mod:`sdrlib.data.domains`).
        method: the manipulation (``Deepfakes``...) or ``real``.
        identity: the person in the video (for a fake: the target whose video was altered).
        source_identity: for a fake, the person whose face was inserted; else empty.
        frame_paths: only for frame-list imports: the frame images in temporal order.
    """

    video_id: str
    source: Path
    source_rel: str
    label: int
    split: str
    domain: str
    method: str
    identity: str = ""
    source_identity: str = ""
    frame_paths: tuple[Path, ...] | None = None

    def __post_init__(self) -> None:
        check_video_id(self.video_id)
        if self.label not in (0, 1):
            raise ValueError(f"{self.video_id}: label must be 0 (real) or 1 (fake), got {self.label!r}")
        if self.split not in SPLITS:
            raise ValueError(f"{self.video_id}: split must be one of {SPLITS}, got {self.split!r}")
        if not self.domain:
            raise ValueError(f"{self.video_id}: empty domain")


def check_video_id(video_id: str) -> str:
    """Return ``video_id`` if it can name a file below ``tracks/``; raise ValueError otherwise."""
    parts = video_id.split("/")
    if not video_id or any(p in {"", ".", ".."} or not _SAFE_PART.match(p) for p in parts):
        raise ValueError(
            f"video id {video_id!r} must be '/'-separated names without empty, '.', '..' or '\\' parts"
        )
    return video_id


def track_relpath(video_id: str, track_id: int, ext: str) -> str:
    """Where track ``track_id`` of ``video_id`` lives, relative to the dataset directory.

    >>> track_relpath("ffpp/c23/Deepfakes/000_003", 0, "mp4")
    'tracks/ffpp/c23/Deepfakes/000_003.t0.mp4'
    """
    check_video_id(video_id)
    return str(PurePosixPath("tracks", *video_id.split("/"))) + f".t{int(track_id)}.{ext}"


def filter_splits(items: list[VideoItem], splits: tuple[str, ...] | None) -> list[VideoItem]:
    """Keep the items whose split is in ``splits`` (all of them when ``splits`` is None)."""
    if splits is None:
        return items
    unknown = sorted(set(splits) - set(SPLITS))
    if unknown:
        raise ValueError(f"unknown split(s) {unknown}; choose from {list(SPLITS)}")
    return [item for item in items if item.split in splits]


def check_unique(items: list[VideoItem]) -> list[VideoItem]:
    """Raise ValueError when two items share a video id (ids must be unique across manipulations)."""
    seen: dict[str, VideoItem] = {}
    for item in items:
        if item.video_id in seen:
            raise ValueError(
                f"video id {item.video_id!r} appears twice ({seen[item.video_id].source_rel} and {item.source_rel})"
            )
        seen[item.video_id] = item
    return items
