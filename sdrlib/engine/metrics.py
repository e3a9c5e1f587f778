"""Detection metrics at the clip and the video level, computed the way the paper's protocol needs.

SDR_SPEC section 3: video-level AUC is the AUC over videos of the *mean clip probability*, and
section 5 lists the traps this module avoids: clip AUC reported as video AUC, videos grouped by
folder name (FF++ ``000_003`` exists under every manipulation), thresholds not chosen on
validation data. Videos are keyed by the manifest's unique ``video_id``; a video with many clips
counts once.

One rule turns clip scores into a video score everywhere (validation, where the threshold is
chosen; evaluation; ``sdr predict``): :func:`video_probabilities`, the mean clip probability of each
face track, then the highest track of the video (one swapped face makes a video fake, as in
DFDC's multi-face scenes). With one track per video, as in FF++, Celeb-DF-v2 and SynthDF, it is
SDR_SPEC's mean clip probability. Explained in the book chapter 'training end to end'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from sdrlib.data.domains import family

CLIP_COLUMNS = ("video_id", "label", "domain", "prob")


@dataclass
class DetectionMetrics:
    """Metrics of one evaluation set; ``nan`` where undefined (e.g. only one class present)."""

    video_auc: float
    clip_auc: float
    video_ap: float
    video_eer: float
    video_acc: float
    threshold: float
    n_videos: int
    n_real: int
    n_fake: int
    n_clips: int

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def video_probabilities(video_ids: Sequence, tracks: Sequence, probs: Sequence[float]) -> pd.Series:
    """The fake probability of each video from its clips: the mean over the clips of each face
    track, then the highest track (see the module docstring).

    Args:
        video_ids, tracks, probs: one entry per clip (its video, its face track, its probability).

    Returns:
        The video probabilities, indexed by video id (sorted).
    """
    frame = pd.DataFrame(
        {"video_id": list(video_ids), "track": list(tracks), "prob": np.asarray(probs, float)}
    )
    per_track = frame.groupby(["video_id", "track"], sort=True)["prob"].mean()
    return per_track.groupby(level="video_id", sort=True).max()


def video_probability(probs: Sequence[float], tracks: Sequence | None = None) -> float:
    """:func:`video_probabilities` of one video's clips (``tracks=None``: one face track)."""
    probs = np.asarray(probs, dtype=float)
    if probs.size == 0:
        raise ValueError("a video needs at least one scored clip")
    tracks = np.zeros(len(probs), dtype=int) if tracks is None else tracks
    return float(video_probabilities(np.zeros(len(probs), dtype=int), tracks, probs).iloc[0])


def video_scores(clips: pd.DataFrame) -> pd.DataFrame:
    """One score per video by :func:`video_probabilities`.

    Args:
        clips: one row per clip with columns ``video_id``, ``label``, ``domain``, ``prob`` and
            optionally ``track`` (absent: one face track per video).

    Returns:
        One row per video: ``video_id``, ``label``, ``domain``, ``prob``, ``n_clips``,
        ``n_tracks``. Raises ValueError when one video id carries two labels (ids collided).
    """
    missing = [c for c in CLIP_COLUMNS if c not in clips.columns]
    if missing:
        raise ValueError(f"clip table lacks columns {missing}; has {list(clips.columns)}")
    if clips.empty:
        raise ValueError("clip table is empty: nothing was evaluated")
    labels = clips.groupby("video_id")["label"].nunique()
    clash = labels[labels > 1]
    if len(clash):
        raise ValueError(
            f"{len(clash)} video id(s) have both labels, e.g. {clash.index[0]!r}: ids must be unique "
            "across manipulations (never group videos by folder name)"
        )
    tracks = clips["track"] if "track" in clips.columns else pd.Series(0, index=clips.index)
    grouped = clips.groupby("video_id", sort=True)
    return pd.DataFrame(
        {
            "label": grouped["label"].first().astype(int),
            "domain": grouped["domain"].first(),
            "prob": video_probabilities(clips["video_id"], tracks, clips["prob"]),
            "n_clips": grouped.size(),
            "n_tracks": tracks.groupby(clips["video_id"]).nunique(),
        }
    ).reset_index()


def _safe_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    if len(np.unique(labels)) < 2:
        return float("nan")
    return float(roc_auc_score(labels, scores))


