"""Scoring a raw video end to end: faces -> aligned clips -> clip probabilities -> verdict.

For every face track (the largest by default) the video is cut into consecutive clips of the
checkpoint's clip length, aligned with ONE similarity per clip (SDR_SPEC section 4), scored, and
summarised as FTCN does: the track's fake probability is the mean of its clip probabilities, and
the verdict uses the threshold chosen on validation data when the checkpoint was trained (never a
demo constant, SDR_SPEC section 5). A per-frame timeline averages the clips that cover each frame.
A checkpoint without a threshold (converted published weights) gives p(fake) and no verdict.
``protocol="ftcn"`` scores like the published demos instead (:mod:`sdrlib.predict.ftcn_protocol`).
Book chapter 'your own video'.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sdrlib.data.clip_dataset import resize_clip
from sdrlib.data.faces import extract_face_tracks
from sdrlib.data.tracks import eval_clip_starts
from sdrlib.engine.checkpoint import CheckpointMeta
from sdrlib.engine.inference import score_batches
from sdrlib.engine.metrics import video_probability
from sdrlib.predict.faces import check_face_config, prediction_face_config
from sdrlib.predict.ftcn_protocol import PROTOCOLS, protocol_face_options, score_track_ftcn

#: The verdict of a checkpoint without a threshold, and why.
NO_VERDICT = "none: the checkpoint has no threshold (pass --threshold or run sdr calibrate)"


@dataclass
class TrackPrediction:
    """The verdict on one face track of a video."""

    track_id: int
    prob: float
    verdict: str
    threshold: float | None
    n_clips: int
    n_frames: int
    clip_starts: list[int]
    clip_probs: list[float]
    frame_indices: list[int]
    frame_scores: list[float]
    padded: bool
    mean_face_size: float
    warnings: list[str] = field(default_factory=list)
    #: the aligned crops ``(T, S, S, 3)`` uint8, kept only with ``predict_video(keep_frames=True)``
    frames: np.ndarray | None = field(default=None, repr=False, compare=False)


@dataclass
class VideoPrediction:
    """All tracks of one video, plus timing."""

    video: str
    tracks: list[TrackPrediction]
    runtime_s: float
    checkpoint: str = ""
    protocol: str = "sdr"

    @property
    def prob(self) -> float:
        """The video's score by the rule of validation and evaluation
        (:func:`sdrlib.engine.metrics.video_probabilities`): the highest track probability, a track's
        being the mean of its clips (one swapped face makes a video fake).

        With the default face pipeline there is one track, the largest face; with ``all_tracks``
        every face counts, which matters when the swapped face is not the largest (DFDC scenes).
        """
        probs = [p for t in self.tracks for p in t.clip_probs]
        return video_probability(probs, [t.track_id for t in self.tracks for _ in t.clip_probs])

    @property
    def verdict(self) -> str:
        return decide(self.prob, self.tracks[0].threshold)

    def to_json(self) -> dict[str, Any]:
        return {
            "video": self.video,
            "checkpoint": self.checkpoint,
            "protocol": self.protocol,
            "runtime_s": self.runtime_s,
            "prob": self.prob,
            "verdict": self.verdict,
            # not asdict(): it would deep-copy every track's frames only to drop them
            "tracks": [
                {f.name: getattr(t, f.name) for f in fields(t) if f.name != "frames"} for t in self.tracks
            ],
        }


def decide(prob: float, threshold: float | None) -> str:
    """``fake`` / ``real`` at ``threshold``, or :data:`NO_VERDICT` when there is none."""
    if threshold is None:
        return NO_VERDICT
    return "fake" if prob >= threshold else "real"


def score_track(
    frames: np.ndarray,
    model: torch.nn.Module,
    meta: CheckpointMeta,
    device: torch.device,
    batch_size: int = 8,
) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Clip starts, clip probabilities and per-frame scores of an aligned track.

    Shape:
        frames: ``(T, S, S, 3)`` uint8 with ``T >= clip_len``.
    """
    clip_len = meta.clip_len
    if len(frames) < clip_len:
        raise ValueError(
            f"a track of {len(frames)} frames is shorter than one clip ({clip_len}); pad it first"
        )
    # the face pipeline aligned the track per clip_len frames (its clip_len is the model's): clips
    # stay inside those windows, and a last one ends at the track's end so every frame is scored
    starts = eval_clip_starts(len(frames), clip_len, align_len=clip_len, cover_tail=True).tolist()
    clips = torch.from_numpy(np.stack([frames[s : s + clip_len] for s in starts]))
    if meta.input_size is not None and clips.shape[2] != meta.input_size:
        clips = torch.stack([resize_clip(c, meta.input_size) for c in clips])
    probs = score_batches(model, clips, device, batch_size)
    total = np.zeros(len(frames))
    count = np.zeros(len(frames))
    for s, p in zip(starts, probs, strict=True):
        total[s : s + clip_len] += p
        count[s : s + clip_len] += 1
    return starts, probs, total / np.maximum(count, 1)


