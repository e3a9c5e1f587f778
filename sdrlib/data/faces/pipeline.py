"""From a video file to aligned face tracks: the one entry point of the real-video pipeline.

``extract_face_tracks`` is what the dataset adapters (``sdr prepare``) and ``sdr predict`` call.
Two sequential decoding passes keep memory bounded for long and 1080p+ videos:

1. decode every frame, convert every ``detect_every``-th (and the last) to a small RGB copy whose
   longer side is ``max_side``, detect faces in batches, link them into tracks
   (:mod:`~sdrlib.data.faces.tracking`), keep the largest track (or all) after dropping short and
   small ones;
2. fit one similarity per window of ``clip_len`` consecutive track frames
   (:mod:`~sdrlib.data.faces.align`), decode again at full resolution and warp each frame of each
   kept track into a ``size`` x ``size`` crop.

SDR_SPEC section 4 (FTCN preprocessing); the book chapter on data preparation walks through it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from sdrlib.config import ConfigError
from sdrlib.data.faces.align import warp_face, window_transforms
from sdrlib.data.faces.base import Detections, FaceDetector
from sdrlib.data.faces.detectors import list_detectors, shared_detector
from sdrlib.data.faces.tracking import Track, build_tracks
from sdrlib.data.tracks import alignment_windows, mirror_indices
from sdrlib.data.video.decode import frame_to_rgb, iter_av_frames, normalize_rotation, probe
from sdrlib.data.video.encode import CONTAINERS, TRACK_CRF, write_track_video
from sdrlib.data.video.errors import FaceTooSmallError, NoFaceError, OutputError, VideoError
from sdrlib.utils.io import atomic_open, atomic_write_json

# MTCNN's smallest window (pixels of the detection frame); used to say which faces are not searched.
_DETECTOR_MIN_FACE = 20


@dataclasses.dataclass
class FacePipelineConfig:
    """Options of :func:`extract_face_tracks` (loadable from YAML with ``sdrlib.config.from_dict``).

    Attributes:
        size: side of the aligned square crops, pixels.
        clip_len: alignment window: ONE similarity per window of this many consecutive frames
            (a last partial window joins the previous one, see ``alignment_windows``); also the
            length a shorter track is mirror-padded to.
        scale: the face box is enlarged by this fraction of its size on every side (FTCN: 0.5).
        detect_every: run the detector on every N-th frame (and the last); others are interpolated.
            10 by default: real time at 720p on 2 CPU cores (33 frames/s) with the same clips and
            98.4 % of frames covered on the shared clips (N = 5: 98.7 %), the window transforms
            moving by 0.7 px on average (``docs/faces.md``, "Speed").
        max_side: longer side of the frames the detector sees (``None``: full resolution).
        min_face_size: tracks whose mean face size (geometric mean of box sides, original pixels)
            is below this are dropped; if that drops all, ``FaceTooSmallError``.
        min_score: detections below this confidence are ignored.
        min_track_len: tracks shorter than this many frames (or than the whole video, if shorter)
            are dropped as flicker.
        all_tracks: return every kept track (largest first) instead of the largest only.
        detector: detector name (``mtcnn`` or ``haar``).
        device: where a network detector runs (``auto``, ``cpu``, ``cuda``...).
        batch_size: frames per detector call.
        iou_threshold: smallest IoU that links a detection to a track.
        max_missed: key frames in a row a track may miss before it ends (the gap is interpolated).
        smooth_window: frames of the moving average over boxes and landmarks (1 = none).
        max_frames: process only the first this many frames (``None``: all).
    """

    size: int = 224
    clip_len: int = 32
    scale: float = 0.5
    detect_every: int = 10
    max_side: int | None = 640
    min_face_size: int = 40
    min_score: float = 0.8
    min_track_len: int = 16
    all_tracks: bool = False
    detector: str = "mtcnn"
    device: str = "auto"
    batch_size: int = 16
    iou_threshold: float = 0.3
    max_missed: int = 2
    smooth_window: int = 1
    max_frames: int | None = None

    def __post_init__(self) -> None:
        positive = {
            "size": self.size,
            "clip_len": self.clip_len,
            "detect_every": self.detect_every,
            "min_track_len": self.min_track_len,
            "batch_size": self.batch_size,
            "smooth_window": self.smooth_window,
        }
        for name, value in positive.items():
            if value < 1:
                raise ConfigError(f"faces.{name} must be >= 1, got {value}")
        if self.size < 8:
            raise ConfigError(f"faces.size must be >= 8, got {self.size}")
        if self.scale < 0:
            raise ConfigError(f"faces.scale must be >= 0, got {self.scale}")
        if self.max_side is not None and self.max_side < 32:
            raise ConfigError(f"faces.max_side must be None or >= 32, got {self.max_side}")
        if self.max_frames is not None and self.max_frames < 1:
            raise ConfigError(f"faces.max_frames must be None or >= 1, got {self.max_frames}")
        if not 0 <= self.min_score <= 1 or not 0 < self.iou_threshold <= 1:
            raise ConfigError("faces.min_score must be in [0, 1] and faces.iou_threshold in (0, 1]")
        if self.min_face_size < 0 or self.max_missed < 0:
            raise ConfigError("faces.min_face_size and faces.max_missed must be >= 0")
        if self.detector not in list_detectors():
            raise ConfigError(f"faces.detector {self.detector!r} unknown; known: {list_detectors()}")


@dataclasses.dataclass
class FaceTrack:
    """One face of a video, aligned clip-wise, ready to be cut into clips.

    Attributes:
        frames: aligned crops.
        frame_indices: the video frame of each crop (mirror-padded tracks repeat indices).
        boxes: detector boxes (interpolated between key frames), original frame pixels.
        landmarks: five landmarks per frame, original frame pixels.
        detected: True where the detector found the face (False: interpolated or held).
        track_id: the tracker's id (order of first appearance in the video).
        mean_face_size: mean geometric box side, original pixels.
        fps: the video's average frame rate.
        padded: the track had fewer than ``clip_len`` frames and was mirror-padded.
        warnings: one-line notes (several faces, padding, damaged file...).
        windows: ``[start, end)`` positions sharing one transform; clips that do not cross a window
            boundary (e.g. starting at multiples of ``clip_len``) are aligned with one transform.
        transforms: the ``(2, 3)`` similarity of each window (original pixels -> crop pixels).

    Shape:
        frames: ``(T, S, S, 3)`` uint8; frame_indices: ``(T,)``; boxes: ``(T, 4)``;
        landmarks: ``(T, 5, 2)``; detected: ``(T,)``; windows: ``(W, 2)``; transforms: ``(W, 2, 3)``.
    """

    frames: np.ndarray
    frame_indices: np.ndarray
    boxes: np.ndarray
    landmarks: np.ndarray
    detected: np.ndarray
    track_id: int
    mean_face_size: float
    fps: float
    padded: bool
    warnings: list[str]
    windows: np.ndarray
    transforms: np.ndarray

    def metadata(self) -> dict[str, Any]:
        """Everything but the pixels, as JSON-ready values (the side file of :func:`write_face_track`)."""
        return {
            "track_id": self.track_id,
            "num_frames": int(len(self.frames)),
            "size": int(self.frames.shape[1]),
            "fps": self.fps,
            "padded": self.padded,
            "mean_face_size": round(self.mean_face_size, 2),
            "detected_fraction": round(float(self.detected.mean()), 4),
            "warnings": list(self.warnings),
            "frame_indices": self.frame_indices.tolist(),
            "windows": self.windows.tolist(),
            "transforms": np.round(self.transforms, 6).tolist(),
            "boxes": np.round(self.boxes, 2).tolist(),
            "landmarks": np.round(self.landmarks, 2).tolist(),
        }


def _detect_keyframes(
    path: Path, config: FacePipelineConfig, detector: FaceDetector, progress: bool, total: int
) -> tuple[list[tuple[int, Detections]], int, float]:
    """Pass 1: detections on key frames (original pixels), number of frames decoded, scale of the
    detection frames relative to the original."""
    keyframes: list[tuple[int, Detections]] = []
    batch: list[tuple[int, np.ndarray, float, float]] = []
    ratio = 1.0

    def flush() -> None:
        if not batch:
            return
        found = detector.detect(np.stack([item[1] for item in batch]))
        for (index, _, fx, fy), detections in zip(batch, found, strict=True):
            keyframes.append((index, detections.select(detections.scores >= config.min_score).scaled(fx, fy)))
        batch.clear()

    def add(index: int, frame: Any) -> float:
        small = frame_to_rgb(frame, config.max_side)
        if batch and batch[0][1].shape != small.shape:
            flush()  # the stream changed resolution: a detector batch holds one frame size
        quarter = normalize_rotation(frame.rotation) in (90, 270)
        width, height = (frame.height, frame.width) if quarter else (frame.width, frame.height)
        batch.append((index, small, width / small.shape[1], height / small.shape[0]))
        if len(batch) >= config.batch_size:
            flush()
        return small.shape[1] / width

    last: tuple[int, Any] | None = None
    frames = iter_av_frames(path, count=config.max_frames)
    bar = tqdm(
        frames, desc=f"faces {path.name}", unit="frame", total=total, disable=not progress, leave=False
    )
    for index, frame in bar:
        if index % config.detect_every == 0:
            ratio = add(index, frame)
            last = None
        else:
            last = (index, frame)
    if last is not None:
        # Detect on the final frame too, so the tracks are interpolated, not held, up to the end.
        add(*last)
    flush()
    num_frames = max(index for index, _ in keyframes) + 1
    return keyframes, num_frames, ratio


def _select_tracks(
    path: Path,
    tracks: list[Track],
    keyframes: list,
    num_frames: int,
    config: FacePipelineConfig,
    ratio: float,
) -> tuple[list[Track], list[str]]:
    """Drop flicker and small faces; keep the largest track (or all, largest first)."""
    if not tracks:
        not_searched = _DETECTOR_MIN_FACE / ratio
        raise NoFaceError(
            f"{path}: no face found in {len(keyframes)} checked frames of {num_frames} "
            f"(detector {config.detector}, min score {config.min_score}; faces under about "
            f"{not_searched:.0f} px are not searched for)"
        )
    min_len = min(config.min_track_len, num_frames)
    long_enough = [track for track in tracks if len(track) >= min_len]
    if not long_enough:
        longest = max(len(track) for track in tracks)
        raise NoFaceError(
            f"{path}: no face stayed in view for {min_len} frames (longest track: {longest} frames)"
        )
    big_enough = [track for track in long_enough if track.mean_face_size >= config.min_face_size]
    if not big_enough:
        biggest = max(track.mean_face_size for track in long_enough)
        raise FaceTooSmallError(
            f"{path}: the largest face is {biggest:.0f} px, below min_face_size={config.min_face_size}"
        )
    ranked = sorted(big_enough, key=lambda track: (-track.extent, track.track_id))
    warnings = []
    if len(ranked) > 1 and not config.all_tracks:
        main = ranked[0]
        warnings.append(
            f"{len(ranked)} face tracks found; kept the largest (track {main.track_id}: {len(main)} frames, "
            f"face {main.mean_face_size:.0f} px); keep them all with sdr predict --all-tracks "
            "or sdr prepare --set all_tracks=true"
        )
        ranked = [main]
    return ranked, warnings


def _align(
    path: Path, tracks: list[Track], config: FacePipelineConfig, progress: bool
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Pass 2: per track ``(crops, windows, transforms)``; frames decoded at full resolution."""
    plans = []
    for track in tracks:
        windows = alignment_windows(len(track), config.clip_len)
        transforms = window_transforms(track.landmarks, windows, config.size, config.scale)
        window_of = np.repeat(np.arange(len(windows)), windows[:, 1] - windows[:, 0])
        crops = np.empty((len(track), config.size, config.size, 3), np.uint8)
        plans.append((track, crops, windows, transforms, window_of))
    first = min(int(track.frame_indices[0]) for track in tracks)
    last = max(int(track.frame_indices[-1]) for track in tracks)
    filled = 0
    frames = iter_av_frames(path, start=first, count=last - first + 1)
    for index, frame in tqdm(
        frames, desc=f"align {path.name}", unit="frame", disable=not progress, leave=False
    ):
        rgb = frame_to_rgb(frame)
        for track, crops, _, transforms, window_of in plans:
            position = index - int(track.frame_indices[0])
            if 0 <= position < len(track):
                crops[position] = warp_face(rgb, transforms[window_of[position]], config.size)
                filled += 1
    if filled != sum(len(track) for track in tracks):
        raise VideoError(f"{path}: the second decoding pass returned fewer frames than the first")
    return [(crops, windows, transforms) for _, crops, windows, transforms, _ in plans]


