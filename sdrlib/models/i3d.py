"""``i3d``: the I3D-R50 with spatial kernels kept, + temporal transformer (SDR_SPEC section 4).

The SlowFast-style I3D-ResNet-50 (AltFreezing's backbone, Wang et al., CVPR 2023): ``1x3x3``
spatial kernels and spatial strides kept and res5 present, so the feature map is
``2048 x T/2 x H/32 x W/32`` (``2048 x 16 x 7 x 7`` at 32x224x224). The "spatially biased"
reference against which FTCN and SDR are compared. Head choice [A]: the same temporal transformer
as ``ftcn`` scaled to the 2048-wide tokens (32 heads x 64, MLP 4096), so the two models differ
only in their trunk; ``temporal_transformer=False`` gives mean pooling + linear instead.
Book chapter 'The FTCN trunk, spatial perturbation branches and TRFI'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sdrlib.models.registry import register_model
from sdrlib.models.video3d import Video3DConfig, Video3DModel, parse_options


@dataclass
class I3DConfig(Video3DConfig):
    """Options of ``i3d`` (all shared, see :class:`Video3DConfig`)."""


@register_model("i3d")
def i3d(**options: Any) -> Video3DModel:
    """I3D-R50 with spatial kernels and res5 (AltFreezing's backbone) + temporal transformer."""
    return Video3DModel(parse_options(I3DConfig, options), temporal_only=False, include_res5=True)
