"""The temporally-preserving perturbations of TPA (SDR_SPEC section 2.1; book chapter 'TPA').

Every op maps a batch of clips ``(B, 3, T, H, W)`` with values in [0, 1] to a perturbed batch of the
same shape, dtype and device. Its random parameters are drawn **once per clip** (so different clips
get different parameters) and applied to **every frame** of that clip, so the perturbation changes
appearance and leaves the frame-to-frame dynamics alone. All ops are vectorised over the batch (no
Python loop over clips or frames): the parameters are tensors of shape ``(B, ...)`` broadcast over
``T``. Parameters come from ``generator`` when one is given (drawn on the generator's device, then
moved to the clip's device) and from the global RNG of the clip's device otherwise.

``strength`` in [0, 1] scales every range; strength 0 is the identity for every op. The ranges at
strength ``s``:

==========================  ================================================================
op                          parameters per clip
==========================  ================================================================
``brightness``              factor ``b ~ U(1 - 0.4 s, 1 + 0.4 s)``; ``x * b``
``contrast``                factor ``c ~ U(1 - 0.4 s, 1 + 0.4 s)``; ``c x + (1 - c) m``, ``m`` = mean luma
                            of the whole clip (one value per clip, not per frame)
``saturation``              factor ``a ~ U(1 - 0.4 s, 1 + 0.4 s)``; ``a x + (1 - a) luma(x)``
``hue``                     rotation of the chroma plane of YIQ by ``U(-0.1 s, 0.1 s)`` turns
``color_jitter``            brightness, contrast, saturation, hue in this fixed order
``gaussian_blur``           ``sigma ~ U(0.1, 2.0) * s`` pixels, kernel radius ``ceil(6 s)``
``random_erasing``          one box per clip at the same place in every frame: area
                            ``U(0.02, 0.33) * s`` of the frame, aspect ratio log-uniform in
                            [0.3, 3.3], a random constant colour
``patch_shuffle``           ``n x n`` grid, ``n = 1 + round(3 s)``; one permutation per clip
``gaussian_noise``          one noise pattern per clip, std ``U(0.05, 0.1) * s``, same in every frame
``gaussian_noise_per_frame`` as above but a fresh pattern for every frame (ablation only)
``identity``                nothing
==========================  ================================================================

Design choices (all [A] in SDR_SPEC):

* The colour ops are written as per-clip affine maps instead of calling
  ``torchvision.transforms.v2.functional`` (which takes one scalar factor per call, so per-clip
  parameters would need a Python loop over clips, and whose ``adjust_hue`` goes through HSV, which
  is not linear). Hue is a rotation in YIQ space, a linear map; contrast uses one mean per clip.
  Together with clamping only once at the end, the whole colour jitter is one affine map per clip.
* Linear ops: before the final clamp to [0, 1], ``brightness``, ``saturation``, ``hue``,
  ``gaussian_blur`` and ``patch_shuffle`` are linear maps ``L`` of the clip, and ``contrast``,
  ``color_jitter``, ``random_erasing`` and ``gaussian_noise`` are affine maps ``L x + c`` with a
  per-clip constant ``c`` that is the same in every frame. For all of them the frame difference of
  the perturbed clip is ``L`` applied to the frame difference, exactly (up to rounding) wherever the
  clamp does not cut. This is the precise sense in which TPA "preserves temporal information".
* Gaussian noise uses one fixed noise pattern per clip (like a sensor's fixed-pattern noise), so it
  is temporally static too: frame differences stay exact. Noise drawn independently for every frame
  would add temporal flicker, i.e. perturb exactly the frame-to-frame signal that the temporal trunk
  should learn to rely on (and that resembles the flicker of face-swap artefacts).
  ``gaussian_noise_per_frame`` is kept for the ablation that tests this choice.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from sdrlib.augment.base import Op, check_clips, luma, per_clip, uniform
from sdrlib.augment.filters import sharpen, warp

_RGB_TO_YIQ = ((0.299, 0.587, 0.114), (0.596, -0.274, -0.322), (0.211, -0.523, 0.312))
_YIQ_TO_RGB = tuple(map(tuple, torch.linalg.inv(torch.tensor(_RGB_TO_YIQ, dtype=torch.float64)).tolist()))

COLOR_RANGE = 0.4
HUE_RANGE = 0.1
BLUR_SIGMA = (0.1, 2.0)
ERASE_AREA = (0.02, 0.33)
ERASE_ASPECT = (0.3, 3.3)
SHUFFLE_MAX_EXTRA = 3
NOISE_STD = (0.05, 0.1)


def _factor(x: torch.Tensor, spread: float, generator: torch.Generator | None) -> torch.Tensor:
    return per_clip(uniform((x.shape[0],), 1.0 - spread, 1.0 + spread, x, generator), x)


def _brightness(x: torch.Tensor, strength: float, generator: torch.Generator | None) -> torch.Tensor:
    """Multiply by one factor per clip.

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same shape in [0, 1].
    """
    return x * _factor(x, COLOR_RANGE * strength, generator)


def _contrast(x: torch.Tensor, strength: float, generator: torch.Generator | None) -> torch.Tensor:
    """Blend with the clip's mean luma, one factor per clip.

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same shape in [0, 1].
    """
    c = _factor(x, COLOR_RANGE * strength, generator)
    # One mean per clip (not per frame), so the offset (1 - c) * m is the same in every frame.
    mean = luma(x).mean(dim=(2, 3, 4), keepdim=True)
    return c * x + (1.0 - c) * mean


def _saturation(x: torch.Tensor, strength: float, generator: torch.Generator | None) -> torch.Tensor:
    """Blend with the per-pixel luma (grayscale), one factor per clip.

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same shape in [0, 1].
    """
    a = _factor(x, COLOR_RANGE * strength, generator)
    return a * x + (1.0 - a) * luma(x)


def _hue(x: torch.Tensor, strength: float, generator: torch.Generator | None) -> torch.Tensor:
    """Rotate the chroma (I, Q) plane of YIQ by one angle per clip: a linear 3x3 colour map.

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same shape in [0, 1].
    """
    angle = uniform((x.shape[0],), -HUE_RANGE * strength, HUE_RANGE * strength, x, generator) * (2 * math.pi)
    cos, sin = torch.cos(angle), torch.sin(angle)
    one, zero = torch.ones_like(cos), torch.zeros_like(cos)
    rotation = torch.stack(
        [
            torch.stack([one, zero, zero], -1),
            torch.stack([zero, cos, -sin], -1),
            torch.stack([zero, sin, cos], -1),
        ],
        dim=-2,
    )
    to_yiq = torch.tensor(_RGB_TO_YIQ, dtype=torch.float32, device=x.device)
    to_rgb = torch.tensor(_YIQ_TO_RGB, dtype=torch.float32, device=x.device)
    matrix = to_rgb @ rotation @ to_yiq
    return torch.einsum("bij,bjthw->bithw", matrix.to(x.dtype), x)


def _clamped(op: Callable[..., torch.Tensor]) -> Op:
    def wrapped(
        x: torch.Tensor, strength: float = 1.0, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        check_clips(x, strength)
        return op(x, strength, generator).clamp(0.0, 1.0)

    wrapped.__name__ = op.__name__.lstrip("_")
    wrapped.__doc__ = op.__doc__
    return wrapped


brightness = _clamped(_brightness)
contrast = _clamped(_contrast)
saturation = _clamped(_saturation)
hue = _clamped(_hue)


def color_jitter(
    x: torch.Tensor, strength: float = 1.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Brightness, contrast, saturation and hue, each with its own per-clip factor, clamped once.

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same shape in [0, 1].
    """
    check_clips(x, strength)
    for op in (_brightness, _contrast, _saturation, _hue):
        x = op(x, strength, generator)
    return x.clamp(0.0, 1.0)


