"""Variational bounds on mutual information, evaluated on a precomputed score matrix.

Every function here takes a square score matrix ``scores[i, j] = f(x_i, y_j)`` produced by some
critic ``f`` on a batch of ``N`` joint samples ``(x_i, y_i) ~ p(x, y)``: the diagonal holds the
joint pairs, the ``N (N - 1)`` off-diagonal entries stand in for samples of the product of
marginals ``p(x) p(y)``. Keeping the bounds separate from the critics lets one formula serve the
learned estimators of :mod:`sdrlib.mi.estimators` and the cross-branch contrastive loss (whose
"critic" is a cosine similarity divided by a temperature). All values are in nats and computed in
float32 whatever the input dtype. SDR_SPEC section 2.4; book chapter 'mutual information'.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def check_scores(scores: torch.Tensor, min_batch: int = 1) -> torch.Tensor:
    """Validate a square score matrix and return it as float32.

    Raises:
        TypeError: ``scores`` is not a floating-point tensor.
        ValueError: ``scores`` is not ``(N, N)`` or ``N < min_batch``.
    """
    if not torch.is_tensor(scores) or not torch.is_floating_point(scores):
        raise TypeError(f"scores must be a floating-point tensor, got {type(scores).__name__}")
    if scores.dim() != 2 or scores.shape[0] != scores.shape[1]:
        raise ValueError(
            f"scores must be a square (N, N) matrix of critic values, got shape {tuple(scores.shape)}"
        )
    if scores.shape[0] < min_batch:
        raise ValueError(
            f"this bound needs a batch of at least {min_batch} samples (negatives come from the "
            f"other samples), got N = {scores.shape[0]}"
        )
    return scores.float()


def off_diagonal(scores: torch.Tensor) -> torch.Tensor:
    """The ``N (N - 1)`` off-diagonal entries of a square matrix, without a boolean mask.

    Dropping the first element and viewing the rest as ``(N - 1, N + 1)`` puts every diagonal
    element in the last column; a boolean mask would force a host-device sync on accelerators.

    Shape:
        scores: ``(N, N)``; returns ``(N - 1, N)``.
    """
    n = scores.shape[0]
    return scores.flatten()[1:].view(n - 1, n + 1)[:, :-1]


def _log_mean_exp(values: torch.Tensor) -> torch.Tensor:
    return torch.logsumexp(values.flatten(), dim=0) - math.log(values.numel())


def infonce_lower_bound(scores: torch.Tensor, symmetric: bool = False) -> torch.Tensor:
    """InfoNCE (van den Oord et al. 2018; Poole et al. 2019) lower bound on I(X; Y).

    ``I_NCE = 1/N sum_i [ f(x_i, y_i) - log( 1/N sum_j exp f(x_i, y_j) ) ] <= I(X; Y)``

    The bound can never exceed ``log N`` (each term is ``log N`` minus a cross-entropy), so it is
    tight only when the true MI is well below ``log N``. ``log N - I_NCE`` is the usual InfoNCE
    cross-entropy loss. With ``symmetric=True`` the row-wise (x anchors) and column-wise (y anchors)
    bounds are averaged, as in CLIP-style contrastive losses. ``N = 1`` gives exactly 0.

    Args:
        scores: critic values, ``scores[i, j] = f(x_i, y_j)``.
        symmetric: also use every ``y_j`` as an anchor and average the two bounds.

    Returns:
        Scalar float32 tensor in nats, ``<= log N``.

    Shape:
        scores: ``(N, N)``.
    """
    scores = check_scores(scores)
    n = scores.shape[0]
    diag = scores.diagonal()
    rows = (diag - torch.logsumexp(scores, dim=1)).mean()
    if symmetric:
        cols = (diag - torch.logsumexp(scores, dim=0)).mean()
        rows = 0.5 * (rows + cols)
    return rows + math.log(n)


def nwj_lower_bound(scores: torch.Tensor) -> torch.Tensor:
    """NWJ / f-divergence (Nguyen, Wainwright and Jordan 2010) lower bound on I(X; Y).

    ``I_NWJ = E_p(x,y)[f(x, y)] - e^{-1} E_p(x)p(y)[exp f(x, y)] <= I(X; Y)``

    It holds for every critic and its batch estimate is unbiased; the optimum is
    ``f* = 1 + log p(x, y) / (p(x) p(y))``, where it is tight. Its variance grows like ``exp(I)``,
    so it is practical for moderate MI only.

    Returns:
        Scalar float32 tensor in nats.

    Shape:
        scores: ``(N, N)`` with ``N >= 2``.
    """
    scores = check_scores(scores, min_batch=2)
    return scores.diagonal().mean() - torch.exp(_log_mean_exp(off_diagonal(scores)) - 1.0)


def dv_lower_bound(scores: torch.Tensor) -> torch.Tensor:
    """Donsker-Varadhan (MINE, Belghazi et al. 2018) form.

    ``I_DV = E_p(x,y)[f(x, y)] - log E_p(x)p(y)[exp f(x, y)]``

    The population value lower-bounds I(X; Y) and is at least as tight as NWJ for the same critic
    (it is invariant to adding a constant to ``f``), but the batch estimate is biased upwards
    (the log of a sample mean), so a single batch value is *not* a guaranteed lower bound.

    Returns:
        Scalar float32 tensor in nats.

    Shape:
        scores: ``(N, N)`` with ``N >= 2``.
    """
    scores = check_scores(scores, min_batch=2)
    return scores.diagonal().mean() - _log_mean_exp(off_diagonal(scores))


def jsd_objective(scores: torch.Tensor) -> torch.Tensor:
    """Jensen-Shannon (f-GAN / Deep InfoMax, Hjelm et al. 2019) critic objective.

    ``J = E_p(x,y)[-softplus(-T(x, y))] - E_p(x)p(y)[softplus(T(x, y))]``

    ``J <= 2 JSD(p(x, y) || p(x) p(y)) - 2 log 2``: a stable objective for *maximizing* MI (JSD
    is monotone in MI for many families) but not a bound on MI itself, and not in nats of MI.
    Its optimal critic is ``T* = log p(x, y) / (p(x) p(y))``, so an MI estimate is read out with
    the NWJ form on ``T + 1`` (what :class:`sdrlib.mi.estimators.JSD` reports), which is a valid
    lower bound for any ``T``.

    Returns:
        Scalar float32 tensor (always ``< 0``).

    Shape:
        scores: ``(N, N)`` with ``N >= 2``.
    """
    scores = check_scores(scores, min_batch=2)
    joint = -F.softplus(-scores.diagonal()).mean()
    marginal = F.softplus(off_diagonal(scores)).mean()
    return joint - marginal


def club_upper_bound(log_q: torch.Tensor) -> torch.Tensor:
    """CLUB (contrastive log-ratio upper bound, Cheng et al. 2020) on I(X; Y).

    ``I_CLUB = E_p(x,y)[log q(y | x)] - E_p(x)p(y)[log q(y | x)] >= I(X; Y)``

    The inequality holds when ``q(y | x)`` equals the true conditional ``p(y | x)`` (and
    approximately when ``q`` is a good fit, which is why :class:`sdrlib.mi.estimators.CLUB`
    trains ``q`` by log-likelihood). The gap is ``E_p(x)[KL(p(y) || p(y | x))]``, large when X
    and Y are strongly dependent. Negatives are the off-diagonal pairs (an unbiased estimate of
    the second expectation; the original paper also includes ``j = i``).

    Args:
        log_q: ``log_q[i, j] = log q(y_j | x_i)``.

    Returns:
        Scalar float32 tensor in nats.

    Shape:
        log_q: ``(N, N)`` with ``N >= 2``.
    """
    log_q = check_scores(log_q, min_batch=2)
    return log_q.diagonal().mean() - off_diagonal(log_q).mean()