def predict_video(
    path: str | Path,
    model: torch.nn.Module,
    meta: CheckpointMeta,
    device: torch.device,
    face_config: Any | None = None,
    batch_size: int = 8,
    progress: bool = False,
    keep_frames: bool = False,
    protocol: str = "sdr",
) -> VideoPrediction:
    """Detect, align and score every kept face track of the video at ``path``.

    ``face_config`` defaults to the face options the checkpoint's training data was prepared with
    (:func:`~sdrlib.predict.faces.prediction_face_config`); a given one must make the same crops.
    ``keep_frames`` keeps each track's aligned crops in :attr:`TrackPrediction.frames` (for a
    frame-by-frame viewer; they are never written to JSON). ``protocol="ftcn"`` scores every
    track as the published demos do (stride-1 clips, FTCN's template; default face options from
    :func:`~sdrlib.predict.ftcn_protocol.protocol_face_options`).

    Raises:
        sdrlib.data.video.errors.InputError: not a video, corrupt, no face, face too small...
        sdrlib.predict.faces.CropMismatchError: ``face_config`` makes other crops than training saw.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; known: {list(PROTOCOLS)}")
    start = time.perf_counter()
    if face_config is None:
        face_config = prediction_face_config(meta, base=protocol_face_options(meta) if protocol == "ftcn" else {})
    check_face_config(face_config, meta)
    # one alignment transform per model clip: the pipeline's windows are the checkpoint's clips
    config = dataclasses.replace(face_config, clip_len=meta.clip_len)
    tracks = extract_face_tracks(path, config, progress=progress)
    results = []
    for track in tracks:
        if protocol == "ftcn":
            scored = score_track_ftcn(path, track, model, meta, device, batch_size, config.size, config.scale)
        else:
            scored = score_track(track.frames, model, meta, device, batch_size)
        starts, probs, frame_scores = scored
        prob = video_probability(probs)  # one track: the mean of its clips
        warnings = list(track.warnings)
        if track.padded:
            warnings.append(
                f"video shorter than one clip ({meta.clip_len} frames): the track was mirror-padded"
            )
        results.append(
            TrackPrediction(
                track_id=track.track_id,
                prob=prob,
                verdict=decide(prob, meta.threshold),
                threshold=meta.threshold,
                n_clips=len(starts),
                n_frames=len(track.frames),
                clip_starts=starts,
                clip_probs=[float(p) for p in probs],
                frame_indices=[int(i) for i in track.frame_indices],
                frame_scores=[float(s) for s in frame_scores],
                padded=bool(track.padded),
                mean_face_size=float(track.mean_face_size),
                warnings=list(dict.fromkeys(warnings)),
                frames=track.frames if keep_frames else None,
            )
        )
    return VideoPrediction(
        video=str(path), tracks=results, runtime_s=time.perf_counter() - start, protocol=protocol
    )
