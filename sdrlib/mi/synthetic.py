"""Correlated Gaussians with known mutual information, to check MI estimators against the truth.

``X ~ N(0, I_d)`` and ``Y = rho X + sqrt(1 - rho^2) E`` with ``E ~ N(0, I_d)`` independent, so each
of the ``d`` coordinate pairs has correlation ``rho`` and ``I(X; Y) = -d/2 log(1 - rho^2)``.
Book chapter 'mutual information' (the estimator playground) and the tests of :mod:`sdrlib.mi`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class CorrelatedGaussian:
    """Sampler of ``(X, Y)`` pairs with analytic MI (see the module docstring).

    Args:
        dim: dimension ``d`` of X and of Y.
        rho: per-coordinate correlation, ``|rho| < 1``.
    """

    dim: int
    rho: float

    def __post_init__(self) -> None:
        if isinstance(self.dim, bool) or not isinstance(self.dim, int) or self.dim < 1:
            raise ValueError(f"dim must be a positive integer, got {self.dim!r}")
        if not isinstance(self.rho, (int, float)) or not -1.0 < self.rho < 1.0:
            raise ValueError(f"rho must be a number in (-1, 1) (|rho| = 1 has infinite MI), got {self.rho!r}")

    @classmethod
    def from_mi(cls, mi: float, dim: int) -> CorrelatedGaussian:
        """The sampler of dimension ``dim`` whose true MI is ``mi`` nats (``rho >= 0``)."""
        if not isinstance(mi, (int, float)) or not math.isfinite(mi) or mi < 0:
            raise ValueError(f"mi must be a finite number >= 0 (nats), got {mi!r}")
        return cls(dim=dim, rho=math.sqrt(-math.expm1(-2.0 * mi / dim)))

    @property
    def mi(self) -> float:
        """True ``I(X; Y) = -d/2 log(1 - rho^2)`` in nats."""
        return -0.5 * self.dim * math.log1p(-(self.rho**2))

    @property
    def club_value(self) -> float:
        """Population value of CLUB with the exact conditional ``q = p(y | x)``: ``d rho^2 / (1 - rho^2)``.

        It equals ``I + E_x KL(p(y) || p(y | x))``, so CLUB's gap above the truth is known.
        """
        return self.dim * self.rho**2 / (1.0 - self.rho**2)

    def sample(
        self, batch_size: int, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw ``batch_size`` joint samples (float32, CPU); deterministic for a seeded ``generator``.

        Shape:
            returns x ``(batch_size, dim)``, y ``(batch_size, dim)``.
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        noise = torch.randn(2, batch_size, self.dim, generator=generator)
        x = noise[0]
        y = self.rho * x + math.sqrt(1.0 - self.rho**2) * noise[1]
        return x, y

    __call__ = sample

    def log_density_ratio(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The optimal critic: ``[i, j] = log p(y_j | x_i) / p(y_j)``, whose joint mean is the MI.

        Shape:
            x: ``(N, dim)``; y: ``(N, dim)``; returns ``(N, N)``.
        """
        one_minus = 1.0 - self.rho**2
        resid = y.unsqueeze(0) - self.rho * x.unsqueeze(1)
        per_dim = (
            -0.5 * math.log(one_minus) - resid.square() / (2.0 * one_minus) + 0.5 * y.unsqueeze(0).square()
        )
        return per_dim.sum(-1)
