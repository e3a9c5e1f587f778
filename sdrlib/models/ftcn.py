"""``ftcn``: FTCN's fully temporal convolution network + temporal transformer (SDR_SPEC section 4).

Zheng et al., "Exploring Temporal Coherence for More General Video Face Forgery Detection" (ICCV
2021): an I3D-R50 with every spatial kernel set to 1, cut after res4, and a one-block temporal
transformer; 14.76 M parameters at full size. SDR's main baseline and the trunk of its spatial
perturbation branches. Book chapters 'The FTCN trunk, spatial perturbation branches and TRFI' and
'The temporal transformer'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sdrlib.models.registry import register_model
from sdrlib.models.video3d import Video3DConfig, Video3DModel, parse_options


@dataclass
class FTCNConfig(Video3DConfig):
    """Options of ``ftcn`` (all shared, see :class:`Video3DConfig`)."""


@register_model("ftcn")
def ftcn(**options: Any) -> Video3DModel:
    """FTCN: temporal-only I3D-R50 trunk (res2-res4) + temporal transformer (SDR_SPEC 4)."""
    return Video3DModel(parse_options(FTCNConfig, options), temporal_only=True, include_res5=False)