def extract_face_tracks(
    video_path: str | Path,
    config: FacePipelineConfig | None = None,
    progress: bool = False,
    detector: FaceDetector | None = None,
) -> list[FaceTrack]:
    """Detect, track and clip-align the faces of one video.

    Args:
        video_path: any video FFmpeg reads.
        config: pipeline options (defaults: see :class:`FacePipelineConfig`).
        progress: show tqdm bars for the two decoding passes.
        detector: a detector to use instead of the one ``config`` names (reuse one across videos,
            or plug in another implementation of :class:`~sdrlib.data.faces.base.FaceDetector`).

    Returns:
        The largest track (a list of one), or every kept track, largest first, with
        ``config.all_tracks``.

    Raises:
        VideoError: unreadable, not a video, corrupt, no frames.
        NoFaceError: no face track found.
        FaceTooSmallError: every face track is smaller than ``config.min_face_size``.
    """
    path = Path(video_path)
    config = config or FacePipelineConfig()
    info = probe(path)
    if detector is None:
        detector = shared_detector(config.detector, config.device, None, config.batch_size)
    expected = info.frames if config.max_frames is None else min(info.frames, config.max_frames)
    keyframes, num_frames, ratio = _detect_keyframes(path, config, detector, progress, expected)
    tracks = build_tracks(
        keyframes,
        last_frame=num_frames - 1,
        iou_threshold=config.iou_threshold,
        max_missed=config.max_missed,
        smooth_window=config.smooth_window,
    )
    kept, warnings = _select_tracks(path, tracks, keyframes, num_frames, config, ratio)
    if info.frames_source == "container" and num_frames < expected:
        warnings.append(
            f"decoded {num_frames} of the {expected} frames the container announces (truncated or damaged file?)"
        )
    key_indices = np.array([index for index, _ in keyframes], np.int64)
    results = []
    for track, (crops, windows, transforms) in zip(kept, _align(path, kept, config, progress), strict=True):
        notes = list(warnings)
        order = np.arange(len(track))
        padded = len(track) < config.clip_len
        if padded:
            order = mirror_indices(len(track), config.clip_len)
            windows = np.array([[0, len(order)]], np.int64)
            notes.append(
                f"track {track.track_id} has {len(track)} frames, fewer than clip_len={config.clip_len}: "
                f"mirror-padded to {config.clip_len} frames"
            )
        checked = np.isin(track.frame_indices, key_indices).sum()
        coverage = float(track.detected.sum()) / max(1, int(checked))
        if coverage < 0.5:
            notes.append(
                f"track {track.track_id}: the face was detected in only {coverage:.0%} of its key frames"
            )
        results.append(
            FaceTrack(
                frames=crops[order],
                frame_indices=track.frame_indices[order],
                boxes=track.boxes[order],
                landmarks=track.landmarks[order],
                detected=track.detected[order],
                track_id=track.track_id,
                mean_face_size=track.mean_face_size,
                fps=info.fps,
                padded=padded,
                warnings=notes,
                windows=windows,
                transforms=transforms,
            )
        )
    return results


