"""Pictures of the book's data chapter: what real and fake clips look like, and where they differ.

Each ``plot_*`` function reads a dataset directory (SynthDF or real, see ``docs/data_format.md``)
and returns a :class:`matplotlib.figure.Figure` (no global pyplot state, so they are safe in tests
and notebooks display them). The measurements behind the pictures (:func:`mean_abs_difference`,
:func:`mean_log_spectrum`) are plain functions so that tests and chapters can check the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sdrlib.data.manifest import read_manifest
from sdrlib.data.tracks import read_track


def _gray(frames: np.ndarray) -> np.ndarray:
    return frames.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def mean_abs_difference(frames: np.ndarray) -> np.ndarray:
    """Mean over time of the absolute difference between consecutive frames (grey levels).

    Large where the video changes from frame to frame: motion, blinks, and the flicker and
    jitter of a face pasted frame by frame.

    Shape:
        frames: ``(T, H, W, 3)`` uint8, ``T >= 2`` -> ``(H, W)`` float32.
    """
    if frames.shape[0] < 2:
        raise ValueError(f"need at least 2 frames to difference, got {frames.shape[0]}")
    return np.abs(np.diff(_gray(frames), axis=0)).mean(axis=0)


def mean_log_spectrum(images: np.ndarray) -> np.ndarray:
    """Mean log-amplitude 2D Fourier spectrum of grey images, zero frequency at the centre.

    A periodic artifact shows as a peak: a period-2 checkerboard at the corners (the Nyquist
    frequency in both axes); blur as a loss at high frequencies.

    Shape:
        images: RGB ``(N, H, W, 3)`` or grey ``(N, H, W)`` -> ``(H, W)`` float32.
    """
    gray = _gray(images) if images.ndim == 4 else images.astype(np.float32)
    gray = gray - gray.mean(axis=(1, 2), keepdims=True)
    amplitude = np.abs(np.fft.fft2(gray, axes=(1, 2)))
    return np.fft.fftshift(np.log1p(amplitude).mean(axis=0)).astype(np.float32)


def _select(manifest: pd.DataFrame, domain: str, label: int, split: str | None) -> pd.DataFrame:
    rows = manifest[(manifest["domain"] == domain) & (manifest["label"] == label)]
    if split is not None and (rows["split"] == split).any():
        rows = rows[rows["split"] == split]
    return rows.sort_values(["video_id", "track"])


def _load(root: Path, rows: pd.DataFrame, max_videos: int, max_frames: int | None) -> list[np.ndarray]:
    return [read_track(root / path, 0, max_frames) for path in rows["path"].iloc[:max_videos]]


def _domains(manifest: pd.DataFrame, domains: Sequence[str] | None) -> list[str]:
    available = sorted(manifest["domain"].unique())
    if domains is None:
        return available
    unknown = sorted(set(domains) - set(available))
    if unknown:
        raise ValueError(f"domain(s) {unknown} not in this dataset; available: {available}")
    return list(domains)


def _pairs(
    root: Path, domains: Sequence[str] | None, split: str | None, max_videos: int, max_frames: int | None
):
    manifest = read_manifest(root)
    for domain in _domains(manifest, domains):
        real = _select(manifest, domain, 0, split)
        fake = _select(manifest, domain, 1, split)
        if real.empty or fake.empty:
            raise ValueError(f"domain {domain!r} needs real and fake videos (split={split})")
        yield domain, _load(root, real, max_videos, max_frames), _load(root, fake, max_videos, max_frames)


def _off(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def plot_domain_grid(
    root: str | Path,
    domains: Sequence[str] | None = None,
    split: str | None = "test",
    n_frames: int = 4,
    step: int = 3,
) -> Figure:
    """A real and a fake clip of each domain, a few frames each, side by side.

    For SynthDF the two are a pair (the fake is that real video with its inner face swapped), so
    what differs is the manipulation alone.

    Args:
        root: dataset directory.
        domains: domains to show (rows); ``None``: all, sorted by name.
        split: take videos from this split when it has some (``None``: any split).
        n_frames: frames shown per clip.
        step: frame step between them.
    """
    data = list(_pairs(Path(root), domains, split, 1, (n_frames - 1) * step + 1))
    fig = Figure(figsize=(1.1 * 2 * n_frames, 1.2 * len(data)), layout="constrained")
    axes = fig.subplots(len(data), 2 * n_frames, squeeze=False)
    for row, (domain, (real,), (fake,)) in enumerate(data):
        for kind, clip in enumerate((real, fake)):
            for k in range(n_frames):
                t = min(k * step, len(clip) - 1)
                ax = axes[row, kind * n_frames + k]
                ax.imshow(clip[t], interpolation="nearest")
                _off(ax)
                if row == 0:
                    ax.set_title(f"{'fake' if kind else 'real'} t={t}", fontsize=8)
        axes[row, 0].set_ylabel(domain, fontsize=9)
    return fig


def plot_frame_differences(
    root: str | Path,
    domains: Sequence[str] | None = None,
    split: str | None = "test",
    max_videos: int = 8,
) -> Figure:
    """Where videos change between consecutive frames, real against fake, for each domain.

    Columns: a real frame and its mean absolute frame difference, the paired fake frame and its
    difference map, and the fake-minus-real difference map averaged over ``max_videos`` videos
    of each class: the pasted face lights up, because it flickers and jitters frame by frame
    (the temporal artifacts) while the real face moves smoothly.
    """
    data = list(_pairs(Path(root), domains, split, max_videos, None))
    titles = ("real frame", "real |frame diff|", "fake frame", "fake |frame diff|", "mean fake − real")
    fig = Figure(figsize=(1.6 * len(titles), 1.5 * len(data)), layout="constrained")
    axes = fig.subplots(len(data), len(titles), squeeze=False)
    for row, (domain, reals, fakes) in enumerate(data):
        real_maps = [mean_abs_difference(c) for c in reals if len(c) > 1]
        fake_maps = [mean_abs_difference(c) for c in fakes if len(c) > 1]
        if not real_maps or not fake_maps:
            raise ValueError(f"domain {domain!r}: tracks need at least 2 frames for difference maps")
        vmax = float(np.percentile(np.concatenate([real_maps[0].ravel(), fake_maps[0].ravel()]), 99.5))
        axes[row, 0].imshow(reals[0][0])
        axes[row, 1].imshow(real_maps[0], cmap="magma", vmin=0, vmax=vmax)
        axes[row, 2].imshow(fakes[0][0])
        axes[row, 3].imshow(fake_maps[0], cmap="magma", vmin=0, vmax=vmax)
        contrast = np.mean(fake_maps, axis=0) - np.mean(real_maps, axis=0)
        limit = float(np.abs(contrast).max()) or 1.0
        image = axes[row, 4].imshow(contrast, cmap="RdBu_r", vmin=-limit, vmax=limit)
        fig.colorbar(image, ax=axes[row, 4], shrink=0.8)
        axes[row, 0].set_ylabel(domain, fontsize=9)
        for ax in axes[row]:
            _off(ax)
    for ax, title in zip(axes[0], titles, strict=True):
        ax.set_title(title, fontsize=8)
    return fig


def plot_artifact_spectra(
    root: str | Path,
    domains: Sequence[str] | None = None,
    split: str | None = "test",
    max_videos: int = 16,
) -> Figure:
    """Fake-minus-real mean log-amplitude spectra of each domain, of frames and of frame differences.

    Top row, frames: the spatial fingerprints, different in each domain (the checkerboard's peaks
    at the corners, the high-frequency loss of blur, the ring of a high-frequency texture).
    Bottom row, consecutive-frame differences: the temporal artifacts add energy at low and middle
    frequencies in every domain. Zero frequency is at the centre; red = more in fakes.
    """
    data = list(_pairs(Path(root), domains, split, max_videos, None))
    fig = Figure(figsize=(2.0 * len(data), 4.2), layout="constrained")
    axes = fig.subplots(2, len(data), squeeze=False)
    for col, (domain, reals, fakes) in enumerate(data):
        frames = mean_log_spectrum(np.concatenate(fakes)) - mean_log_spectrum(np.concatenate(reals))
        motion = _difference_spectrum(fakes) - _difference_spectrum(reals)
        for row, values in enumerate((frames, motion)):
            limit = float(np.abs(values).max()) or 1.0
            image = axes[row, col].imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit)
            fig.colorbar(image, ax=axes[row, col], shrink=0.7)
            _off(axes[row, col])
        axes[0, col].set_title(domain, fontsize=9)
    axes[0, 0].set_ylabel("frames", fontsize=9)
    axes[1, 0].set_ylabel("frame differences", fontsize=9)
    return fig


def _difference_spectrum(clips: list[np.ndarray]) -> np.ndarray:
    diffs = [np.diff(_gray(c), axis=0) for c in clips if len(c) > 1]
    if not diffs:
        raise ValueError("tracks need at least 2 frames for difference spectra")
    return mean_log_spectrum(np.concatenate(diffs))
