"""FTCN's demo protocol, for parity with the published detectors: ``sdr predict --protocol ftcn``.

What the demos of FTCN and AltFreezing do with a video (``../shared/reference_checkpoints/
README.md``; SDR_SPEC section 4), reproduced on the face tracks of ``sdrlib``'s pipeline:

* every frame's face box, enlarged by 0.5 of its width and height on every side and clipped to
  the frame, is cut out; what lies outside it is black in the crop;
* clips of ``clip_len`` (32) consecutive frames with **stride 1**; each clip has ONE similarity
  transform, the least-squares fit of all its ``32 x 5`` landmarks *to* FTCN's 5-point template
  (:data:`~sdrlib.models.published.FTCN_TEMPLATE_224`, scaled to the crop size), bilinear warp,
  black border;
* a frame's score is the mean over the clips that contain it, the video's the mean over clips;
* the demo reads at most 768 frames (AltFreezing's 400) and detects faces in every frame.

Where ``sdrlib``'s default protocol differs (non-overlapping clips, the ArcFace template shrunk to
half the crop, a template-to-frame fit, detection every 10th frame) and why:
``docs/published_detectors.md``. Stride 1 scores about ``clip_len`` times more clips: on a CPU
that is minutes per video for the full-size FTCN. Book chapter 'your own video'.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sdrlib.data.clip_dataset import resize_clip
from sdrlib.data.faces.align import fit_similarity, warp_face
from sdrlib.data.video.decode import frame_to_rgb, iter_av_frames
from sdrlib.data.video.errors import VideoError
from sdrlib.engine.checkpoint import CheckpointMeta
from sdrlib.engine.inference import score_batches
from sdrlib.models.published.keymap import FTCN_TEMPLATE_224

#: ``sdr predict --protocol``: ours (default) or the published demos'.
PROTOCOLS = ("sdr", "ftcn")
#: Frames FTCN's demo reads at most (AltFreezing's: 400, recorded in its converted checkpoint).
FTCN_MAX_FRAMES = 768


def protocol_face_options(meta: CheckpointMeta) -> dict[str, Any]:
    """Face-pipeline options of the demo protocol: detect in every frame, read at most the demo's
    number of frames (the checkpoint's, when it was converted from a published one)."""
    return {"detect_every": 1, "max_frames": int(meta.source.get("demo_max_frames") or FTCN_MAX_FRAMES)}


def ftcn_template(size: int = 224) -> np.ndarray:
    """FTCN's 5-point template in a ``size`` x ``size`` crop.

    Shape:
        output: ``(5, 2)`` float64 ``x, y``.
    """
    return np.asarray(FTCN_TEMPLATE_224, np.float64) * (size / 224.0)


def enlarged_box(box: np.ndarray, height: int, width: int, scale: float = 0.5) -> tuple[int, int, int, int]:
    """The demo's crop box: ``box`` (x1, y1, x2, y2) rounded, grown by ``scale`` of its size on every
    side, clipped to the frame, rounded to whole pixels."""
    x1, y1, x2, y2 = np.rint(np.asarray(box, np.float64))
    dx, dy = scale * (x2 - x1), scale * (y2 - y1)
    nx1, nx2 = np.clip([x1 - dx, x2 + dx], 0, width - 1)
    ny1, ny2 = np.clip([y1 - dy, y2 + dy], 0, height - 1)
    return int(np.rint(nx1)), int(np.rint(ny1)), int(np.rint(nx2)), int(np.rint(ny2))


def _region(rgb: np.ndarray, box: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    x1, y1, x2, y2 = enlarged_box(box, rgb.shape[0], rgb.shape[1], scale)
    return rgb[y1:y2, x1:x2], np.array([x1, y1], np.float64)


def _regions(path: Path, track: Any, scale: float) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Each track position's enlarged-box crop and its offset in the frame, in track order."""
    indices = np.asarray(track.frame_indices, np.int64)
    first, last = int(indices.min()), int(indices.max())
    frames = iter_av_frames(path, start=first, count=last - first + 1)
    if np.array_equal(indices, np.arange(first, first + len(indices))):
        done = 0
        for position, (_, frame) in enumerate(frames):
            done += 1
            yield _region(frame_to_rgb(frame), track.boxes[position], scale)
        if done != len(indices):
            raise VideoError(f"{path}: the video returned fewer frames than the face track holds")
        return
    # a mirror-padded track (shorter than one clip) revisits frames: keep its few frames
    cache = {index: frame_to_rgb(frame) for index, frame in frames}
    for position, index in enumerate(indices):
        yield _region(cache[int(index)], track.boxes[position], scale)


def _warp(region: np.ndarray, offset: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    shifted = matrix.copy()
    shifted[:, 2] += matrix[:, :2] @ offset  # frame = region + offset
    if region.size == 0:
        return np.zeros((size, size, 3), np.uint8)
    return warp_face(region, shifted, size)


def score_track_ftcn(
    path: str | Path,
    track: Any,
    model: torch.nn.Module,
    meta: CheckpointMeta,
    device: torch.device,
    batch_size: int = 8,
    size: int = 224,
    scale: float = 0.5,
) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Clip starts, clip probabilities and per-frame scores of one face track, as FTCN's demo.

    Args:
        path: the video the track comes from (decoded again at full resolution).
        track: a :class:`~sdrlib.data.faces.FaceTrack` (its boxes, landmarks and frame indices).
        model, meta, device: the checkpoint, as loaded by ``load_checkpoint``.
        batch_size: clips per forward pass.
        size: crop side the template is placed in (resized to ``meta.input_size`` if different).
        scale: box enlargement on every side (FTCN: 0.5).

    Shape:
        returns starts ``0 .. T - clip_len`` (stride 1), probs ``(T - clip_len + 1,)``, frame
        scores ``(T,)``, for a track of ``T >= clip_len`` positions.
    """
    clip_len, length = meta.clip_len, len(track.frame_indices)
    if length < clip_len:
        raise ValueError(f"a track of {length} frames is shorter than one clip ({clip_len}); pad it first")
    template = np.tile(ftcn_template(size), (clip_len, 1))
    window: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=clip_len)
    pending: list[np.ndarray] = []
    probs: list[np.ndarray] = []

    def flush() -> None:
        clips = torch.from_numpy(np.stack(pending))
        if meta.input_size is not None and meta.input_size != size:
            clips = torch.stack([resize_clip(c, meta.input_size) for c in clips])
        probs.append(score_batches(model, clips, device, batch_size))
        pending.clear()

    for position, item in enumerate(_regions(Path(path), track, scale)):
        window.append(item)
        start = position - clip_len + 1
        if start < 0:
            continue
        landmarks = np.asarray(track.landmarks[start : start + clip_len], np.float64).reshape(-1, 2)
        matrix = fit_similarity(landmarks, template)
        pending.append(np.stack([_warp(region, offset, matrix, size) for region, offset in window]))
        if len(pending) == batch_size:
            flush()
    if pending:
        flush()
    clip_probs = np.concatenate(probs)
    starts = list(range(length - clip_len + 1))
    total, count = np.zeros(length), np.zeros(length)
    for s, p in zip(starts, clip_probs, strict=True):
        total[s : s + clip_len] += p
        count[s : s + clip_len] += 1
    return starts, clip_probs, total / count
