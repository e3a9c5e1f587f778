"""TRFI: per-branch Gaussian posteriors and their integration (SDR_SPEC section 2.4;
book chapter 'The FTCN trunk, spatial perturbation branches and TRFI', section 'TRFI').

For each spatial perturbation branch ``k`` a posterior head ``g_k`` maps every temporal token
``H_k[t]`` (width ``C``) to a diagonal Gaussian ``N(mu_k[t], sigma_k[t]^2)`` in a ``D``-dimensional
latent space [A, after the Multi-View Information Bottleneck of Federici et al., ICLR 2020]:

    (mu_k, s_k) = g_k(H_k),   sigma_k = softplus(s_k) + 1e-7,   z_k = mu_k + sigma_k * eps.

The MI losses (``sdrlib.losses``) pull the K posteriors of one clip together, which removes what is
specific to one view; the integration then fuses the branches into one token sequence:

    Z = mean_k z_k  (default)   or   Z = sum_k (z_k / sigma_k^2) / sum_k (1 / sigma_k^2)  (precision),

followed by a linear projection ``D -> C`` to the temporal head's width. In training ``z_k`` are the
reparameterised samples (``fuse_samples=True``, as in MIB, so the classifier sees the bottleneck's
noise) or the means; in eval ``z_k = mu_k``, so ``Z`` is ``mean_k mu_k`` as SDR_SPEC 2.4/2.7 states.

The ``g_k`` are linear and held as one ``(K, C, 2D)`` weight so that all K heads run in one einsum.
``mu`` and ``sigma`` are returned in float32 (the KL terms of the losses need the precision).
"""

from __future__ import annotations

import math

import torch
from torch import nn

FUSIONS = ("mean", "precision")
SIGMA_FLOOR = 1e-7


class TRFI(nn.Module):
    """K Gaussian posterior heads, branch fusion and the projection to the head width.

    Args:
        num_branches: K.
        in_dim: token width ``C`` of the trunk.
        latent_dim: ``D``.
        out_dim: width of the fused tokens (the temporal head's width).
        fusion: ``"mean"`` or ``"precision"`` (precision-weighted).
        fuse_samples: fuse the samples ``z_k`` (True) or the means ``mu_k`` in training.

    Shape:
        tokens ``(B, K or 1, T', C)`` (1 = the same tokens for every head) ->
        mu, sigma, z ``(B, K, T', D)`` (float32), fused ``(B, T', out_dim)``.
    """

    def __init__(
        self,
        num_branches: int,
        in_dim: int,
        latent_dim: int,
        out_dim: int,
        fusion: str = "mean",
        fuse_samples: bool = True,
    ) -> None:
        super().__init__()
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}, got {fusion!r}")
        self.num_branches, self.latent_dim = num_branches, latent_dim
        self.fusion, self.fuse_samples = fusion, fuse_samples
        self.weight = nn.Parameter(torch.empty(num_branches, in_dim, 2 * latent_dim))
        self.bias = nn.Parameter(torch.zeros(num_branches, 2 * latent_dim))
        # Same scale as nn.Linear's default init, per branch.
        bound = 1.0 / math.sqrt(in_dim)
        nn.init.uniform_(self.weight, -bound, bound)
        self.proj = nn.Linear(latent_dim, out_dim)

    def posteriors(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, sigma)`` of every branch; ``tokens`` with a branch axis of 1 feed every head.

        Shape:
            tokens ``(B, K or 1, T', C)`` -> two ``(B, K, T', D)`` float32 tensors.
        """
        if tokens.dim() != 4 or tokens.shape[1] not in (1, self.num_branches):
            raise ValueError(
                f"TRFI expects tokens (B, {self.num_branches} or 1, T', C), got {tuple(tokens.shape)}"
            )
        tokens = tokens.expand(-1, self.num_branches, -1, -1)
        out = torch.einsum("bktc,kcd->bktd", tokens, self.weight.to(tokens.dtype))
        out = out.float() + self.bias[None, :, None, :]
        mu, raw = out.split(self.latent_dim, dim=-1)
        return mu, nn.functional.softplus(raw) + SIGMA_FLOOR

    def fuse(self, z: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """Integrate the K branches: mean or precision-weighted mean over the branch axis.

        Shape:
            z, sigma ``(B, K, T', D)`` -> ``(B, T', D)``.
        """
        if self.fusion == "mean":
            return z.mean(dim=1)
        precision = sigma.pow(-2)
        return (precision * z).sum(dim=1) / precision.sum(dim=1)

    def forward(
        self, tokens: torch.Tensor, sample: bool
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Posteriors, samples (``sample=True``) or means, and the fused, projected tokens.

        Shape:
            tokens ``(B, K or 1, T', C)`` -> mu, sigma, z ``(B, K, T', D)``, fused ``(B, T', out_dim)``.
        """
        mu, sigma = self.posteriors(tokens)
        z = mu + sigma * torch.randn_like(sigma) if sample else mu
        fused = self.fuse(z if self.fuse_samples else mu, sigma)
        return mu, sigma, z, self.proj(fused)
