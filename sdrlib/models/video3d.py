"""Trunk + temporal head: the model class behind ``ftcn`` and ``i3d`` (SDR_SPEC sections 2.3-2.5, 4).

:class:`Video3DConfig` holds the options every 3D-trunk family shares (``sdr`` extends it), and
:func:`parse_options` is the one place where a family's keyword options become its validated config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import torch

from sdrlib.config import ConfigError, from_dict
from sdrlib.models.base import ModelOutput, VideoModel
from sdrlib.models.resnet3d import ResNet3dTrunk
from sdrlib.models.temporal_transformer import build_temporal_head, spatial_tokens

C = TypeVar("C")


@dataclass
class Video3DConfig:
    """Options shared by the 3D-trunk models.

    Attributes:
        width_mult: channel multiplier of the trunk (and so of the head); 1.0 is the paper's size.
        depth_mult: block-count multiplier of the trunk stages.
        num_frames: frames per clip; the temporal head has ``num_frames // 2`` learned positions.
        input_size: frame size the model is meant for (benchmarks and the CLI use it; the trunk
            accepts any size of at least 16 (FTCN) or 32 (I3D) pixels).
        temporal_transformer: FTCN's temporal transformer head (True) or mean over time + linear.
        drop_rate: dropout of the temporal head (FTCN: 0.1).
        transformer_norm_eps: eps of the LayerNorms inside the transformer blocks: timm's 1e-6 by
            default; FTCN's published network has PyTorch's 1e-5, which ``sdr convert ftcn-tt``
            sets (docs/published_detectors.md).
        pool_head_norm: LayerNorm before the linear layer of the pooling head
            (``temporal_transformer=False``); AltFreezing's head has none (``sdr convert
            altfreezing`` sets False).
    """

    width_mult: float = 1.0
    depth_mult: float = 1.0
    num_frames: int = 32
    input_size: int = 224
    temporal_transformer: bool = True
    drop_rate: float = 0.1
    transformer_norm_eps: float = 1e-6
    pool_head_norm: bool = True

    def __post_init__(self) -> None:
        if self.width_mult <= 0 or self.depth_mult <= 0:
            raise ConfigError(
                f"width_mult and depth_mult must be > 0, got {self.width_mult}, {self.depth_mult}"
            )
        if self.num_frames < 2:
            raise ConfigError(f"num_frames must be >= 2 (the trunk halves time), got {self.num_frames}")
        if self.input_size < 16:
            raise ConfigError(f"input_size must be >= 16, got {self.input_size}")
        if not 0.0 <= self.drop_rate < 1.0:
            raise ConfigError(f"drop_rate must be in [0, 1), got {self.drop_rate}")
        if not self.transformer_norm_eps > 0:
            raise ConfigError(f"transformer_norm_eps must be > 0, got {self.transformer_norm_eps}")


def parse_options(cls: type[C], options: Mapping[str, Any]) -> C:
    """Validate a family's keyword options into its config dataclass.

    Raises:
        ConfigError: an unknown option (the message lists the valid ones) or a bad value.
    """
    return from_dict(cls, dict(options), where=cls.__name__)


class Video3DModel(VideoModel):
    """A :class:`ResNet3dTrunk` followed by a temporal head.

    Args:
        cfg: shared options.
        temporal_only: FTCN trunk (True) or I3D trunk (False).
        include_res5: keep the trunk's res5 stage.

    Shape:
        ``(B, 3, num_frames, H, W)`` -> ``ModelOutput(logit (B,), tokens (B, num_frames // 2, C))``.
    """

    def __init__(self, cfg: Video3DConfig, temporal_only: bool, include_res5: bool) -> None:
        super().__init__()
        self.cfg = cfg
        self.num_frames, self.input_size = cfg.num_frames, cfg.input_size
        self.trunk = ResNet3dTrunk(temporal_only, include_res5, cfg.width_mult, cfg.depth_mult)
        self.num_features = self.trunk.num_features
        self.head = build_temporal_head(
            self.num_features,
            cfg.num_frames // 2,
            cfg.temporal_transformer,
            cfg.drop_rate,
            cfg.transformer_norm_eps,
            cfg.pool_head_norm,
        )

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Trunk feature map.

        Shape:
            ``(B, 3, T, H, W) -> (B, C, T // 2, H', W')``.
        """
        return self.trunk(x)

    def forward_head(self, features: torch.Tensor) -> ModelOutput:
        """Spatial mean per time step, then the temporal head.

        Shape:
            ``(B, C, T', H', W')`` -> logit ``(B,)``, tokens ``(B, T', C)``.
        """
        tokens = spatial_tokens(features)
        return ModelOutput(logit=self.head(tokens), tokens=tokens)
