"""Pictures of TPA: one clip under each perturbation, and what each does to the frame differences.

Used by the book chapter 'TPA' (the figure and the TPA explorer widget) and by any chapter that
wants to show a perturbation. Returns :class:`matplotlib.figure.Figure` objects (no global pyplot
state), like :mod:`sdrlib.data.figures`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from matplotlib.figure import Figure

from sdrlib.augment.ops import check_clips
from sdrlib.augment.tpa import apply_op


def _as_batch(clip01: torch.Tensor) -> torch.Tensor:
    """``(3, T, H, W)`` or ``(1, 3, T, H, W)`` float clip in [0, 1] -> ``(1, 3, T, H, W)``."""
    if torch.is_tensor(clip01) and clip01.dim() == 4:
        clip01 = clip01.unsqueeze(0)
    check_clips(clip01, 0.0)
    if clip01.shape[0] != 1:
        raise ValueError(f"plot one clip at a time, got a batch of {clip01.shape[0]}")
    if clip01.shape[2] < 2:
        raise ValueError(f"the clip needs at least 2 frames to show frame differences, got {clip01.shape[2]}")
    return clip01.detach().float().cpu()


def perturbed_views(
    clip01: torch.Tensor, views: Mapping[str, float], seed: int = 0
) -> dict[str, torch.Tensor]:
    """The clip under each op of ``views`` (op name -> strength), each op drawn from ``seed``.

    Every op gets its own generator seeded with ``seed``, so a view does not depend on which
    other views are drawn or in which order.

    Shape:
        clip01: ``(3, T, H, W)`` or ``(1, 3, T, H, W)`` in [0, 1] -> each view ``(3, T, H, W)``.
    """
    x = _as_batch(clip01)
    out = {}
    for name, strength in views.items():
        out[name] = apply_op(name, x, float(strength), torch.Generator().manual_seed(seed))[0]
    return out


def mean_abs_frame_difference(clip01: torch.Tensor) -> torch.Tensor:
    """Mean over time and colour of ``|x_{t+1} - x_t|``: where the clip changes between frames.

    Shape:
        clip01: ``(3, T, H, W)``, ``T >= 2`` -> ``(H, W)``.
    """
    if clip01.dim() != 4 or clip01.shape[1] < 2:
        raise ValueError(f"expected one clip (3, T >= 2, H, W), got {tuple(clip01.shape)}")
    return clip01.diff(dim=1).abs().mean(dim=(0, 1))


def plot_tpa_views(
    clip01: torch.Tensor,
    views: Mapping[str, float] | Sequence[str],
    frames: Sequence[int] = (0, 4, 8, 12),
    seed: int = 0,
    strength: float = 1.0,
    difference: bool = True,
    transpose: bool = False,
) -> Figure:
    """One row per view (the original first), a few frames each, and its frame-difference map.

    The last column is :func:`mean_abs_frame_difference` of each view on the original's colour
    scale: a temporally-preserving op changes what the frames look like but leaves the map where
    it was (only rescaled, blurred or moved by the op's spatial map), while noise drawn afresh for
    every frame lights it up everywhere.

    Args:
        clip01: one clip in [0, 1].
        views: op name -> strength, or op names (all at ``strength``); see
            :func:`sdrlib.augment.list_ops`.
        frames: frame indices shown (clipped to the clip's length).
        seed: seed of every op's parameters.
        strength: strength of the ops given by name only.
        difference: add the frame-difference map.
        transpose: one column per view instead of one row (wide figures for a few frames).

    Shape:
        clip01: ``(3, T, H, W)`` or ``(1, 3, T, H, W)``.
    """
    if not isinstance(views, Mapping):
        views = dict.fromkeys(views, strength)
    if not views:
        raise ValueError("give at least one op to show")
    x = _as_batch(clip01)
    shown_views = {"original": x[0], **perturbed_views(x, views, seed)}
    names = ["original"] + [
        f"{name.replace('_', ' ')}\n(strength {float(s):.2f})" for name, s in views.items()
    ]
    length = x.shape[2]
    shown = sorted({min(max(int(t), 0), length - 1) for t in frames}) or [0]
    panels = [f"t = {t}" for t in shown] + (["mean |x[t+1] - x[t]|"] if difference else [])
    maps = [mean_abs_frame_difference(view) for view in shown_views.values()] if difference else []
    # The original's scale: what a view adds over it saturates instead of dimming the others.
    vmax = max(float(maps[0].flatten().quantile(0.995)), 1e-6) if maps else 1.0
    shape = (len(panels), len(names)) if transpose else (len(names), len(panels))
    fig = Figure(figsize=(1.35 * shape[1], 1.4 * shape[0]), layout="constrained")
    axes = fig.subplots(*shape, squeeze=False)
    grid = axes.T if transpose else axes  # grid[view, panel]
    for v, view in enumerate(shown_views.values()):
        for c, t in enumerate(shown):
            grid[v, c].imshow(view[:, t].permute(1, 2, 0).numpy(), interpolation="nearest")
        if difference:
            image = grid[v, -1].imshow(maps[v].numpy(), cmap="magma", vmin=0.0, vmax=vmax)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    row_labels, col_labels = (panels, names) if transpose else (names, panels)
    for ax, label in zip(axes[:, 0], row_labels, strict=True):
        ax.set_ylabel(label, fontsize=8)
    for ax, label in zip(axes[0], col_labels, strict=True):
        ax.set_title(label, fontsize=8)
    if difference:
        fig.colorbar(image, ax=grid[:, -1], shrink=0.6, location="bottom" if transpose else "right")
    return fig
