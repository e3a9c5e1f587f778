"""What every TPA op shares: the input check, per-clip random parameters, luma, the frame view.

Book chapter 'TPA'. The studies of trained models (:mod:`sdrlib.studies`) reuse the frame view and
the fixed blur for their test-time corruptions.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torchvision.transforms.v2 import functional as TF

Op = Callable[[torch.Tensor, float, "torch.Generator | None"], torch.Tensor]

#: luma weights of ITU-R BT.601 (the Y row of YIQ; torchvision's grayscale uses the same).
_LUMA = (0.299, 0.587, 0.114)


def check_clips(x: torch.Tensor, strength: float) -> None:
    """Raise a clear error unless ``x`` is a float ``(B, 3, T, H, W)`` batch and ``strength`` in [0, 1]."""
    if not torch.is_tensor(x) or not torch.is_floating_point(x):
        raise TypeError(
            f"TPA ops take float clips in [0, 1], got {type(x).__name__} {getattr(x, 'dtype', '')}"
        )
    if x.dim() != 5 or x.shape[1] != 3:
        raise ValueError(f"TPA ops take clips of shape (B, 3, T, H, W), got {tuple(x.shape)}")
    if not 0.0 <= float(strength) <= 1.0:
        raise ValueError(f"TPA strength must be in [0, 1], got {strength}")


def uniform(
    shape: tuple[int, ...], low: float, high: float, x: torch.Tensor, generator: torch.Generator | None
) -> torch.Tensor:
    """``U(low, high)`` samples of ``shape`` in float32 on ``x``'s device."""
    device = generator.device if generator is not None else x.device
    u = torch.rand(shape, generator=generator, device=device, dtype=torch.float32)
    return (low + (high - low) * u).to(x.device)


def per_clip(values: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``(B,)`` parameters -> ``(B, 1, 1, 1, 1)`` in ``x``'s dtype, ready to broadcast."""
    return values.to(x.dtype).view(-1, 1, 1, 1, 1)


def luma(x: torch.Tensor) -> torch.Tensor:
    """BT.601 luma of clips ``(B, 3, T, H, W)`` -> ``(B, 1, T, H, W)``."""
    weights = torch.tensor(_LUMA, dtype=x.dtype, device=x.device).view(1, 3, 1, 1, 1)
    return (x * weights).sum(dim=1, keepdim=True)


def as_frames(x: torch.Tensor) -> torch.Tensor:
    """``(B, 3, T, H, W)`` -> ``(B * T, 3, H, W)``."""
    b, c, t, h, w = x.shape
    return x.transpose(1, 2).reshape(b * t, c, h, w)


def from_frames(frames: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`as_frames` for a batch shaped like ``like``."""
    b, c, t, h, w = like.shape
    return frames.reshape(b, t, c, h, w).transpose(1, 2).contiguous()


def blur_frames(x: torch.Tensor, sigma: float, kernel_size: int) -> torch.Tensor:
    """Gaussian blur of every frame with one fixed sigma (torchvision's reflect-padded kernel),
    clamped to [0, 1].

    The kernel is cut to what reflect padding allows (at most ``2 (side - 1) + 1``); a kernel
    under 3 taps leaves the clip unchanged. TPA's own ``gaussian_blur`` draws one sigma per clip
    instead and runs as one batched depthwise convolution.

    Shape:
        x: ``(B, 3, T, H, W)`` float in [0, 1] -> same.
    """
    size = min(int(kernel_size), 2 * (min(x.shape[-2:]) - 1) + 1)
    if size < 3:
        return x.clone()
    frames = TF.gaussian_blur(as_frames(x), kernel_size=[size, size], sigma=[sigma, sigma])
    return from_frames(frames, x).clamp(0.0, 1.0)
