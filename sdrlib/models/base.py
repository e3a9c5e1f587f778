"""The uniform model API shared by every detector in the registry.

Every model takes ImageNet-normalized float clips ``(B, 3, T, H, W)`` and implements
``forward_features(x)`` (the backbone), ``forward_head(features)`` (pooling, temporal head, logit)
and ``forward(x) = forward_head(forward_features(x))``, as in timm. ``forward`` always returns a
:class:`ModelOutput`, so the engine treats all models alike; SDR fills the extra fields its losses
need (SDR_SPEC section 2.4), the baselines leave them ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class ModelOutput:
    """What a forward pass returns.

    Attributes:
        logit: fake logit per clip (label 1 = fake).
        mu: SDR only: posterior means of the K branches.
        sigma: SDR only: posterior standard deviations of the K branches (> 0).
        z: SDR only: reparameterised samples ``mu + sigma * eps`` (equal to ``mu`` in eval mode).
        tokens: the temporal tokens fed to the temporal head (after TRFI integration for SDR).

    Shape:
        logit: ``(B,)``; mu, sigma, z: ``(B, K, T', D)``; tokens: ``(B, T', C)``.
    """

    logit: torch.Tensor
    mu: torch.Tensor | None = None
    sigma: torch.Tensor | None = None
    z: torch.Tensor | None = None
    tokens: torch.Tensor | None = None


class VideoModel(nn.Module):
    """Base class of every registered detector (see the module docstring for the API)."""

    #: number of frames and spatial size the model is configured for (used by benchmarks/CLI).
    num_frames: int = 32
    input_size: int = 224

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward_head(self, features: torch.Tensor) -> ModelOutput:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> ModelOutput:
        check_input(x)
        return self.forward_head(self.forward_features(x))

    def to_channels_last(self) -> VideoModel:
        """Put 5D weights in ``channels_last_3d`` and 4D weights (2D models) in ``channels_last``.

        ``model.to(memory_format=torch.channels_last_3d)`` fails on models with 2D convs
        (``frame2d``); this works for every registered model. Feed input made with
        ``clips_to_input(..., channels_last=True)``.
        """
        formats = {5: torch.channels_last_3d, 4: torch.channels_last}
        for param in self.parameters():
            if param.dim() in formats:
                # ``empty_like`` spells the channels-last strides out even for 1x1x1 kernels, whose
                # two layouts coincide in memory (``contiguous`` would keep the NCDHW strides): their
                # gradients come back with those strides, so DDP's buckets, built from the
                # parameters' strides, match them (no "grad strides do not match" copies).
                fmt = formats[param.dim()]
                param.data = torch.empty_like(param.data, memory_format=fmt).copy_(param.data)
        return self


def check_input(x: torch.Tensor) -> None:
    """Reject anything that is not a float ``(B, 3, T, H, W)`` clip batch, with a clear message."""
    if not torch.is_tensor(x):
        raise TypeError(f"model input must be a tensor, got {type(x).__name__}")
    if x.dim() != 5 or x.shape[1] != 3:
        raise ValueError(
            f"model input must be (B, 3, T, H, W) float clips, got shape {tuple(x.shape)}; "
            "use sdrlib.data.clips_to_input() to convert uint8 (B, T, H, W, 3) clips"
        )
    if not torch.is_floating_point(x):
        raise TypeError(f"model input must be float (ImageNet-normalized), got {x.dtype}")
