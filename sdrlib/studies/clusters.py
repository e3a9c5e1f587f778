"""Spatially-perturbed feature clusters of a trained SDR model, before and after TRFI.

For each clip, SDR's K spatial perturbation branches (SPBs) give K feature sequences: the clip's
*feature cluster* (SDR_SPEC section 2.2). TRFI (section 2.4) is meant to pull each cluster together,
keeping what the branches share (the temporal evidence) and dropping what each perturbation adds
(appearance). This module measures that on a trained model:

- :func:`branch_features`: the K branches' trunk tokens (before TRFI) and posterior means
  ``mu_k`` (after TRFI) of clean clips, with TPA switched on in eval mode;
- :func:`cluster_tightness`: how much of the feature variance lies *within* clusters;
- :func:`plot_branch_clusters`: a 2-D PCA picture of the clusters, before and after.

Book chapter 'SPBs and feature clusters'.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from sklearn.decomposition import PCA

from sdrlib.models.sdr import SDR
from sdrlib.models.temporal_transformer import spatial_tokens

BRANCH_MARKERS = ("o", "s", "^", "D", "v")
LABEL_COLOURS = {0: "#4C72B0", 1: "#C44E52"}


@torch.no_grad()
def branch_features(
    model: SDR, x: torch.Tensor, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Trunk tokens and TRFI posterior means of every branch, pooled over time.

    The model stays in eval mode (BatchNorm running statistics, no dropout) and TPA is switched
    on for the call through the model's own ``test_time_tpa`` option, so the K views go through
    the same code path as in training (one batched trunk call for a shared trunk).

    Args:
        model: an ``sdr`` model with TRFI (``trfi=True``).
        x: ImageNet-normalized clips.
        generator: makes the TPA draws reproducible.

    Returns:
        ``(tokens, mu)``: tokens ``(B, K, C)`` before TRFI, ``mu`` ``(B, K, D)`` after, float32
        on the CPU, each the mean over the ``T'`` time steps.

    Shape:
        x: ``(B, 3, T, H, W)``.
    """
    if not isinstance(model, SDR):
        raise TypeError(f"branch_features needs an sdr model, got {type(model).__name__}")
    if model.trfi is None:
        raise ValueError("the model has no TRFI (trfi=False): there are no posteriors to compare")
    was_training, had_tta = model.training, model.cfg.test_time_tpa
    model.eval()
    model.cfg.test_time_tpa = True
    try:
        tokens = spatial_tokens(model.forward_features(x, generator))
    finally:
        model.cfg.test_time_tpa = had_tta
        model.train(was_training)
    mu, _ = model.trfi.posteriors(tokens)
    return tokens.float().mean(dim=2).cpu(), mu.float().mean(dim=2).cpu()


def cluster_tightness(features: torch.Tensor) -> dict[str, float]:
    """Within-cluster and between-cluster spread of K branch features per clip.

    ``within`` is the mean squared distance of a branch to its clip's centroid, ``between`` the
    mean squared distance of a clip's centroid to the grand mean, and ``within_share`` =
    ``within / (within + between)`` the fraction of the variance that separates the branches of
    one clip rather than the clips: 0 when every clip's branches coincide. The share does not
    depend on the features' scale or width, so it compares spaces of different sizes (trunk
    tokens and TRFI latents).

    Shape:
        features: ``(B, K, F)`` with ``B >= 2`` clips and ``K >= 2`` branches.
    """
    if features.dim() != 3 or features.shape[0] < 2 or features.shape[1] < 2:
        raise ValueError(f"features must be (B >= 2 clips, K >= 2 branches, F), got {tuple(features.shape)}")
    features = features.double()
    centroids = features.mean(dim=1)
    within = float((features - centroids[:, None]).square().sum(-1).mean())
    between = float((centroids - centroids.mean(dim=0)).square().sum(-1).mean())
    total = within + between
    return {"within": within, "between": between, "within_share": within / total if total > 0 else 0.0}


def _project(features: torch.Tensor) -> np.ndarray:
    """PCA of the ``B * K`` points to 2-D, ``(B, K, 2)``."""
    b, k, f = features.shape
    points = features.reshape(b * k, f).double().numpy()
    return PCA(n_components=2, random_state=0).fit_transform(points).reshape(b, k, 2)


def plot_branch_clusters(
    panels: dict[str, torch.Tensor], labels: Sequence[int], branch_names: Sequence[str]
) -> Figure:
    """One 2-D PCA scatter per feature space: a point per clip and branch, lines to the clip's centroid.

    Colour = the clip's label (blue real, red fake), marker = the branch; each panel's title gives
    its :func:`cluster_tightness` ``within_share``.

    Args:
        panels: title -> features ``(B, K, F)`` (e.g. before and after TRFI).
        labels: ``B`` clip labels (1 = fake).
        branch_names: ``K`` names for the legend (the TPA ops).
    """
    if not panels:
        raise ValueError("give at least one feature space to plot")
    labels = [int(v) for v in labels]
    fig = Figure(figsize=(3.6 * len(panels), 3.6), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (title, features) in zip(axes, panels.items(), strict=True):
        if features.shape[0] != len(labels) or features.shape[1] != len(branch_names):
            raise ValueError(
                f"{title}: features {tuple(features.shape)} do not match {len(labels)} labels "
                f"and {len(branch_names)} branch names"
            )
        points = _project(features)
        centroids = points.mean(axis=1)
        for clip, label in enumerate(labels):
            colour = LABEL_COLOURS.get(label, "grey")
            for k in range(points.shape[1]):
                ax.plot(*zip(centroids[clip], points[clip, k], strict=True), color=colour, lw=0.5, alpha=0.5)
                ax.scatter(
                    *points[clip, k], color=colour, s=18, marker=BRANCH_MARKERS[k % len(BRANCH_MARKERS)]
                )
        share = cluster_tightness(features)["within_share"]
        ax.set(title=f"{title}\nwithin-clip share {share:.2f}", xlabel="PC 1", ylabel="PC 2")
        ax.set_xticks([])
        ax.set_yticks([])
    handles = [
        axes[0].scatter([], [], color="black", marker=BRANCH_MARKERS[k % len(BRANCH_MARKERS)], label=name)
        for k, name in enumerate(branch_names)
    ]
    handles += [
        axes[0].scatter([], [], color=c, marker="o", label=n)
        for n, c in (("real", "#4C72B0"), ("fake", "#C44E52"))
    ]
    fig.legend(handles=handles, loc="outside right center", fontsize=8)
    return fig
