"""How sure is an AUC? Bootstrap intervals over test videos and training seeds, paired differences.

A video-level AUC is computed on a finite set of test videos by a model trained with one seed, so
it varies with both. The intervals here come from a two-level (hierarchical) percentile bootstrap
(Efron & Tibshirani 1993, ch. 13; for nested data Saravanan et al. 2020): each replicate draws the
seeds with replacement and, independently, the test videos with replacement **within each stratum
of (domain, label)**, so every replicate keeps the numbers of reals and fakes of every domain (the
usual stratified bootstrap of an AUC). An AUC is then the mean over the drawn seeds of each seed's
AUC on the drawn videos. A difference between two methods is *paired*: both use the same drawn
videos and the same drawn seed positions in every replicate, so what the two share (which videos
are hard) cancels, as in DeLong's test (DeLong et al. 1988) for one seed.

The weighted AUC is the Mann-Whitney statistic with multiplicities: a drawn video counts as many
times as it was drawn, ties count one half. Everything is vectorised over replicates, so 2000
replicates of a table cost well under a second. Book chapter 'Table 2', section 'How sure is a
number'.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Replicates of every interval; percentile intervals at 95 %.
N_BOOT = 2000
LEVEL = 0.95


def stratified_counts(strata: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """How often each item is drawn in each replicate, resampling within every stratum.

    Args:
        strata: one stratum label per item, ``(n,)``.

    Returns:
        ``(n_boot, n)`` integer counts; every row sums, within each stratum, to its size.
    """
    strata = np.asarray(strata)
    counts = np.zeros((n_boot, len(strata)), dtype=np.int32)
    for value in np.unique(strata):
        members = np.flatnonzero(strata == value)
        draws = rng.integers(0, len(members), size=(n_boot, len(members)))
        np.add.at(counts, (np.arange(n_boot)[:, None], members[draws]), 1)
    return counts


def weighted_auc(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """AUC (probability that a fake outscores a real, ties one half) with per-item multiplicities.

    Args:
        scores: ``(n,)`` scores, higher = fake.
        labels: ``(n,)`` 1 = fake, 0 = real.
        weights: ``(B, n)`` multiplicities (e.g. :func:`stratified_counts`); ``None`` = all ones.

    Returns:
        ``(B,)`` AUCs (``(1,)`` without weights); NaN where a class has no weight.
    """
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels).astype(bool)
    weights = np.ones((1, len(scores))) if weights is None else np.asarray(weights, dtype=float)
    real_order = np.argsort(scores[~labels], kind="stable")
    real_scores = scores[~labels][real_order]
    real_weights = weights[:, ~labels][:, real_order]
    fake_scores, fake_weights = scores[labels], weights[:, labels]
    cumulative = np.concatenate([np.zeros((len(weights), 1)), real_weights.cumsum(axis=1)], axis=1)
    below = cumulative[:, np.searchsorted(real_scores, fake_scores, side="left")]
    up_to = cumulative[:, np.searchsorted(real_scores, fake_scores, side="right")]
    wins = (fake_weights * (below + 0.5 * (up_to - below))).sum(axis=1)
    pairs = fake_weights.sum(axis=1) * real_weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, wins / pairs, np.nan)


@dataclass(frozen=True)
class Interval:
    """A point estimate and its percentile interval (same units)."""

    value: float
    low: float
    high: float

    def covers(self, x: float) -> bool:
        return bool(self.low <= x <= self.high)

    def as_list(self) -> list[float]:
        return [self.low, self.high]


def percentile_interval(value: float, replicates: np.ndarray, level: float = LEVEL) -> Interval:
    """``value`` with the ``level`` percentile interval of ``replicates`` (NaNs dropped)."""
    finite = replicates[np.isfinite(replicates)]
    if not np.isfinite(value) or finite.size == 0:
        return Interval(float(value), float("nan"), float("nan"))
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(finite, [tail, 100 - tail])
    return Interval(float(value), float(low), float(high))


def seed_positions(n_seeds: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_boot, n_seeds)`` indices of the seeds drawn (with replacement) in each replicate."""
    return rng.integers(0, n_seeds, size=(n_boot, n_seeds))


def mean_over_drawn_seeds(per_seed: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Average of ``per_seed[s, r]`` over the seeds drawn in replicate ``r``.

    Shape:
        per_seed ``(S, B)``, positions ``(B, S)`` -> ``(B,)``.
    """
    return per_seed[positions, np.arange(per_seed.shape[1])[:, None]].mean(axis=1)


def format_interval(interval: Interval, scale: float = 100.0, digits: int = 1) -> str:
    """``"84.3 [78.1, 90.2]"`` (scaled, e.g. AUC fractions to %); ``"n/a"`` without a value."""
    if not np.isfinite(interval.value):
        return "n/a"
    value = f"{scale * interval.value:.{digits}f}"
    if not (np.isfinite(interval.low) and np.isfinite(interval.high)):
        return value
    return f"{value} [{scale * interval.low:.{digits}f}, {scale * interval.high:.{digits}f}]"


def distinguishable(interval: Interval) -> bool:
    """Whether a difference's interval excludes zero."""
    return bool(np.isfinite(interval.low) and (interval.low > 0 or interval.high < 0))


def describe_difference(interval: Interval, scale: float = 100.0) -> str:
    """``"+3.2 [-1.0, +7.5]: not distinguishable from zero"`` (points), for the chapters' prose."""
    text = (
        f"{scale * interval.value:+.1f} [{scale * interval.low:+.1f}, {scale * interval.high:+.1f}]"
        if np.isfinite(interval.low)
        else f"{scale * interval.value:+.1f}"
    )
    return text + ("" if distinguishable(interval) else ": not distinguishable from zero")
