"""The I3D-ResNet-50 trunk shared by ``ftcn``, ``i3d`` and ``sdr`` (SDR_SPEC section 4;
book chapter 'The FTCN trunk, spatial perturbation branches and TRFI', section 'The FTCN trunk').

One implementation, two layouts, chosen by ``temporal_only``:

* ``temporal_only=False`` is the SlowFast-style I3D-R50 (AltFreezing's backbone): stem ``5x7x7``
  stride ``1x2x2`` + ``1x3x3`` stride-2 max-pool; bottlenecks ``tx1x1 -> 1x3x3 -> 1x1x1`` with the
  temporal kernel in the first conv and the spatial stride in the ``1x3x3`` conv; temporal kernels
  res2 ``3,3,3``, res3 ``3,1,3,1``, res4 ``3,1,3,1,3,1``, res5 ``1,3,1``; a ``2x1x1`` temporal
  max-pool after res2. Output ``2048 x T/2 x H/32 x W/32``.
* ``temporal_only=True`` is FTCN's fully temporal convolution network: every spatial kernel is 1;
  every spatial stride-2 conv becomes stride 1 followed by a ``1x2x2`` max-pool after its BatchNorm
  (stem, first block of res3 and res4, main branch and shortcut); the stem's ``1x3x3`` stride-2
  max-pool stays; res5 is removed. Output ``1024 x T/2 x H/16 x W/16`` (``1024 x 16 x 14 x 14`` for
  a 32x224x224 clip).

In both, the last BatchNorm of every bottleneck starts at zero (each block starts as the identity).

``width_mult`` scales every channel count (rounded to a multiple of 8, at least 8) and
``depth_mult`` the number of blocks per stage (at least 1; the temporal-kernel pattern is cut
accordingly); they give the small CPU variants. The forward pass has no data-dependent Python
control flow (``torch.compile`` sees one graph) and keeps whatever memory format it is given
(``torch.channels_last_3d`` included).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

#: (blocks, bottleneck width, temporal kernels) of res2..res5 at width_mult = depth_mult = 1.
STAGES: tuple[tuple[int, int, tuple[int, ...]], ...] = (
    (3, 64, (3, 3, 3)),
    (4, 128, (3, 1, 3, 1)),
    (6, 256, (3, 1, 3, 1, 3, 1)),
    (3, 512, (1, 3, 1)),
)
STEM_WIDTH = 64
STEM_TEMPORAL_KERNEL = 5
EXPANSION = 4


def scaled_width(channels: int, width_mult: float) -> int:
    """``channels * width_mult`` rounded to a multiple of 8 (at least 8), for fast kernels."""
    return max(8, int(round(channels * width_mult / 8)) * 8)


def scaled_depth(blocks: int, depth_mult: float) -> int:
    """``blocks * depth_mult`` rounded, at least 1."""
    return max(1, int(round(blocks * depth_mult)))


def _pool_or_identity(downsample: bool) -> nn.Module:
    return nn.MaxPool3d((1, 2, 2), (1, 2, 2)) if downsample else nn.Identity()


class Bottleneck3d(nn.Module):
    """``tx1x1 -> (1x3x3 | 1x1x1) -> 1x1x1`` bottleneck with a projection shortcut when needed.

    Args:
        in_channels: input channels.
        width: bottleneck width (output channels are ``4 * width``).
        temporal_kernel: temporal size of the first conv (1 or 3).
        downsample: halve the spatial size (stride 2, or stride 1 + ``1x2x2`` max-pool when
            ``temporal_only``).
        temporal_only: FTCN layout (no spatial kernel larger than 1).

    Shape:
        ``(N, in_channels, T, H, W) -> (N, 4 * width, T, H', W')`` with ``H' = ceil(H/2)`` (I3D) or
        ``floor(H/2)`` (FTCN) when downsampling.
    """

    def __init__(
        self, in_channels: int, width: int, temporal_kernel: int, downsample: bool, temporal_only: bool
    ) -> None:
        super().__init__()
        out_channels = width * EXPANSION
        pad_t = temporal_kernel // 2
        self.conv_a = nn.Conv3d(
            in_channels, width, (temporal_kernel, 1, 1), padding=(pad_t, 0, 0), bias=False
        )
        self.bn_a = nn.BatchNorm3d(width)
        if temporal_only:
            self.conv_b = nn.Conv3d(width, width, 1, bias=False)
        else:
            stride = 2 if downsample else 1
            self.conv_b = nn.Conv3d(
                width, width, (1, 3, 3), stride=(1, stride, stride), padding=(0, 1, 1), bias=False
            )
        self.bn_b = nn.BatchNorm3d(width)
        self.pool_b = _pool_or_identity(downsample and temporal_only)
        self.conv_c = nn.Conv3d(width, out_channels, 1, bias=False)
        self.bn_c = nn.BatchNorm3d(out_channels)
        self.has_shortcut = downsample or in_channels != out_channels
        if self.has_shortcut:
            stride = 2 if downsample and not temporal_only else 1
            self.short_conv = nn.Conv3d(in_channels, out_channels, 1, stride=(1, stride, stride), bias=False)
            self.short_bn = nn.BatchNorm3d(out_channels)
            self.short_pool = _pool_or_identity(downsample and temporal_only)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu_(self.bn_a(self.conv_a(x)))
        y = torch.relu_(self.pool_b(self.bn_b(self.conv_b(y))))
        y = self.bn_c(self.conv_c(y))
        shortcut = self.short_pool(self.short_bn(self.short_conv(x))) if self.has_shortcut else x
        return torch.relu_(y + shortcut)


class Stem3d(nn.Module):
    """``5x1x1`` (FTCN) or ``5x7x7`` stride ``1x2x2`` (I3D) conv, BN, ReLU, ``1x3x3`` stride-2 max-pool.

    Shape:
        ``(N, 3, T, H, W) -> (N, C, T, H/4, W/4)``.
    """

    def __init__(self, out_channels: int, temporal_only: bool) -> None:
        super().__init__()
        kt = STEM_TEMPORAL_KERNEL
        if temporal_only:
            self.conv = nn.Conv3d(3, out_channels, (kt, 1, 1), padding=(kt // 2, 0, 0), bias=False)
        else:
            self.conv = nn.Conv3d(
                3, out_channels, (kt, 7, 7), stride=(1, 2, 2), padding=(kt // 2, 3, 3), bias=False
            )
        self.bn = nn.BatchNorm3d(out_channels)
        self.pool_conv = _pool_or_identity(temporal_only)
        self.pool = nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(torch.relu_(self.pool_conv(self.bn(self.conv(x)))))


class ResNet3dTrunk(nn.Module):
    """I3D-R50 (``temporal_only=False``, with res5) or FTCN (``temporal_only=True``, without res5).

    Args:
        temporal_only: FTCN layout (see the module docstring).
        include_res5: keep res5 (I3D) or cut after res4 (FTCN).
        width_mult: channel multiplier (1.0 = ResNet-50 widths).
        depth_mult: block-count multiplier (1.0 = 3, 4, 6, 3 blocks).

    Attributes:
        num_features: output channels (1024 for FTCN, 2048 for I3D at width 1).
        spatial_reduction: input size / output size in each spatial direction (16 or 32).

    Shape:
        ``(N, 3, T, H, W) -> (N, num_features, T // 2, H / r, W / r)``, ``r = spatial_reduction``.
    """

    def __init__(
        self, temporal_only: bool, include_res5: bool, width_mult: float = 1.0, depth_mult: float = 1.0
    ) -> None:
        super().__init__()
        self.temporal_only = temporal_only
        stem_width = scaled_width(STEM_WIDTH, width_mult)
        self.stem = Stem3d(stem_width, temporal_only)
        channels = stem_width
        stages = STAGES if include_res5 else STAGES[:3]
        for index, (blocks, width, kernels) in enumerate(stages):
            width = scaled_width(width, width_mult)
            layers = []
            for j in range(scaled_depth(blocks, depth_mult)):
                kernel = kernels[j % len(kernels)]
                layers.append(Bottleneck3d(channels, width, kernel, index > 0 and j == 0, temporal_only))
                channels = width * EXPANSION
            self.add_module(f"res{index + 2}", nn.Sequential(*layers))
        self.temporal_pool = nn.MaxPool3d((2, 1, 1), (2, 1, 1))
        self.include_res5 = include_res5
        self.num_features = channels
        self.spatial_reduction = 2 ** (len(stages) + 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming-normal convs, unit BN, and zero-init of each bottleneck's last BN."""
        for module in self.modules():
            if isinstance(module, nn.Conv3d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm3d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        for module in self.modules():
            if isinstance(module, Bottleneck3d):
                nn.init.zeros_(module.bn_c.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] < self.spatial_reduction or x.shape[-2] < self.spatial_reduction:
            raise ValueError(
                f"frames of {x.shape[-2]}x{x.shape[-1]} are too small for this trunk: "
                f"need at least {self.spatial_reduction}x{self.spatial_reduction}"
            )
        if x.shape[2] < 2:
            raise ValueError(f"clips need at least 2 frames (the trunk halves T), got {x.shape[2]}")
        x = self.res2(self.stem(x))
        x = self.res4(self.res3(self.temporal_pool(x)))
        if self.include_res5:
            x = self.res5(x)
        return x


#: The (conv, BatchNorm) attribute pairs of the blocks above, each BatchNorm right after its conv.
_CONV_BN_PAIRS: dict[type[nn.Module], tuple[tuple[str, str], ...]] = {
    Bottleneck3d: (("conv_a", "bn_a"), ("conv_b", "bn_b"), ("conv_c", "bn_c"), ("short_conv", "short_bn")),
    Stem3d: (("conv", "bn"),),
}


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """Fold every BatchNorm of the 3D trunks into the convolution before it, in place (inference).

    In eval mode a BatchNorm is an affine map per channel, so ``bn(conv(x))`` equals one conv with
    scaled weights and a bias (``torch.nn.utils.fusion.fuse_conv_bn_eval``); the BatchNorm becomes
    an ``Identity``. On a CPU this saves the separate normalisation pass over every feature map,
    about a sixth of a tiny model's evaluation. Scores agree with the unfolded model to float
    rounding. Only for a model that is no longer trained or saved (its state dict loses the
    BatchNorm keys); :func:`sdrlib.engine.evaluate.evaluate_checkpoint` applies it to the model it
    loaded. The book chapter 'training end to end' scores with it.

    Raises:
        ValueError: the model is in training mode.
    """
    if model.training:
        raise ValueError("fold_batchnorm needs a model in eval mode (BatchNorm's running statistics)")
    for module in model.modules():
        for conv_name, bn_name in _CONV_BN_PAIRS.get(type(module), ()):
            conv, bn = getattr(module, conv_name, None), getattr(module, bn_name, None)
            if isinstance(conv, nn.Conv3d) and isinstance(bn, nn.BatchNorm3d):
                setattr(module, conv_name, fuse_conv_bn_eval(conv, bn))
                setattr(module, bn_name, nn.Identity())
    return model
