"""The one place where uint8 clips become model input (and back).

Clips travel as uint8 ``(B, T, H, W, 3)`` from disk through the DataLoader (four times less memory
and host-to-device traffic than float); they become ImageNet-normalized float ``(B, 3, T, H, W)`` on
the device, as FTCN expects (SDR_SPEC section 4: "RGB 0..255 normalized with ImageNet mean/std").
"""

from __future__ import annotations

import functools

import torch

IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)


@functools.lru_cache(maxsize=16)
def _stats_on(device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    # made once per device and dtype: no host-to-device copy in every training step
    # Normal tensors even when the first call runs under inference_mode: inference tensors kept in
    # the cache would break a later call that needs gradients.
    shape = (1, 3, 1, 1, 1)
    with torch.inference_mode(False), torch.no_grad():
        mean = torch.tensor(IMAGENET_MEAN, device=device, dtype=dtype).view(shape)
        std = torch.tensor(IMAGENET_STD, device=device, dtype=dtype).view(shape)
    return mean, std


def _stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if torch.compiler.is_compiling():  # let the compiler fold fresh constants into the graph
        return _stats_on.__wrapped__(x.device, x.dtype)
    return _stats_on(x.device, x.dtype)


def clips_to_input(
    clips: torch.Tensor,
    device: torch.device | str | None = None,
    channels_last: bool = False,
    non_blocking: bool = True,
) -> torch.Tensor:
    """uint8 clips -> ImageNet-normalized float model input on ``device``.

    Args:
        clips: uint8 tensor ``(B, T, H, W, 3)`` (or ``(T, H, W, 3)`` for one clip).
        device: where the model runs; the uint8 tensor is moved first, then converted.
        channels_last: return ``torch.channels_last_3d`` memory format (faster 3D convs on GPU).

    Shape:
        clips: ``(B, T, H, W, 3)`` uint8 -> ``(B, 3, T, H, W)`` float32.
    """
    if clips.dtype != torch.uint8:
        raise TypeError(f"clips must be uint8 (T, H, W, 3) frames, got dtype {clips.dtype}")
    if clips.dim() == 4:
        clips = clips.unsqueeze(0)
    if clips.dim() != 5 or clips.shape[-1] != 3:
        raise ValueError(f"clips must have shape (B, T, H, W, 3), got {tuple(clips.shape)}")
    if device is not None:
        clips = clips.to(device, non_blocking=non_blocking)
    x = clips.permute(0, 4, 1, 2, 3).float().div_(255.0)
    mean, std = _stats(x)
    x = (x - mean) / std
    if channels_last:
        return x.contiguous(memory_format=torch.channels_last_3d)
    return x.contiguous()


def normalize(x01: torch.Tensor) -> torch.Tensor:
    """Float clips in [0, 1], ``(B, 3, T, H, W)`` -> ImageNet-normalized."""
    mean, std = _stats(x01)
    return (x01 - mean) / std


def denormalize(x: torch.Tensor) -> torch.Tensor:
    """ImageNet-normalized ``(B, 3, T, H, W)`` -> float clips in [0, 1] (not clamped)."""
    mean, std = _stats(x)
    return x * std + mean
