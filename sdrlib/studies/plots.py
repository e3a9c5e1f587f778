"""Figures of the studies: the diagnostic's conditions and drops, the robustness perturbations
and curves, and the test clip they are drawn on. Book chapters 'spatial-dependency diagnostic' and
'robustness'.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from sdrlib.engine.config import RunConfig
from sdrlib.engine.data import open_split
from sdrlib.experiments.intervals import group_summary
from sdrlib.studies.diagnose import CONDITIONS, condition_transform
from sdrlib.studies.perturbations import LEVELS, PERTURBATIONS, perturb
from sdrlib.utils.plotting import bare_axes, grouped_bars


def example_clip(config: RunConfig, domain: str, label: int = 1) -> torch.Tensor:
    """The first test clip of ``domain`` with ``label`` (1 = fake) as floats in [0, 1].

    Args:
        config: a :class:`~sdrlib.engine.config.RunConfig` (its data section is used).

    Shape:
        returns ``(3, T, H, W)``.

    Raises:
        ValueError: the test split has no such clip.
    """
    dataset = open_split(config.data, "test", "eval", [domain])
    matches = np.flatnonzero(dataset.labels == label)  # per-item labels: nothing decoded to search
    if matches.size == 0:
        raise ValueError(f"no test clip with label {label} in domain {domain!r}")
    return dataset[int(matches[0])]["clip"].permute(3, 0, 1, 2).float().div(255.0)


def plot_conditions(clip: torch.Tensor, frames: int = 4, seed: int = 0) -> Figure:
    """A clip under every condition of the spatial-dependency diagnostic, ``frames`` frames each.

    Shape:
        clip: ``(3, T, H, W)`` float in [0, 1].
    """
    x = clip[None]
    positions = np.linspace(0, x.shape[2] - 1, frames).round().astype(int)
    fig, axes = plt.subplots(len(CONDITIONS), frames, figsize=(1.2 * frames + 1.6, 1.2 * len(CONDITIONS)))
    for i, condition in enumerate(CONDITIONS):
        transform = condition_transform(condition, seed)
        y = x if transform is None else transform(x.clone())
        for j, t in enumerate(positions):
            ax = axes[i, j]
            ax.imshow(y[0, :, t].permute(1, 2, 0).clamp(0, 1).numpy(), interpolation="nearest")
            bare_axes(ax)
            if i == 0:
                ax.set_title(f"frame {t}", fontsize=8)
            if j == 0:
                ax.set_ylabel(condition.replace("_", "\n"), fontsize=8)
    fig.tight_layout(pad=0.3)
    return fig


def plot_diagnostic(drops: pd.DataFrame, title: str) -> Figure:
    """Bars of the AUC drop under each destruction, grouped by condition, one bar per model, with
    the drop's 95 % interval; the legend sits outside the axes."""
    conditions = list(dict.fromkeys(drops["condition"]))
    fig, ax = plt.subplots(figsize=(7.0, 3.4))
    x = grouped_bars(ax, drops, "condition", "drop")
    kinds = drops.drop_duplicates("condition").set_index("condition")["kind"].reindex(conditions)
    labels = [f"{c}\n({k})" for c, k in zip(conditions, kinds, strict=True)]
    ax.axhline(0, color="black", lw=0.8)
    ax.set(xticks=x, xticklabels=labels, ylabel="AUC drop (points)", title=title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def plot_robustness(videos: pd.DataFrame, title: str) -> Figure:
    """Video AUC (%) on all test videos against the level of each perturbation, one line per model,
    with its 95 % interval as a band.

    Args:
        videos: :attr:`~sdrlib.experiments.ExperimentResult.videos` of :func:`~sdrlib.studies.robustness.run_robustness`.
    """
    levels = videos.drop_duplicates("condition").set_index("condition")[["perturbation", "level"]]
    summary = group_summary(videos, {label: [label] for label in levels.index}, column="all")
    summary = summary.join(levels, on="group")
    names = [p for p in dict.fromkeys(summary["perturbation"]) if p != "clean"]
    models = list(dict.fromkeys(summary["method"]))
    ncols = min(4, len(names))
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.1 * ncols + 0.6, 2.2 * nrows + 0.8), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        for i, model in enumerate(models):
            sub = summary[(summary["method"] == model) & summary["perturbation"].isin(["clean", name])]
            sub = sub.sort_values("level")
            ax.plot(sub["level"], sub["mean"], marker="o", ms=3, color=f"C{i}", label=model)
            ax.fill_between(sub["level"], sub["low"], sub["high"], color=f"C{i}", alpha=0.15, lw=0)
        ax.axhline(50, color="grey", lw=0.7, ls="--")
        ax.set(title=name, ylim=(0, 100), xticks=range(0, 6))
        ax.tick_params(labelsize=8)
    for ax in axes.flat[len(names) :]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("video AUC (%)")
    for ax in axes[-1, :]:
        ax.set_xlabel("level (0 = clean)")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", fontsize=8, ncol=len(models), frameon=False)
    fig.suptitle(title, fontsize=10, x=0.02, ha="left")
    fig.tight_layout(rect=(0, 0.06, 1, 0.93))
    return fig


def plot_perturbations(clip: torch.Tensor, names: list[str] | None = None, seed: int = 0) -> Figure:
    """One frame of ``clip`` under every robustness perturbation at levels 0 (clean) to 5.

    Shape:
        clip: ``(3, T, H, W)`` float in [0, 1] (the middle frame is shown).
    """
    names = names or list(PERTURBATIONS)
    levels = [0, *LEVELS]
    x = clip[None]
    t = x.shape[2] // 2
    fig, axes = plt.subplots(len(names), len(levels), figsize=(1.15 * len(levels) + 1.2, 1.15 * len(names)))
    axes = np.atleast_2d(axes)
    for i, name in enumerate(names):
        for j, level in enumerate(levels):
            frame = perturb(x, name, level, torch.Generator().manual_seed(seed))[0, :, t]
            ax = axes[i, j]
            ax.imshow(frame.permute(1, 2, 0).clamp(0, 1).numpy(), interpolation="nearest")
            bare_axes(ax)
            if i == 0:
                ax.set_title("clean" if level == 0 else f"level {level}", fontsize=8)
            if j == 0:
                ax.set_ylabel(name, fontsize=8)
    fig.tight_layout(pad=0.3)
    return fig
