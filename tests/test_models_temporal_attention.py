"""Attention maps of the temporal transformer (TemporalTransformer.attention_maps)."""

from __future__ import annotations

import torch

from sdrlib.models.temporal_transformer import TemporalTransformer


def _head(depth: int = 1) -> TemporalTransformer:
    torch.manual_seed(0)
    return TemporalTransformer(dim=64, num_tokens=4, depth=depth).eval()


def test_maps_are_softmax_rows_of_every_block_and_head():
    head = _head(depth=2)
    tokens = torch.randn(3, 4, 64)
    maps = head.attention_maps(tokens)
    assert maps.shape == (3, 2, 1, 5, 5)
    torch.testing.assert_close(maps.sum(-1), torch.ones(3, 2, 1, 5))
    assert bool((maps >= 0).all())


def test_maps_reproduce_what_the_attention_layer_computes():
    head = _head()
    tokens = torch.randn(2, 4, 64)
    block = head.blocks[0]
    x = block.norm1(head.embed(tokens))
    attn = block.attn
    v = attn.qkv(x).reshape(2, 5, 3, attn.num_heads, attn.head_dim).permute(2, 0, 3, 1, 4)[2]
    weights = head.attention_maps(tokens)[:, 0]
    mixed = (weights @ v).transpose(1, 2).reshape(2, 5, 64)
    torch.testing.assert_close(attn.proj(mixed), attn(x), rtol=1e-5, atol=1e-5)


def test_embed_prepends_cls_and_forward_is_unchanged():
    head = _head()
    tokens = torch.randn(2, 4, 64)
    x = head.embed(tokens)
    assert x.shape == (2, 5, 64)
    torch.testing.assert_close(x[:, 0], (head.cls_token + head.pos_embed[:, :1]).expand(2, -1, -1)[:, 0])
    expected = head.fc(head.norm(head.blocks(x)[:, 0])).squeeze(-1)
    torch.testing.assert_close(head(tokens), expected)


def test_maps_depend_on_the_tokens():
    head = _head()
    tokens = torch.randn(1, 4, 64)
    changed = tokens.clone()
    changed[0, 2] = 3.0 * torch.randn(64)  # LayerNorm would undo a constant shift
    assert not torch.allclose(head.attention_maps(tokens), head.attention_maps(changed))
