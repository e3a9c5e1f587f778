"""The estimator playground: named MI estimators fitted on correlated Gaussians, against the truth.

One place that says which critic each estimator uses, fits it briefly with
:func:`sdrlib.mi.fit.fit_estimator`, reads its estimate on fresh batches with
:func:`sdrlib.mi.fit.evaluate_estimator`, and draws the curves against the analytic MI of
:class:`sdrlib.mi.synthetic.CorrelatedGaussian`. Book chapter 'mutual information' (its figures
and the MI-estimator playground widget).

Critics: InfoNCE and CLUB are cheap (a separable critic; CLUB's Gaussian ``q``); NWJ and JSD use a
concat critic, which is more accurate for them at high MI (their optimal critic has terms in
``x`` alone and ``y`` alone that a separable critic learns slowly) but costs an MLP on all
``N^2`` pairs, so keep their batches small on a CPU.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure

from sdrlib.mi.critics import ConcatCritic, SeparableCritic
from sdrlib.mi.estimators import CLUB, JSD, NWJ, InfoNCE, MIEstimator
from sdrlib.mi.fit import evaluate_estimator, fit_estimator
from sdrlib.mi.synthetic import CorrelatedGaussian
from sdrlib.utils.device import torch_threads

ESTIMATORS: tuple[str, ...] = ("infonce", "nwj", "jsd", "club")
COLOURS = {"infonce": "#4C72B0", "nwj": "#DD8452", "jsd": "#55A868", "club": "#C44E52"}


def build_estimator(name: str, dim: int, hidden_dim: int = 32) -> MIEstimator:
    """A fresh estimator ``name`` (one of :data:`ESTIMATORS`) for ``dim``-dimensional X and Y."""
    if name not in ESTIMATORS:
        raise ValueError(f"unknown estimator {name!r}; choose from {', '.join(ESTIMATORS)}")
    if name == "infonce":
        return InfoNCE(SeparableCritic(dim, dim, embed_dim=hidden_dim, hidden_dim=hidden_dim))
    if name == "nwj":
        return NWJ(ConcatCritic(dim, dim, hidden_dim=hidden_dim))
    if name == "jsd":
        return JSD(ConcatCritic(dim, dim, hidden_dim=hidden_dim))
    return CLUB(dim, dim, hidden_dim=hidden_dim)


@dataclass
class EstimateRun:
    """One fitted estimator.

    Attributes:
        name: the estimator's name.
        kind: ``"lower"`` or ``"upper"`` bound.
        curve: the training-batch estimate at every step (nats).
        values: the estimate on each fresh evaluation batch (nats).
    """

    name: str
    kind: str
    curve: np.ndarray
    values: np.ndarray

    @property
    def mean(self) -> float:
        return float(self.values.mean())

    @property
    def stderr(self) -> float:
        """Standard error of :attr:`mean` (0 for a single evaluation batch)."""
        n = len(self.values)
        return float(self.values.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0


def run_estimator(
    name: str,
    sampler: CorrelatedGaussian,
    steps: int = 300,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    eval_batches: int = 20,
) -> EstimateRun:
    """Build, fit (``steps`` Adam steps) and evaluate estimator ``name`` on ``sampler``, seeded.

    The critic's weights come from ``seed``, the training batches from ``seed`` and the
    evaluation batches from ``seed + 1``; everything runs on one CPU thread.
    """
    with torch_threads(1):
        torch.manual_seed(seed)
        estimator = build_estimator(name, sampler.dim)
        curve = fit_estimator(
            estimator, sampler, steps, batch_size=batch_size, lr=lr, seed=seed, progress=False
        )
        values = evaluate_estimator(
            estimator, sampler, num_batches=eval_batches, batch_size=batch_size, seed=seed + 1
        )
    return EstimateRun(name, estimator.kind, np.asarray(curve), values.numpy())


def _smooth(curve: np.ndarray, window: int) -> np.ndarray:
    window = max(1, min(window, len(curve)))
    return np.convolve(curve, np.ones(window) / window, mode="valid")


def plot_estimate_curves(
    runs: Mapping[str, EstimateRun], sampler: CorrelatedGaussian, batch_size: int, smooth: int = 20
) -> Figure:
    """The training curves of several estimators against the true MI, ``log N`` and CLUB's value.

    Thin lines are the per-batch estimates, thick ones their moving average over ``smooth`` steps;
    the dots at the right end are the means on fresh evaluation batches.
    """
    if not runs:
        raise ValueError("give at least one fitted estimator")
    fig = Figure(figsize=(7.0, 3.6), layout="constrained")
    ax = fig.subplots()
    steps = 0
    for name, run in runs.items():
        colour = COLOURS.get(run.name, None)
        x = np.arange(1, len(run.curve) + 1)
        ax.plot(x, run.curve, color=colour, alpha=0.25, lw=0.7)
        smooth_curve = _smooth(run.curve, smooth)
        ax.plot(
            x[len(x) - len(smooth_curve) :], smooth_curve, color=colour, lw=1.8, label=f"{name} ({run.kind})"
        )
        ax.errorbar(len(x) * 1.03, run.mean, yerr=3 * run.stderr, color=colour, marker="o", capsize=3)
        steps = max(steps, len(x))
    ax.axhline(sampler.mi, color="black", lw=1.2, label=f"true I = {sampler.mi:.2f}")
    ax.axhline(math.log(batch_size), color="grey", ls=":", label=f"log N = {math.log(batch_size):.2f}")
    top = max(math.log(batch_size), sampler.mi) * 1.3
    if any(run.kind == "upper" for run in runs.values()):
        ax.axhline(sampler.club_value, color=COLOURS["club"], ls="--", lw=0.8, label="CLUB, exact q")
        top = max(top, sampler.club_value * 1.15)
    ax.set(xlabel="training step", ylabel="estimate (nats)", ylim=(min(-0.2, ax.get_ylim()[0]), top))
    ax.set_xlim(0, steps * 1.06)
    ax.set_title(f"d = {sampler.dim}, rho = {sampler.rho:.3f}, batch N = {batch_size}")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig


def plot_estimate_sweep(
    estimates: Mapping[str, Mapping[float, EstimateRun]], dim: int, batch_size: int
) -> Figure:
    """Final estimates (mean ± 3 standard errors) against the true MI, for several true values.

    Args:
        estimates: estimator name -> (true MI -> fitted run).
        dim: the Gaussians' dimension (for the title).
        batch_size: N, for the ``log N`` ceiling of InfoNCE.
    """
    if not estimates:
        raise ValueError("give at least one estimator's sweep")
    fig = Figure(figsize=(5.0, 3.6), layout="constrained")
    ax = fig.subplots()
    truths = sorted({mi for runs in estimates.values() for mi in runs})
    ax.plot(truths, truths, color="black", lw=1.2, label="truth")
    ax.axhline(math.log(batch_size), color="grey", ls=":", label=f"log N = {math.log(batch_size):.2f}")
    for name, runs in estimates.items():
        xs = sorted(runs)
        ax.errorbar(
            xs,
            [runs[x].mean for x in xs],
            yerr=[3 * runs[x].stderr for x in xs],
            marker="o",
            capsize=3,
            color=COLOURS.get(name),
            label=name,
        )
    ax.set(xlabel="true I(X; Y) (nats)", ylabel="estimate (nats)", title=f"d = {dim}, batch N = {batch_size}")
    ax.legend(fontsize=8)
    return fig
