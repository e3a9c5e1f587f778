"""``frame2d``: a per-frame 2D CNN, the purely spatial reference (book chapter 'Spatial bias').

Every frame goes through a timm image classifier with one output (``num_classes=1``, never
pretrained weights: the user may load their own with ``weights=``); the clip logit is the mean of
the frame logits, as in frame-level detectors evaluated at video level. It sees no temporal order
at all, so it is the model whose cross-dataset drop measures the pure spatial bias that SDR
addresses (SDR_SPEC section 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import timm
import torch

from sdrlib.config import ConfigError
from sdrlib.models.base import ModelOutput, VideoModel
from sdrlib.models.registry import register_model
from sdrlib.models.video3d import parse_options


@dataclass
class Frame2DConfig:
    """Options of ``frame2d``.

    Attributes:
        backbone: any timm model name (e.g. ``resnet18``, ``efficientnet_b0``, ``xception41``,
            ``legacy_xception``), built with ``pretrained=False``.
        num_frames: frames per clip the model is meant for (any number is accepted).
        input_size: frame size the model is meant for.
        drop_rate: dropout before the classifier.
        train_frames: in training mode, use only this many randomly chosen frames of each batch
            (the same positions for every clip; ``None``: all). A frame-level detector learns from
            single frames anyway; this divides its training cost by ``num_frames / train_frames``
            on CPU profiles. Evaluation always averages all frames.
    """

    backbone: str = "resnet18"
    num_frames: int = 32
    input_size: int = 224
    drop_rate: float = 0.0
    train_frames: int | None = None

    def __post_init__(self) -> None:
        if not timm.is_model(self.backbone):
            suggestions = timm.list_models(f"*{self.backbone.split('_')[0]}*")[:8]
            raise ConfigError(f"backbone {self.backbone!r} is not a timm model; similar names: {suggestions}")
        if self.train_frames is not None and self.train_frames < 1:
            raise ConfigError(f"train_frames must be >= 1 or None, got {self.train_frames}")
        if self.num_frames < 1 or self.input_size < 16:
            raise ConfigError(
                f"need num_frames >= 1 and input_size >= 16, got {self.num_frames}, {self.input_size}"
            )


class Frame2D(VideoModel):
    """A timm 2D classifier applied to every frame; the clip logit is the mean frame logit.

    Shape:
        ``(B, 3, T, H, W)`` -> logit ``(B,)``, tokens ``(B, T, C)`` (per-frame pooled features).
    """

    def __init__(self, cfg: Frame2DConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.num_frames, self.input_size = cfg.num_frames, cfg.input_size
        self.backbone = timm.create_model(
            cfg.backbone, pretrained=False, num_classes=1, drop_rate=cfg.drop_rate
        )
        self.num_features = self.backbone.num_features

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Frame feature maps, frames folded into the batch.

        Shape:
            ``(B, 3, T, H, W)`` -> ``(B, T, C, H', W')``.
        """
        if self.training and self.cfg.train_frames is not None and self.cfg.train_frames < x.shape[2]:
            keep = torch.randperm(x.shape[2], device=x.device)[: self.cfg.train_frames].sort().values
            x = x[:, :, keep]
        frames = x.transpose(1, 2).flatten(0, 1)
        features = self.backbone.forward_features(frames)
        return features.unflatten(0, (x.shape[0], x.shape[2]))

    def forward_head(self, features: torch.Tensor) -> ModelOutput:
        """Per-frame pooling and classifier, mean over frames.

        Shape:
            ``(B, T, C, H', W')`` -> logit ``(B,)``, tokens ``(B, T, C)``.
        """
        batch, frames = features.shape[:2]
        flat = features.flatten(0, 1)
        tokens = self.backbone.forward_head(flat, pre_logits=True)
        logits = self.backbone.get_classifier()(tokens).view(batch, frames)
        return ModelOutput(logit=logits.mean(dim=1), tokens=tokens.view(batch, frames, -1))


@register_model("frame2d")
def frame2d(**options: Any) -> Frame2D:
    """Per-frame timm 2D CNN (default resnet18), frame logits averaged: the spatial reference."""
    return Frame2D(parse_options(Frame2DConfig, options))