def equal_error_rate(labels: np.ndarray, scores: np.ndarray) -> float:
    """EER: the error rate where the false-positive rate equals the false-negative rate.

    Read on the ROC curve with its points joined by straight lines: ``FNR - FPR`` falls from 1 to
    -1 along it, and the EER is where it crosses 0, interpolated between the two points around the
    crossing (on a vertical stretch of the curve, the FPR of that stretch).
    """
    if len(np.unique(labels)) < 2:
        return float("nan")
    fpr, tpr, _ = roc_curve(labels, scores)
    diff = (1.0 - tpr) - fpr
    i = int(np.argmax(diff <= 0))  # the first point at or past the crossing (never 0: diff[0] = 1)
    if diff[i] == 0:
        return float(fpr[i])
    w = diff[i - 1] / (diff[i - 1] - diff[i])
    return float(fpr[i - 1] + w * (fpr[i] - fpr[i - 1]))


def choose_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    """Threshold maximizing balanced accuracy (Youden's J) on *validation* video scores.

    The threshold is the midpoint between the chosen score and the next lower one, so it does not
    sit exactly on a validation score. Falls back to 0.5 when only one class is present.
    """
    labels = np.asarray(labels)
    scores = np.asarray(scores, dtype=float)
    if len(np.unique(labels)) < 2:
        return 0.5
    fpr, tpr, thr = roc_curve(labels, scores)
    best = int(np.argmax(tpr - fpr))
    t = float(thr[best])
    if not np.isfinite(t):
        return float(scores.max() + 1e-6)
    below = scores[scores < t]
    return float((t + below.max()) / 2) if below.size else float(t - 1e-6)


def detection_metrics(clips: pd.DataFrame, threshold: float | None = 0.5) -> DetectionMetrics:
    """All metrics of one evaluation set from its per-clip probabilities.

    Args:
        clips: one row per clip (columns ``video_id``, ``label``, ``domain``, ``prob``).
        threshold: decision threshold for ACC, chosen on the validation split; ``None`` (a
            checkpoint without one, e.g. converted weights) gives ACC ``nan``.
    """
    videos = video_scores(clips)
    y, p = videos["label"].to_numpy(), videos["prob"].to_numpy()
    threshold = float("nan") if threshold is None else float(threshold)
    return DetectionMetrics(
        video_auc=_safe_auc(y, p),
        clip_auc=_safe_auc(clips["label"].to_numpy(), clips["prob"].to_numpy()),
        video_ap=float(average_precision_score(y, p)) if len(np.unique(y)) > 1 else float("nan"),
        video_eer=equal_error_rate(y, p),
        video_acc=float("nan") if np.isnan(threshold) else float(np.mean((p >= threshold).astype(int) == y)),
        threshold=float(threshold),
        n_videos=len(videos),
        n_real=int((y == 0).sum()),
        n_fake=int((y == 1).sum()),
        n_clips=len(clips),
    )


def domain_rows(table: pd.DataFrame, domain: str) -> pd.DataFrame:
    """The rows fake domain ``domain`` is scored on: its fakes, and the reals of the same domain or
    of its family (FF++'s shared originals carry the family domain ``ffpp``, see
    :mod:`sdrlib.data.domains`). Serves clip and video tables alike (the metrics table and the ROC
    curves, which must agree)."""
    reals = table[(table["label"] == 0) & table["domain"].isin({domain, family(domain)})]
    fakes = table[(table["label"] == 1) & (table["domain"] == domain)]
    return pd.concat([reals, fakes])


def per_domain_metrics(clips: pd.DataFrame, threshold: float | None = 0.5) -> pd.DataFrame:
    """One row of metrics per fake domain, plus an ``all`` row.

    A domain's fakes are scored against the reals of the same domain and of its family: FF++'s
    manipulations share one set of originals, whose rows carry the family domain ``ffpp``
    (see :mod:`sdrlib.data.domains`). Domains made only of reals (such as ``ffpp``) get no row.
    """

    rows = [{"domain": "all", **detection_metrics(clips, threshold).as_dict()}]
    for domain in sorted(clips.loc[clips["label"] == 1, "domain"].unique()):
        rows.append({"domain": domain, **detection_metrics(domain_rows(clips, domain), threshold).as_dict()})
    return pd.DataFrame(rows)
