"""``sdr``: Spatial Dependency Reduction (Chu et al., ICASSP 2025; SDR_SPEC section 2;
book chapters 'TPA' to 'Training end to end', appendix 'Provenance').

The pipeline, item by item, with the status of each in SDR_SPEC ([F] found, [I] inferred,
[A] our assumption, configurable):

1. TPA (2.1) [F name, I meaning]: K temporally-preserving perturbations of the clip, one per branch
   (``branch_ops``; default: K = 1 the clean clip ("w/o SPB"), K = 2..4 the first K of colour
   jitter, Gaussian blur, random erasing, sharpening [A], K = 5 adds Gaussian noise [I]). The
   fourth default was a patch shuffle; it was replaced by the op the FTCN trunk sees
   (:mod:`sdrlib.studies.visibility`, docs/tpa_visibility.md) and stays available by name.
   Applied inside the model, on the input's device, in training only (``test_time_tpa`` keeps it
   at inference). ``clean_view=True`` adds one identity branch [A], so BatchNorm and one posterior
   head see clean clips in training too (the Table 3 row "+ clean view").
2. SPB (2.2) [F name, I structure]: each view through the trunk. Shared trunk by default [A]: the
   K views are concatenated on the batch axis and run through ONE trunk call (so BatchNorm sees all
   views of the batch together); ``separate_trunks=True`` gives K trunks [A].
3. Trunk (2.3) [I]: FTCN's temporal-only I3D-R50 (:mod:`sdrlib.models.resnet3d`); tokens are the
   spatial mean per time step, 16 x 1024 for a 32x224x224 clip.
4. TRFI (2.4) [F idea, I/A form]: per-branch Gaussian posterior heads, latent ``D = latent_dim``,
   integration by mean (default) or precision-weighted ``fusion``, projection back to the trunk
   width (:mod:`sdrlib.models.trfi`). ``trfi=False`` averages the branch tokens instead (no
   posteriors; the "w/o TRFI" ablation).
5. Temporal transformer (2.5) [F exists, I FTCN's]: :mod:`sdrlib.models.temporal_transformer`;
   ``temporal_transformer=False`` is mean pooling + linear ("w/o temporal transformer").
6. Losses (2.6): not here; ``sdrlib.losses`` consumes ``ModelOutput.mu/sigma/z``.
7. Inference (2.7) [A]: the clean clip through the trunk once and through all K heads, fused
   ``mean_k mu_k``.

With ``K=1, trfi=False`` the model is exactly ``ftcn``: same state-dict keys and shapes, the same
weights for the same seed, and the same outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from sdrlib.augment import TPA, default_branch_ops, list_ops
from sdrlib.augment.tpa import MAX_BRANCHES
from sdrlib.config import ConfigError
from sdrlib.models.base import ModelOutput, VideoModel, check_input
from sdrlib.models.registry import register_model
from sdrlib.models.resnet3d import ResNet3dTrunk
from sdrlib.models.temporal_transformer import build_temporal_head, spatial_tokens
from sdrlib.models.trfi import TRFI
from sdrlib.models.video3d import Video3DConfig, parse_options

#: Seed of the test-time TPA draws (``test_time_tpa``), reset at every forward pass.
TEST_TIME_TPA_SEED = 0


@dataclass
class SDRConfig(Video3DConfig):
    """Options of ``sdr`` (plus the shared ones of :class:`Video3DConfig`).

    Attributes:
        K: number of spatial perturbation branches, 1..5.
        branch_ops: one TPA op per branch; ``None`` = :func:`sdrlib.augment.default_branch_ops`.
        tpa_strength: in [0, 1], scales every TPA op's range.
        separate_trunks: K trunks instead of one shared trunk.
        trfi: posterior heads + integration (True) or a plain mean of the branch tokens.
        latent_dim: D, the width of the posteriors.
        fusion: ``"mean"`` or ``"precision"`` integration of the branches.
        fuse_samples: in training, fuse the samples ``z_k`` (True) or the means ``mu_k``.
        test_time_tpa: keep TPA at inference (an ensemble over the K perturbed views).
        clean_view: add an identity branch to the K perturbed ones (K + 1 views and heads).
    """

    K: int = 4
    branch_ops: list[str] | None = None
    tpa_strength: float = 1.0
    separate_trunks: bool = False
    trfi: bool = True
    latent_dim: int = 256
    fusion: Literal["mean", "precision"] = "mean"
    fuse_samples: bool = True
    test_time_tpa: bool = False
    clean_view: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 1 <= self.K <= MAX_BRANCHES:
            raise ConfigError(f"K must be in 1..{MAX_BRANCHES}, got {self.K}")
        if self.branch_ops is None:
            self.branch_ops = default_branch_ops(self.K)
        self.branch_ops = list(self.branch_ops)
        if len(self.branch_ops) != self.K:
            raise ConfigError(f"branch_ops needs one op per branch (K={self.K}), got {self.branch_ops}")
        unknown = [op for op in self.branch_ops if op not in list_ops()]
        if unknown:
            raise ConfigError(f"unknown TPA op(s) {unknown} in branch_ops; valid: {list_ops()}")
        if not 0.0 <= self.tpa_strength <= 1.0:
            raise ConfigError(f"tpa_strength must be in [0, 1], got {self.tpa_strength}")
        if self.latent_dim < 1:
            raise ConfigError(f"latent_dim must be >= 1, got {self.latent_dim}")
        if self.clean_view and "identity" in self.branch_ops:
            raise ConfigError(
                f"clean_view adds an identity branch; branch_ops {self.branch_ops} already has one"
            )

    @property
    def view_ops(self) -> list[str]:
        """The op of every view the trunk sees in training: ``branch_ops`` (+ ``identity``)."""
        return [*self.branch_ops, "identity"] if self.clean_view else list(self.branch_ops)


class SDR(VideoModel):
    """TPA -> K spatial perturbation branches -> TRFI -> temporal transformer (see the module docstring).

    Shape:
        ``(B, 3, num_frames, H, W)`` -> ``ModelOutput``: logit ``(B,)``; mu, sigma, z
        ``(B, V, num_frames // 2, latent_dim)`` with ``V = K`` views (``K + 1`` with
        ``clean_view``; ``None`` when ``trfi=False``); tokens
        ``(B, num_frames // 2, C)``.
    """

    def __init__(self, cfg: SDRConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.num_frames, self.input_size = cfg.num_frames, cfg.input_size
        self.num_branches = len(cfg.view_ops)
        self.tpa = TPA(cfg.view_ops, cfg.tpa_strength)
        # Attribute order matters: with K=1 and trfi off, parameters are created in the same order
        # as in ``ftcn``, so the same seed gives the same weights.
        if cfg.separate_trunks and self.num_branches > 1:
            self.trunks = nn.ModuleList(
                ResNet3dTrunk(True, False, cfg.width_mult, cfg.depth_mult) for _ in range(self.num_branches)
            )
            self.num_features = self.trunks[0].num_features
        else:
            self.trunks = None
            self.trunk = ResNet3dTrunk(True, False, cfg.width_mult, cfg.depth_mult)
            self.num_features = self.trunk.num_features
        self.head = build_temporal_head(
            self.num_features,
            cfg.num_frames // 2,
            cfg.temporal_transformer,
            cfg.drop_rate,
            cfg.transformer_norm_eps,
            cfg.pool_head_norm,
        )
        self.trfi = (
            TRFI(
                self.num_branches, self.num_features, cfg.latent_dim, self.num_features, cfg.fusion, cfg.fuse_samples
            )
            if cfg.trfi
            else None
        )

    @property
    def perturbs(self) -> bool:
        """Whether the next forward pass applies TPA (training, or ``test_time_tpa``)."""
        return self.training or self.cfg.test_time_tpa

    def make_views(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """The K TPA views of ``x`` (branch-major), or ``x`` itself when TPA is off.

        At inference (``test_time_tpa``) without a ``generator`` the draws come from a CPU
        generator seeded with :data:`TEST_TIME_TPA_SEED` at every call, never from the global RNG:
        a batch gets the same scores whatever ran before it, on any device.

        Shape:
            ``(B, 3, T, H, W)`` -> ``(K * B, 3, T, H, W)`` (or ``(B, ...)`` when not perturbing).
        """
        if not self.perturbs:
            return x
        if generator is None and not self.training:
            generator = torch.Generator().manual_seed(TEST_TIME_TPA_SEED)
        return self.tpa.views(x, generator)

    def forward_features(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Trunk feature maps of every branch (one batched trunk call when the trunk is shared).

        Shape:
            ``(B, 3, T, H, W)`` -> ``(B, k, C, T // 2, H', W')``, ``k = K`` with TPA, else 1
            (shared trunk) or K (separate trunks, all fed the clean clip).
        """
        batch = x.shape[0]
        views = self.make_views(x, generator)
        if self.trunks is None:
            features = self.trunk(views)
            return features.unflatten(0, (features.shape[0] // batch, batch)).transpose(0, 1)
        # Separate trunks have different weights, so one call per trunk is unavoidable.
        chunks = views.chunk(self.num_branches) if self.perturbs else [x] * self.num_branches
        return torch.stack([trunk(chunk) for trunk, chunk in zip(self.trunks, chunks, strict=True)], dim=1)

    def forward_head(self, features: torch.Tensor) -> ModelOutput:
        """Tokens per branch -> TRFI (or branch mean) -> temporal head.

        Shape:
            ``(B, k, C, T', H', W')`` -> :class:`ModelOutput` (see the class docstring).
        """
        tokens = spatial_tokens(features)
        if self.trfi is None:
            fused = tokens.mean(dim=1)
            return ModelOutput(logit=self.head(fused), tokens=fused)
        mu, sigma, z, fused = self.trfi(tokens, sample=self.training)
        return ModelOutput(logit=self.head(fused), mu=mu, sigma=sigma, z=z, tokens=fused)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> ModelOutput:
        """Full pass; ``generator`` makes the TPA parameters reproducible."""
        check_input(x)
        return self.forward_head(self.forward_features(x, generator))


@register_model("sdr")
def sdr(**options: Any) -> SDR:
    """SDR: TPA branches over a shared FTCN trunk, TRFI posteriors, temporal transformer (SDR_SPEC 2)."""
    return SDR(parse_options(SDRConfig, options))
