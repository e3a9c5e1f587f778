"""FTCN's temporal transformer head (SDR_SPEC section 2.5; book chapter
'The temporal transformer').

The trunk's feature map is averaged over space, one token per time step; a learned cls token and
learned positions are added, one pre-norm transformer block (FTCN: 16 heads x 64, MLP 2048, GELU,
dropout 0.1) mixes the tokens, and LayerNorm + Linear(1) on the cls token give the clip logit. The
block is timm's ViT ``Block`` (pre-norm attention with no qkv bias, as in FTCN, and a GELU MLP).
For narrower trunks the head keeps 64 dimensions per head and an MLP of twice the width, so a
``width_mult = 0.25`` FTCN has 4 heads and an MLP of 512.

The blocks' two LayerNorms use timm's eps of 1e-6 by default; FTCN's published network uses
PyTorch's default 1e-5 there, so ``norm_eps`` lets a converted checkpoint compute exactly the
published function (``docs/published_detectors.md``). The final LayerNorm has 1e-5 in both.

:class:`TemporalPoolHead` is the "w/o temporal transformer" ablation: mean over time + linear.
With ``norm=False`` (no LayerNorm) it is AltFreezing's head: global average pooling, dropout,
linear.
"""

from __future__ import annotations

from functools import partial

import torch
from timm.layers import LayerNorm, trunc_normal_
from timm.models.vision_transformer import Block
from torch import nn

HEAD_DIM = 64
MLP_RATIO = 2.0
#: eps of the LayerNorms inside the transformer blocks: timm's default (FTCN's code: 1e-5).
BLOCK_NORM_EPS = 1e-6


def default_num_heads(dim: int) -> int:
    """``dim // 64`` heads (16 at FTCN's 1024), lowered to a divisor of ``dim``, at least 1."""
    heads = max(1, dim // HEAD_DIM)
    while dim % heads:
        heads -= 1
    return heads


def spatial_tokens(features: torch.Tensor) -> torch.Tensor:
    """Average a trunk feature map over space: one token per time step.

    Shape:
        features: ``(..., C, T', H', W')`` -> ``(..., T', C)``.
    """
    return features.mean(dim=(-2, -1)).transpose(-1, -2)


def _check_tokens(tokens: torch.Tensor, num_tokens: int, dim: int) -> None:
    if tokens.dim() != 3 or tokens.shape[1] != num_tokens or tokens.shape[2] != dim:
        raise ValueError(
            f"temporal head expects tokens of shape (B, {num_tokens}, {dim}), got {tuple(tokens.shape)}; "
            f"the model is configured for num_frames={2 * num_tokens} (one token per 2 frames)"
        )


class TemporalTransformer(nn.Module):
    """cls token + learned positions + ``depth`` pre-norm blocks + LayerNorm + Linear(1).

    Args:
        dim: token width (the trunk's output channels).
        num_tokens: tokens per clip (``num_frames // 2``).
        depth: transformer blocks (FTCN: 1).
        num_heads: attention heads (default :func:`default_num_heads`).
        mlp_ratio: MLP hidden size / ``dim`` (FTCN: 2048 / 1024).
        drop_rate: dropout on attention weights, attention output and MLP (FTCN: 0.1).
        norm_eps: eps of the blocks' LayerNorms (default timm's 1e-6; FTCN's published code 1e-5).

    Shape:
        tokens ``(B, num_tokens, dim)`` -> logit ``(B,)``.
    """

    def __init__(
        self,
        dim: int,
        num_tokens: int,
        depth: int = 1,
        num_heads: int | None = None,
        mlp_ratio: float = MLP_RATIO,
        drop_rate: float = 0.1,
        norm_eps: float = BLOCK_NORM_EPS,
    ) -> None:
        super().__init__()
        self.dim, self.num_tokens = dim, num_tokens
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_tokens + 1, dim))
        heads = num_heads or default_num_heads(dim)
        self.blocks = nn.Sequential(
            *[
                Block(
                    dim,
                    heads,
                    mlp_ratio,
                    qkv_bias=False,
                    proj_drop=drop_rate,
                    attn_drop=drop_rate,
                    norm_layer=partial(LayerNorm, eps=norm_eps),
                )
                for _ in range(depth)
            ]
        )
        self.norm = nn.LayerNorm(dim)
        self.fc = nn.Linear(dim, 1)
        trunc_normal_(self.cls_token, std=0.02)
        trunc_normal_(self.pos_embed, std=0.02)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                trunc_normal_(module.weight, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        """Prepend the cls token and add the learned positions.

        Shape:
            tokens ``(B, num_tokens, dim)`` -> ``(B, num_tokens + 1, dim)``, the cls token first.
        """
        _check_tokens(tokens, self.num_tokens, self.dim)
        cls = self.cls_token.expand(tokens.shape[0], -1, -1).to(tokens.dtype)
        return torch.cat([cls, tokens], dim=1) + self.pos_embed.to(tokens.dtype)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.embed(tokens))
        return self.fc(self.norm(x[:, 0])).squeeze(-1)

    def attention_maps(self, tokens: torch.Tensor) -> torch.Tensor:
        """The attention weights of every block and head, as the forward pass computes them.

        Recomputed from each block's own (pre-norm) query and key projections, without dropout:
        row ``i`` of a map is the softmax over the ``num_tokens + 1`` positions that position
        ``i`` attends to (row 0 is the cls token, whose output the classifier reads). Used by
        the book chapter 'temporal transformer' to show which time steps a decision rests on.

        Shape:
            tokens ``(B, num_tokens, dim)`` -> ``(B, depth, heads, num_tokens + 1, num_tokens + 1)``.
        """
        x = self.embed(tokens)
        maps = []
        for block in self.blocks:
            attn = block.attn
            batch, length, _ = x.shape
            qkv = attn.qkv(block.norm1(x)).reshape(batch, length, 3, attn.num_heads, attn.head_dim)
            q, k, _ = qkv.permute(2, 0, 3, 1, 4).unbind(0)
            q, k = attn.q_norm(q), attn.k_norm(k)
            maps.append(((q * attn.scale) @ k.transpose(-2, -1)).softmax(dim=-1))
            x = block(x)
        return torch.stack(maps, dim=1)


