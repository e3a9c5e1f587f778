"""Figures and the demo video of the chapter 'your own video': the score timeline of a prediction,
the aligned crop at a frame beside its score, a strip of crops.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from sdrlib.data.synthetic import get_domain, render_pair
from sdrlib.data.video.encode import write_video
from sdrlib.data.video.samples import shared_videos_dir
from sdrlib.predict.scoring import VideoPrediction


def plot_timeline(prediction: VideoPrediction, fps: float | None = None) -> Figure:
    """Per-frame fake score of each track, with the validation threshold."""
    fig, ax = plt.subplots(figsize=(7, 2.6))
    for track in prediction.tracks:
        x = np.asarray(track.frame_indices, dtype=float)
        order = np.argsort(x, kind="stable")
        label = f"track {track.track_id}: p = {track.prob:.2f} ({track.verdict})"
        ax.plot(x[order] / fps if fps else x[order], np.asarray(track.frame_scores)[order], label=label)
    threshold = prediction.tracks[0].threshold
    if threshold is not None:  # a converted checkpoint has none until it is calibrated
        ax.axhline(threshold, color="grey", ls="--", lw=0.8, label=f"threshold {threshold:.2f}")
    ax.set(
        xlabel="time (s)" if fps else "frame",
        ylabel="fake probability",
        ylim=(-0.02, 1.02),
        title=Path(prediction.video).name,
    )
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


#: The demo clip of the chapter 'your own video' inside the shared folder: an FF++ c23 FaceSwap
#: fake of the FF++ test split.
DEMO_CLIP = "ffpp_icpr2020/FaceSwap_634_660.mp4"


def demo_video(out_dir: str | Path, frames: int = 48, size: int = 128) -> tuple[Path, str]:
    """A video to try the detector on when the reader gives none.

    The shared folder's :data:`DEMO_CLIP` when it exists; otherwise a SynthDF test fake (domain
    ``ffpp-fs``) rendered at ``size`` pixels and written to ``out_dir/synthdf_demo.mp4``, so the
    chapter runs anywhere.

    Returns:
        The path and one line saying what the video is.
    """
    clip = shared_videos_dir() / DEMO_CLIP
    if clip.is_file():
        return clip, f"FF++ c23 FaceSwap fake {clip.name} (FF++ test split) from the shared folder"
    pair = render_pair(get_domain("ffpp-fs"), "test", 0, frames=frames, size=size)
    path = write_video(Path(out_dir) / "synthdf_demo.mp4", pair.fake, crf=10)
    return path, f"a SynthDF ffpp-fs test fake ({frames} frames, {size} px), written to {path.name}"


def plot_frame_score(prediction: VideoPrediction, position: int, track: int = 0) -> Figure:
    """The aligned crop at ``position`` of a track beside its score timeline, with a cursor.

    Args:
        prediction: a :class:`~sdrlib.predict.VideoPrediction` made with ``keep_frames=True``.
        position: index into the track's frames (0 .. n_frames - 1).
        track: which track of the prediction.
    """
    t = prediction.tracks[track]
    if t.frames is None:
        raise ValueError("the prediction holds no crops: call predict_video(..., keep_frames=True)")
    if not 0 <= position < len(t.frames):
        raise ValueError(f"position must be in 0..{len(t.frames) - 1}, got {position}")
    scores = np.asarray(t.frame_scores)
    fig, (ax_img, ax_line) = plt.subplots(1, 2, figsize=(7.0, 2.6), gridspec_kw={"width_ratios": [1, 2.6]})
    ax_img.imshow(t.frames[position])
    ax_img.set_axis_off()
    frame = int(t.frame_indices[position])
    ax_img.set_title(f"frame {frame}: p = {scores[position]:.2f}", fontsize=9)
    ax_line.plot(np.arange(len(scores)), scores, lw=1.2)
    ax_line.axvline(position, color="C3", lw=1)
    if t.threshold is not None:
        ax_line.axhline(t.threshold, color="grey", ls="--", lw=0.8, label=f"threshold {t.threshold:.2f}")
    ax_line.set(xlabel="position in the track", ylabel="fake probability", ylim=(-0.02, 1.02))
    ax_line.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


def plot_frame_strip(prediction: VideoPrediction, count: int = 6, track: int = 0) -> Figure:
    """``count`` evenly spaced aligned crops of a track, each titled with its frame and score."""
    t = prediction.tracks[track]
    if t.frames is None:
        raise ValueError("the prediction holds no crops: call predict_video(..., keep_frames=True)")
    positions = np.unique(np.linspace(0, len(t.frames) - 1, count).round().astype(int))
    fig, axes = plt.subplots(1, len(positions), figsize=(1.25 * len(positions), 1.7), squeeze=False)
    for ax, position in zip(axes[0], positions, strict=True):
        ax.imshow(t.frames[position])
        ax.set_axis_off()
        ax.set_title(f"#{int(t.frame_indices[position])}: {t.frame_scores[position]:.2f}", fontsize=8)
    fig.tight_layout(pad=0.3)
    return fig