def write_face_track(
    path: str | Path, track: FaceTrack, crf: int = TRACK_CRF, lossless: bool = False, metadata: bool = True
) -> Path:
    """Store a track's crops atomically: ``.npy`` (raw uint8 array) or a video (``.mp4``, ``.mkv``,
    ``.mov``: the seekable H.264 RGB track format of :func:`~sdrlib.data.video.write_track_video`);
    with ``metadata`` also ``<path>.json`` (:meth:`FaceTrack.metadata`). Both read back with
    ``numpy.load`` / :func:`~sdrlib.data.video.read_frames` (or ``sdrlib.data.read_track``).

    Raises:
        ValueError: unsupported suffix.
        OutputError: cannot write (disk full, permission); no partial file is left.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            with atomic_open(path, "wb") as handle:
                np.save(handle, track.frames, allow_pickle=False)
        except OSError as err:
            raise OutputError(f"{path}: cannot write the track ({' '.join(str(err).split())})") from err
    elif suffix in CONTAINERS:
        write_track_video(path, track.frames, fps=track.fps, crf=crf, lossless=lossless)
    else:
        raise ValueError(
            f"{path}: unsupported track suffix {path.suffix!r}; use .npy or one of {sorted(CONTAINERS)}"
        )
    if metadata:
        side = path.with_name(path.name + ".json")
        try:
            atomic_write_json(side, track.metadata())
        except OSError as err:
            path.unlink(missing_ok=True)
            raise OutputError(
                f"{side}: cannot write the track metadata ({' '.join(str(err).split())})"
            ) from err
    return path