class TemporalPoolHead(nn.Module):
    """Mean over time, LayerNorm, dropout, Linear(1): the "w/o temporal transformer" head.

    ``norm=False`` drops the LayerNorm: global average pooling, dropout, linear, as AltFreezing's
    head (the tokens are spatial means, so their mean over time is the mean over T x H x W).

    Shape:
        tokens ``(B, num_tokens, dim)`` -> logit ``(B,)``.
    """

    def __init__(self, dim: int, num_tokens: int, drop_rate: float = 0.1, norm: bool = True) -> None:
        super().__init__()
        self.dim, self.num_tokens = dim, num_tokens
        self.norm = nn.LayerNorm(dim) if norm else nn.Identity()
        self.drop = nn.Dropout(drop_rate)
        self.fc = nn.Linear(dim, 1)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        _check_tokens(tokens, self.num_tokens, self.dim)
        return self.fc(self.drop(self.norm(tokens.mean(dim=1)))).squeeze(-1)


def build_temporal_head(
    dim: int,
    num_tokens: int,
    transformer: bool,
    drop_rate: float,
    norm_eps: float = BLOCK_NORM_EPS,
    pool_norm: bool = True,
) -> nn.Module:
    """The temporal transformer (``transformer=True``, blocks' LayerNorm eps ``norm_eps``) or the
    temporal pooling head (with a LayerNorm when ``pool_norm``)."""
    if transformer:
        return TemporalTransformer(dim, num_tokens, drop_rate=drop_rate, norm_eps=norm_eps)
    return TemporalPoolHead(dim, num_tokens, drop_rate=drop_rate, norm=pool_norm)
