"""Fit an MI estimator on a sampler and read its estimate (book chapter 'mutual information').

A *sampler* is any callable ``sampler(batch_size, generator) -> (x, y)`` returning joint samples,
such as :class:`sdrlib.mi.synthetic.CorrelatedGaussian`. Both helpers draw their batches from a
generator seeded with ``seed``, so a seeded estimator gives the same curve on every run.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from tqdm.auto import tqdm

from sdrlib.mi.estimators import MIEstimator

Sampler = Callable[[int, torch.Generator], tuple[torch.Tensor, torch.Tensor]]


def _check_common(estimator: MIEstimator, batch_size: int) -> torch.device:
    if not isinstance(estimator, MIEstimator):
        raise TypeError(f"estimator must be an sdrlib.mi MIEstimator, got {type(estimator).__name__}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 2:
        raise ValueError(
            f"batch_size must be an integer >= 2 (negatives come from the batch), got {batch_size!r}"
        )
    params = list(estimator.parameters())
    if not params:
        raise ValueError("estimator has no trainable parameters")
    return params[0].device


def fit_estimator(
    estimator: MIEstimator,
    sampler: Sampler,
    steps: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = True,
) -> list[float]:
    """Train ``estimator`` with Adam on fresh batches and return its estimate at every step.

    Each step draws a batch, records ``estimator(x, y).mi`` (before the update) and takes one
    optimizer step on ``estimator(x, y).loss``. The curve is the training-batch estimate, noisy by
    nature; use :func:`evaluate_estimator` for a final figure.

    Args:
        estimator: an :class:`sdrlib.mi.estimators.MIEstimator`, modified in place.
        sampler: ``sampler(batch_size, generator) -> (x, y)``.
        steps: number of optimizer steps.
        batch_size: samples per batch (>= 2).
        lr: Adam learning rate.
        seed: seed of the generator that draws the batches.
        progress: show a tqdm progress bar.

    Returns:
        ``steps`` MI estimates in nats.
    """
    device = _check_common(estimator, batch_size)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(estimator.parameters(), lr=lr)
    estimator.train()
    curve: list[float] = []
    for _ in tqdm(range(steps), desc=f"fit {type(estimator).__name__}", disable=not progress):
        x, y = sampler(batch_size, generator)
        out = estimator(x.to(device), y.to(device))
        optimizer.zero_grad(set_to_none=True)
        out.loss.backward()
        optimizer.step()
        curve.append(float(out.mi.detach()))
    return curve


@torch.no_grad()
def evaluate_estimator(
    estimator: MIEstimator,
    sampler: Sampler,
    num_batches: int = 20,
    batch_size: int = 128,
    seed: int = 1,
) -> torch.Tensor:
    """The estimate on ``num_batches`` fresh batches, without training.

    Report the mean; ``std / sqrt(num_batches)`` is its standard error.

    Returns:
        Float32 tensor of per-batch estimates in nats.

    Shape:
        returns ``(num_batches,)``.
    """
    device = _check_common(estimator, batch_size)
    if isinstance(num_batches, bool) or not isinstance(num_batches, int) or num_batches < 1:
        raise ValueError(f"num_batches must be a positive integer, got {num_batches!r}")
    generator = torch.Generator().manual_seed(seed)
    was_training = estimator.training
    estimator.eval()
    try:
        values = []
        for _ in range(num_batches):
            x, y = sampler(batch_size, generator)
            values.append(estimator(x.to(device), y.to(device)).mi.float())
    finally:
        estimator.train(was_training)
    return torch.stack(values).cpu()
