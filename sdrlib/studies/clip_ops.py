"""Deterministic clip operations shared by the studies' test-time transforms.

The diagnostic (:mod:`~sdrlib.studies.diagnose`) and the robustness study
(:mod:`~sdrlib.studies.robustness`) both corrupt every frame of a clip the same way; the frame view
of a clip batch and the fixed Gaussian blur live here once. TPA's blur
(:func:`sdrlib.augment.ops.gaussian_blur`) differs on purpose: it draws one random sigma per clip
and runs as a batched depthwise convolution inside training.
"""

from __future__ import annotations

import torch
from torchvision.transforms.v2 import functional as TF


def as_frames(x: torch.Tensor) -> torch.Tensor:
    """``(B, 3, T, H, W)`` -> ``(B * T, 3, H, W)``."""
    b, c, t, h, w = x.shape
    return x.transpose(1, 2).reshape(b * t, c, h, w)


def from_frames(frames: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`as_frames` for a batch shaped like ``like``."""
    b, c, t, h, w = like.shape
    return frames.reshape(b, t, c, h, w).transpose(1, 2).contiguous()


def blur_frames(x: torch.Tensor, sigma: float, kernel_size: int) -> torch.Tensor:
    """Gaussian blur of every frame with torchvision's reflect-padded kernel, clamped to [0, 1].

    The kernel is cut to what reflect padding allows (at most ``2 (side - 1) + 1``); a kernel
    under 3 taps leaves the clip unchanged.

    Shape:
        x: ``(B, 3, T, H, W)`` float in [0, 1] -> same.
    """
    size = min(int(kernel_size), 2 * (min(x.shape[-2:]) - 1) + 1)
    if size < 3:
        return x.clone()
    frames = TF.gaussian_blur(as_frames(x), kernel_size=[size, size], sigma=[sigma, sigma])
    return from_frames(frames, x).clamp(0.0, 1.0)