def gaussian_blur(
    x: torch.Tensor, strength: float = 1.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Separable Gaussian blur with one ``sigma`` per clip, the same in every frame (reflect padding).

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same shape in [0, 1].
    """
    check_clips(x, strength)
    b, c, t, h, w = x.shape
    radius = min(math.ceil(3 * BLUR_SIGMA[1] * strength), h - 1, w - 1)
    sigma = uniform((b,), BLUR_SIGMA[0] * strength, BLUR_SIGMA[1] * strength, x, generator)
    if radius <= 0:
        return x.clone()
    offsets = torch.arange(-radius, radius + 1, device=x.device, dtype=torch.float32)
    kernel = torch.exp(-(offsets**2) / (2 * sigma.clamp_min(1e-3)[:, None] ** 2))
    kernel = (kernel / kernel.sum(dim=1, keepdim=True)).to(x.dtype)
    # One depthwise conv over all clips: every (clip, channel, frame) plane is a group whose kernel
    # is its clip's kernel, so the whole batch is blurred in two conv calls.
    kernel = kernel.repeat_interleave(c * t, dim=0)
    planes = x.reshape(1, b * c * t, h, w)
    planes = F.conv2d(
        F.pad(planes, (radius, radius, 0, 0), mode="reflect"),
        kernel.view(-1, 1, 1, 2 * radius + 1),
        groups=b * c * t,
    )
    planes = F.conv2d(
        F.pad(planes, (0, 0, radius, radius), mode="reflect"),
        kernel.view(-1, 1, 2 * radius + 1, 1),
        groups=b * c * t,
    )
    return planes.reshape(b, c, t, h, w).clamp(0.0, 1.0)


def random_erasing(
    x: torch.Tensor, strength: float = 1.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Fill one box per clip, at the same place in every frame, with a random constant colour.

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same shape in [0, 1].
    """
    check_clips(x, strength)
    b, _, _, h, w = x.shape
    area = uniform((b,), ERASE_AREA[0] * strength, ERASE_AREA[1] * strength, x, generator) * (h * w)
    log_aspect = uniform((b,), math.log(ERASE_ASPECT[0]), math.log(ERASE_ASPECT[1]), x, generator)
    box_h = torch.sqrt(area * torch.exp(log_aspect)).round().clamp(0, h)
    box_w = torch.sqrt(area / torch.exp(log_aspect)).round().clamp(0, w)
    top = (uniform((b,), 0.0, 1.0, x, generator) * (h - box_h + 1)).floor()
    left = (uniform((b,), 0.0, 1.0, x, generator) * (w - box_w + 1)).floor()
    fill = uniform((b, 3), 0.0, 1.0, x, generator).to(x.dtype).view(b, 3, 1, 1, 1)
    rows = torch.arange(h, device=x.device, dtype=torch.float32).view(1, h, 1)
    cols = torch.arange(w, device=x.device, dtype=torch.float32).view(1, 1, w)
    inside = (
        (rows >= top.view(b, 1, 1))
        & (rows < (top + box_h).view(b, 1, 1))
        & (cols >= left.view(b, 1, 1))
        & (cols < (left + box_w).view(b, 1, 1))
    )
    return torch.where(inside.view(b, 1, 1, h, w), fill, x).clamp(0.0, 1.0)


def patch_shuffle(
    x: torch.Tensor, strength: float = 1.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Cut each frame into an ``n x n`` grid and permute the patches, one permutation per clip.

    When ``H`` or ``W`` is not a multiple of ``n`` the last rows/columns stay in place.

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same shape in [0, 1].
    """
    check_clips(x, strength)
    b, c, t, h, w = x.shape
    n = min(1 + round(SHUFFLE_MAX_EXTRA * strength), h, w)
    if n <= 1:
        return x.clone()
    ph, pw = h // n, w // n
    perm = torch.argsort(uniform((b, n * n), 0.0, 1.0, x, generator), dim=1)
    region = x[..., : n * ph, : n * pw].reshape(b, c, t, n, ph, n, pw)
    patches = region.permute(0, 3, 5, 1, 2, 4, 6).reshape(b, n * n, c, t, ph, pw)
    patches = patches[torch.arange(b, device=x.device)[:, None], perm]
    shuffled = (
        patches.reshape(b, n, n, c, t, ph, pw).permute(0, 3, 4, 1, 5, 2, 6).reshape(b, c, t, n * ph, n * pw)
    )
    out = x.clone()
    out[..., : n * ph, : n * pw] = shuffled
    return out.clamp(0.0, 1.0)


def _noise(
    x: torch.Tensor, strength: float, generator: torch.Generator | None, per_frame: bool
) -> torch.Tensor:
    check_clips(x, strength)
    b, c, t, h, w = x.shape
    std = per_clip(uniform((b,), NOISE_STD[0] * strength, NOISE_STD[1] * strength, x, generator), x)
    device = generator.device if generator is not None else x.device
    shape = (b, c, t if per_frame else 1, h, w)
    pattern = torch.randn(shape, generator=generator, device=device, dtype=torch.float32).to(
        x.device, x.dtype
    )
    return (x + std * pattern).clamp(0.0, 1.0)


def gaussian_noise(
    x: torch.Tensor, strength: float = 1.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Add one Gaussian noise pattern per clip, identical in every frame (see the module docstring).

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same shape in [0, 1].
    """
    return _noise(x, strength, generator, per_frame=False)


def gaussian_noise_per_frame(
    x: torch.Tensor, strength: float = 1.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Add Gaussian noise drawn afresh for every frame (NOT temporally preserving; ablation only).

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same shape in [0, 1].
    """
    return _noise(x, strength, generator, per_frame=True)


def identity(
    x: torch.Tensor, strength: float = 1.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Return ``x`` itself (the "w/o SPB" branch); draws no random numbers."""
    check_clips(x, strength)
    return x


OPS: dict[str, Op] = {
    "brightness": brightness,
    "contrast": contrast,
    "saturation": saturation,
    "hue": hue,
    "color_jitter": color_jitter,
    "gaussian_blur": gaussian_blur,
    "random_erasing": random_erasing,
    "patch_shuffle": patch_shuffle,
    "gaussian_noise": gaussian_noise,
    "gaussian_noise_per_frame": gaussian_noise_per_frame,
    "sharpen": sharpen,
    "warp": warp,
    "identity": identity,
}

#: the ops that are linear or per-clip affine before the clamp (see the module docstring).
AFFINE_OPS: tuple[str, ...] = (
    "brightness",
    "contrast",
    "saturation",
    "hue",
    "color_jitter",
    "gaussian_blur",
    "random_erasing",
    "patch_shuffle",
    "gaussian_noise",
    "sharpen",
    "warp",
    "identity",
)
