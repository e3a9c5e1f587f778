"""Closed-form symmetric KL divergence between diagonal Gaussians (the TRFI regularizer).

SDR_SPEC section 2.4 (eq. 3); book chapter 'mutual information'.
"""

from __future__ import annotations

import torch

#: default floor on sigma: variances below 1e-8 would make 1/sigma^2 overflow-prone and the
#: gradient explode, and carry no information a posterior head needs.
MIN_SIGMA = 1e-4


def gaussian_symmetric_kl(
    mu_p: torch.Tensor,
    sigma_p: torch.Tensor,
    mu_q: torch.Tensor,
    sigma_q: torch.Tensor,
    min_sigma: float = MIN_SIGMA,
) -> torch.Tensor:
    """Elementwise ``1/2 [KL(p || q) + KL(q || p)]`` for ``p = N(mu_p, sigma_p^2)``, ``q = N(mu_q, sigma_q^2)``.

    The log terms of the two KLs cancel, leaving

    ``sKL = 1/4 [ (r + 1/r - 2) + (mu_p - mu_q)^2 (1/sigma_p^2 + 1/sigma_q^2) ]``,
    ``r = sigma_p^2 / sigma_q^2``.

    It is computed in log-variance, with ``r + 1/r - 2 = 4 sinh^2((log r) / 2)``, which has no
    cancellation and is exactly 0 for identical Gaussians. Sigmas are clamped to ``min_sigma``
    (their gradient is zero below it), so ``sigma -> 0`` gives large but finite values. Inputs of
    any float dtype (e.g. bf16 under autocast) are upcast; the result is float32. Sum the result
    over the last axis to get the KL between diagonal multivariate Gaussians.

    Args:
        mu_p, sigma_p: mean and standard deviation (> 0) of p.
        mu_q, sigma_q: mean and standard deviation (> 0) of q.
        min_sigma: floor applied to both standard deviations.

    Returns:
        Float32 tensor of per-element symmetric KLs (nats), ``>= 0``.

    Shape:
        All inputs broadcast together; the result has the broadcast shape.
    """
    tensors = (mu_p, sigma_p, mu_q, sigma_q)
    for name, t in zip(("mu_p", "sigma_p", "mu_q", "sigma_q"), tensors, strict=True):
        if not torch.is_tensor(t) or not torch.is_floating_point(t):
            raise TypeError(f"{name} must be a floating-point tensor, got {type(t).__name__}")
    if not min_sigma > 0:
        raise ValueError(f"min_sigma must be > 0, got {min_sigma!r}")
    # Elementwise ops on float32 tensors stay float32 under autocast, so upcasting is enough.
    mu_p, sigma_p, mu_q, sigma_q = (t.float() for t in tensors)
    log_var_p = 2.0 * torch.log(sigma_p.clamp_min(min_sigma))
    log_var_q = 2.0 * torch.log(sigma_q.clamp_min(min_sigma))
    variance_term = 4.0 * torch.sinh(0.5 * (log_var_p - log_var_q)).square()
    mean_term = (mu_p - mu_q).square() * (torch.exp(-log_var_p) + torch.exp(-log_var_q))
    return 0.25 * (variance_term + mean_term)
