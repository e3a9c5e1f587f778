"""Critics ``f(x, y)`` that score every pair of a batch, for the bounds in :mod:`sdrlib.mi.bounds`.

A critic maps ``x (N, dx)`` and ``y (N, dy)`` to the full score matrix ``(N, N)``. Two families
(Poole et al. 2019): a *separable* critic ``g(x)^T h(y)`` needs one encoder pass per sample and a
matrix product, so it scales to large batches; a *concat* critic ``m([x; y])`` is more expressive
but evaluates an MLP on all ``N^2`` pairs. SDR_SPEC section 2.4; book chapter 'mutual information'.
"""

from __future__ import annotations

import torch
from torch import nn


def mlp(in_dim: int, hidden_dim: int, out_dim: int, num_layers: int) -> nn.Sequential:
    """``num_layers`` hidden ReLU layers of width ``hidden_dim``, then a linear output.

    ``num_layers = 0`` gives a single linear map.
    """
    for name, value in (("in_dim", in_dim), ("hidden_dim", hidden_dim), ("out_dim", out_dim)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not isinstance(num_layers, int) or num_layers < 0:
        raise ValueError(f"num_layers must be a non-negative integer, got {num_layers!r}")
    layers: list[nn.Module] = []
    width = in_dim
    for _ in range(num_layers):
        layers += [nn.Linear(width, hidden_dim), nn.ReLU()]
        width = hidden_dim
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)


def check_pair(x: torch.Tensor, y: torch.Tensor) -> None:
    """Reject anything but two float batches ``(N, dx)``, ``(N, dy)`` with the same ``N``."""
    for name, t in (("x", x), ("y", y)):
        if not torch.is_tensor(t) or not torch.is_floating_point(t):
            raise TypeError(f"{name} must be a floating-point tensor, got {type(t).__name__}")
        if t.dim() != 2:
            raise ValueError(f"{name} must be a (N, dim) batch, got shape {tuple(t.shape)}")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must hold the same number of samples, got {x.shape[0]} and {y.shape[0]}")


class SeparableCritic(nn.Module):
    """Separable critic ``f(x, y) = g(x)^T h(y)`` with MLP encoders ``g`` and ``h``.

    With ``num_layers = 0`` the encoders are linear and the critic is bilinear, ``x^T A y``.

    Args:
        x_dim: dimension of x.
        y_dim: dimension of y.
        embed_dim: dimension of the shared embedding space.
        hidden_dim: width of the hidden layers.
        num_layers: hidden layers per encoder.

    Shape:
        x: ``(N, x_dim)``; y: ``(N, y_dim)``; returns ``(N, N)``.
    """

    def __init__(
        self, x_dim: int, y_dim: int, embed_dim: int = 32, hidden_dim: int = 64, num_layers: int = 1
    ):
        super().__init__()
        self.g = mlp(x_dim, hidden_dim, embed_dim, num_layers)
        self.h = mlp(y_dim, hidden_dim, embed_dim, num_layers)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        check_pair(x, y)
        return self.g(x) @ self.h(y).transpose(0, 1)


class ConcatCritic(nn.Module):
    """Joint critic ``f(x, y) = m([x; y])``: an MLP on the concatenation, evaluated on all pairs.

    The first layer is linear in ``[x; y]``, so it is computed as ``A x_i + B y_j`` from one pass
    per sample and a broadcast sum, instead of materializing the ``N^2`` concatenated pairs.

    Args:
        x_dim: dimension of x.
        y_dim: dimension of y.
        hidden_dim: width of the hidden layers.
        num_layers: hidden layers (at least 1, else the critic is additive and useless).

    Shape:
        x: ``(N, x_dim)``; y: ``(N, y_dim)``; returns ``(N, N)``.
    """

    def __init__(self, x_dim: int, y_dim: int, hidden_dim: int = 64, num_layers: int = 2):
        super().__init__()
        if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(
                f"ConcatCritic needs num_layers >= 1 (a linear critic of [x; y] is additive), got {num_layers!r}"
            )
        self.x_in = mlp(x_dim, hidden_dim, hidden_dim, 0)
        self.y_in = nn.Linear(y_dim, hidden_dim, bias=False)
        self.rest = nn.Sequential(nn.ReLU(), mlp(hidden_dim, hidden_dim, 1, num_layers - 1))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        check_pair(x, y)
        first = self.x_in(x).unsqueeze(1) + self.y_in(y).unsqueeze(0)
        return self.rest(first).squeeze(-1)
