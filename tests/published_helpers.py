"""The published checkpoints' key lists, random state dicts laid out like them, and the tests'
reference forward passes: the "original networks" written from the facts in
``../shared/reference_checkpoints/README.md`` (copied to ``tests/data/published``) with torch
functional ops only, driven by the raw published state dict. Independent of ``sdrlib.models``.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

DATA = Path(__file__).parent / "data" / "published"
TSV = {"ftcn-tt": DATA / "ftcn_tt_state_dict.tsv", "altfreezing": DATA / "altfreezing_state_dict.tsv"}
DTYPES = {"float32": torch.float32, "int64": torch.int64}


def read_layout(kind: str) -> tuple[dict[str, tuple[tuple[int, ...], torch.dtype]], int]:
    """``({key: (shape, dtype)}, number of parameters)`` from a published key list."""
    layout, params = {}, 0
    for line in TSV[kind].read_text().splitlines():
        if line.startswith("#"):
            params = int(line.split("model.parameters()):")[1].split(";")[0])
            continue
        key, shape, dtype = line.split("\t")
        layout[key] = (tuple(int(s) for s in shape.split(",")) if shape else (), DTYPES[dtype])
    return layout, params


def random_state(kind: str, seed: int = 0, dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor]:
    """A state dict with every published key and shape, random values of sensible scale.

    BatchNorm scales take both signs, so the order of BN and max-pool changes the output (a max
    commutes only with an increasing affine map).
    """
    layout, _ = read_layout(kind)
    g = torch.Generator().manual_seed(seed)
    out = {}
    for key, (shape, kind_dtype) in layout.items():
        leaf = key.rsplit(".", 1)[-1]
        if kind_dtype == torch.int64:
            out[key] = torch.randint(0, 1000, shape, generator=g)
            continue
        if leaf == "running_var":
            value = torch.rand(shape, generator=g) + 0.5
        elif leaf in ("running_mean", "bias") or key.endswith(("cls_token", "pos_embedding")):
            value = 0.1 * torch.randn(shape, generator=g)
        elif len(shape) == 1:  # BatchNorm and LayerNorm scales
            sign = torch.where(torch.rand(shape, generator=g) < 0.2, -1.0, 1.0)
            value = sign * (torch.rand(shape, generator=g) + 0.5)
        else:  # conv and linear weights: unit gain
            fan_in = int(torch.tensor(shape[1:]).prod())
            value = torch.randn(shape, generator=g) / fan_in**0.5
        out[key] = value.to(dtype)
    return out


def _bn(x: torch.Tensor, sd: dict[str, torch.Tensor], name: str) -> torch.Tensor:
    return F.batch_norm(
        x,
        sd[f"{name}.running_mean"],
        sd[f"{name}.running_var"],
        sd[f"{name}.weight"],
        sd[f"{name}.bias"],
        training=False,
        eps=1e-5,
    )


def _bn_pool(x: torch.Tensor, sd: dict[str, torch.Tensor], name: str, pool_first: bool) -> torch.Tensor:
    """A BN that the published FTCN wraps with its 1x2x2 max-pool (key ``name.0``): BN, then pool."""
    if pool_first:  # the wrong order, for the tests' negative control
        return _bn(F.max_pool3d(x, (1, 2, 2), (1, 2, 2)), sd, f"{name}.0")
    return F.max_pool3d(_bn(x, sd, f"{name}.0"), (1, 2, 2), (1, 2, 2))


def _trunk(
    x: torch.Tensor, sd: dict[str, torch.Tensor], temporal_only: bool, pool_first: bool
) -> torch.Tensor:
    """SlowFast's I3D-R50 pathway 0; FTCN's surgery when ``temporal_only`` (spatial kernels 1,
    stride-2 convs become stride 1 + a max-pool after their BN, no s5)."""
    r = "resnet."
    if temporal_only:
        x = F.conv3d(x, sd[f"{r}s1.pathway0_stem.conv.weight"], padding=(2, 0, 0))
        x = _bn_pool(x, sd, f"{r}s1.pathway0_stem.bn", pool_first)
    else:
        x = F.conv3d(x, sd[f"{r}s1.pathway0_stem.conv.weight"], stride=(1, 2, 2), padding=(2, 3, 3))
        x = _bn(x, sd, f"{r}s1.pathway0_stem.bn")
    x = F.max_pool3d(F.relu(x), (1, 3, 3), (1, 2, 2), (0, 1, 1))
    stages = ((2, 3), (3, 4), (4, 6)) if temporal_only else ((2, 3), (3, 4), (4, 6), (5, 3))
    for stage, blocks in stages:
        for j in range(blocks):
            b = f"{r}s{stage}.pathway0_res{j}."
            down = stage > 2 and j == 0
            wa = sd[f"{b}branch2.a.weight"]
            y = F.relu(_bn(F.conv3d(x, wa, padding=(wa.shape[2] // 2, 0, 0)), sd, f"{b}branch2.a_bn"))
            if temporal_only:
                y = F.conv3d(y, sd[f"{b}branch2.b.weight"])
                y = (
                    _bn_pool(y, sd, f"{b}branch2.b_bn", pool_first)
                    if down
                    else _bn(y, sd, f"{b}branch2.b_bn")
                )
            else:
                stride = (1, 2, 2) if down else 1
                y = _bn(
                    F.conv3d(y, sd[f"{b}branch2.b.weight"], stride=stride, padding=(0, 1, 1)),
                    sd,
                    f"{b}branch2.b_bn",
                )
            y = _bn(F.conv3d(F.relu(y), sd[f"{b}branch2.c.weight"]), sd, f"{b}branch2.c_bn")
            if f"{b}branch1.weight" in sd:
                if temporal_only:
                    s = F.conv3d(x, sd[f"{b}branch1.weight"])
                    s = (
                        _bn_pool(s, sd, f"{b}branch1_bn", pool_first)
                        if down
                        else _bn(s, sd, f"{b}branch1_bn")
                    )
                else:
                    s = _bn(
                        F.conv3d(x, sd[f"{b}branch1.weight"], stride=(1, 2, 2) if down else 1),
                        sd,
                        f"{b}branch1_bn",
                    )
            else:
                s = x
            x = F.relu(y + s)
        if stage == 2:
            x = F.max_pool3d(x, (2, 1, 1), (2, 1, 1))
    return x


def ftcn_reference(
    sd: dict[str, torch.Tensor], x: torch.Tensor, eps: float = 1e-5, pool_first: bool = False
) -> torch.Tensor:
    """FTCN's network: p(fake) for ImageNet-normalised clips ``(B, 3, 32, H, W)``."""
    tokens = _trunk(x, sd, temporal_only=True, pool_first=pool_first).mean(dim=(3, 4)).transpose(1, 2)
    return time_transformer_reference(sd, tokens, eps)


