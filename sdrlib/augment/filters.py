"""TPA ops chosen by what the FTCN trunk sees: sharpening, and the spec's per-clip random affine.

Why they exist (book chapter 'TPA', section 'what the trunk sees'; docs/tpa_visibility.md): the
FTCN trunk has no spatial kernel (every spatial kernel is 1x1), its stride-replacing max-pools
look at 2x2 neighbourhoods, and its tokens are a spatial mean. To such a trunk an image is nearly
a bag of small pixel neighbourhoods: an op that only moves pixels around (a patch shuffle on the
pools' grid) changes almost nothing it sees, while an op that changes the *values* of the
neighbourhoods (their colour, their sharpness, their fine structure) changes its tokens. The ops
here follow the rule of every TPA op: random parameters drawn once per clip, applied identically
to every frame, strength 0 the identity. ``sharpen`` changes the values of the neighbourhoods
(the opposite of the blur); ``warp`` is the "random affine" SDR_SPEC names beside the patch
shuffle, measured and kept available by name.

==========================  ================================================================
op                          parameters per clip (strength ``s``)
==========================  ================================================================
``sharpen``                 unsharp mask ``x + a (x - blur_1(x))``, ``a ~ U(0, 2 s)``
``warp``                    one affine map: rotation ``U(-20 s, 20 s)`` degrees, scale
                            ``U(1 - 0.2 s, 1 + 0.2 s)``, shift up to ``0.1 s`` of the side
                            (bilinear, reflected border)
==========================  ================================================================

Both are linear maps of the clip before the clamp, so the frame difference of the output is the
map applied to the frame difference (the TPA chapter checks it).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from sdrlib.augment.base import as_frames, blur_frames, check_clips, from_frames, per_clip, uniform

SHARPEN_AMOUNT = 2.0
WARP_DEGREES = 20.0
WARP_SCALE = 0.2
WARP_SHIFT = 0.1


def sharpen(x: torch.Tensor, strength: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """Unsharp mask with one amount per clip: ``x + a (x - blur(x))``, blur sigma 1 pixel.

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same shape in [0, 1].
    """
    check_clips(x, strength)
    amount = per_clip(uniform((x.shape[0],), 0.0, SHARPEN_AMOUNT * strength, x, generator), x)
    blurred = blur_frames(x, 1.0, 7)
    return (x + amount * (x - blurred)).clamp(0.0, 1.0)


def warp(x: torch.Tensor, strength: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """One affine map per clip (rotation, scale, shift), the same in every frame.

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same shape in [0, 1].
    """
    check_clips(x, strength)
    b, c, t, h, w = x.shape
    angle = uniform((b,), -WARP_DEGREES * strength, WARP_DEGREES * strength, x, generator) * (math.pi / 180)
    scale = uniform((b,), 1.0 - WARP_SCALE * strength, 1.0 + WARP_SCALE * strength, x, generator)
    shift = uniform((b, 2), -WARP_SHIFT * strength, WARP_SHIFT * strength, x, generator) * 2
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos, -sin, shift[:, 0]], -1), torch.stack([sin, cos, shift[:, 1]], -1)], dim=1
    )  # (B, 2, 3): output pixel -> input pixel, in normalised coordinates
    grid = F.affine_grid(theta.to(x.dtype), [b, c, h, w], align_corners=False)
    grid = grid.repeat_interleave(t, dim=0)  # every frame of a clip gets its clip's map
    frames = F.grid_sample(as_frames(x), grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    return from_frames(frames, x).clamp(0.0, 1.0)