def time_transformer_reference(
    sd: dict[str, torch.Tensor], tokens: torch.Tensor, eps: float = 1e-5
) -> torch.Tensor:
    """vit-pytorch's pre-norm block as FTCN configures it (16 heads x 64, GELU MLP, cls pooling),
    then ``mlp_head`` and the sigmoid: p(fake) for tokens ``(B, 16, 1024)``."""
    t = "resnet.head.time_T."
    batch, dim = tokens.shape[0], tokens.shape[2]
    h = torch.cat([sd[f"{t}cls_token"].expand(batch, -1, -1), tokens], dim=1) + sd[f"{t}pos_embedding"]
    n, layer = h.shape[1], f"{t}transformer.layers.0."
    a = F.layer_norm(h, (dim,), sd[f"{layer}0.fn.norm.weight"], sd[f"{layer}0.fn.norm.bias"], eps)
    q, k, v = (
        z.reshape(batch, n, 16, 64).transpose(1, 2)
        for z in F.linear(a, sd[f"{layer}0.fn.fn.to_qkv.weight"]).chunk(3, -1)
    )
    attn = torch.softmax(q @ k.transpose(-1, -2) * 64**-0.5, dim=-1)
    mixed = (attn @ v).transpose(1, 2).reshape(batch, n, dim)
    h = h + F.linear(mixed, sd[f"{layer}0.fn.fn.to_out.0.weight"], sd[f"{layer}0.fn.fn.to_out.0.bias"])
    f = F.layer_norm(h, (dim,), sd[f"{layer}1.fn.norm.weight"], sd[f"{layer}1.fn.norm.bias"], eps)
    f = F.linear(
        F.gelu(F.linear(f, sd[f"{layer}1.fn.fn.net.0.weight"], sd[f"{layer}1.fn.fn.net.0.bias"])),
        sd[f"{layer}1.fn.fn.net.3.weight"],
        sd[f"{layer}1.fn.fn.net.3.bias"],
    )
    h = h + f
    cls = F.layer_norm(h[:, 0], (dim,), sd[f"{t}mlp_head.0.weight"], sd[f"{t}mlp_head.0.bias"], 1e-5)
    return torch.sigmoid(F.linear(cls, sd[f"{t}mlp_head.1.weight"], sd[f"{t}mlp_head.1.bias"])).squeeze(-1)


def altfreezing_reference(sd: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """AltFreezing's network: the logit for ImageNet-normalised clips ``(B, 3, T, H, W)``
    (global average pooling, dropout (identity in eval), ``head.projection``)."""
    pooled = _trunk(x, sd, temporal_only=False, pool_first=False).mean(dim=(2, 3, 4))
    return F.linear(pooled, sd["resnet.head.projection.weight"], sd["resnet.head.projection.bias"]).squeeze(
        -1
    )
