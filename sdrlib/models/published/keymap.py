"""Where each tensor of a published checkpoint goes in ``sdrlib``'s ``ftcn`` and ``i3d``.

Two published video detectors share SDR's trunk (SDR_SPEC section 4; book chapter 'your own
video'; facts in ``../shared/reference_checkpoints/README.md``, summarised in
``docs/published_detectors.md``):

* **FTCN** (Zheng et al., ICCV 2021), ``ftcn_tt.pth``: the fully temporal I3D-R50 (s1-s4) and the
  time transformer, 275 keys under ``resnet.``. The five BatchNorms that follow a former stride-2
  conv are wrapped with their ``1x2x2`` max-pool, so their keys carry an extra ``.0.``
  (``s1.pathway0_stem.bn.0.*``, ``s{3,4}.pathway0_res0.branch1_bn.0.*`` and ``branch2.b_bn.0.*``);
  the transformer is vit-pytorch's (``to_qkv``, ``to_out.0``, ``net.0``/``net.3``, ``mlp_head``).
  The network ends in a sigmoid; ``ftcn`` returns the logit of that probability.
* **AltFreezing** (Wang et al., CVPR 2023), ``model.pth``: the plain I3D-R50 (s1-s5) with a
  global-average-pooling head, dropout 0.5 and ``head.projection`` (a logit), 320 keys.

The maps are derived from the modules of a full-size ``sdrlib`` model, so every tensor of the model
has exactly one published name; the tests check the result against the published key lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from sdrlib.models.registry import create_model

#: FTCN's demo template: eyes, nose tip, mouth corners in a 224 x 224 crop (x, y).
FTCN_TEMPLATE_224: tuple[tuple[float, float], ...] = (
    (75.10, 75.06),
    (147.92, 73.80),
    (111.63, 119.88),
    (79.36, 152.86),
    (146.39, 151.70),
)


@dataclass(frozen=True)
class PublishedSpec:
    """One published checkpoint: what it holds and the ``sdrlib`` model that computes its function.

    Attributes:
        name: the ``sdr convert`` kind.
        title: the paper and file name.
        model_name: registered ``sdrlib`` model.
        model_options: options that make that model the published network.
        num_keys: entries of the published state dict.
        num_params: parameters of the published network.
        wrappers: mapping keys the original loader unwraps (``{"state_dict": ...}``).
        prefixes: key prefixes the original loader strips, in this order, from each key.
        outputs_probability: the published network ends in a sigmoid (``ftcn`` returns the logit).
        clip_len: frames per clip of the published model.
        input_size: its crop side in pixels.
        demo_threshold: the threshold of its demo (never used: it flags real videos as fake).
        demo_max_frames: frames its demo reads at most.
    """

    name: str
    title: str
    model_name: str
    model_options: dict[str, Any] = field(default_factory=dict)
    num_keys: int = 0
    num_params: int = 0
    wrappers: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    outputs_probability: bool = False
    clip_len: int = 32
    input_size: int = 224
    demo_threshold: float = 0.5
    demo_max_frames: int = 0


PUBLISHED: dict[str, PublishedSpec] = {
    "ftcn-tt": PublishedSpec(
        name="ftcn-tt",
        title="FTCN (Zheng et al., ICCV 2021), ftcn_tt.pth",
        model_name="ftcn",
        model_options={"num_frames": 32, "input_size": 224, "transformer_norm_eps": 1e-5},
        num_keys=275,
        num_params=14_765_889,
        prefixes=("module.",),
        outputs_probability=True,
        demo_threshold=0.002584857167676091,
        demo_max_frames=768,
    ),
    "altfreezing": PublishedSpec(
        name="altfreezing",
        title="AltFreezing (Wang et al., CVPR 2023), model.pth",
        model_name="i3d",
        model_options={
            "num_frames": 32,
            "input_size": 224,
            "temporal_transformer": False,
            "pool_head_norm": False,
            "drop_rate": 0.5,
        },
        num_keys=320,
        num_params=27_225_921,
        wrappers=("state_dict",),
        prefixes=("module.", "network."),
        demo_threshold=0.04,
        demo_max_frames=400,
    ),
}


def get_spec(name: str) -> PublishedSpec:
    """The :class:`PublishedSpec` called ``name`` (``ftcn-tt`` or ``altfreezing``)."""
    if name not in PUBLISHED:
        raise KeyError(f"unknown published checkpoint {name!r}; known: {sorted(PUBLISHED)}")
    return PUBLISHED[name]


def build_model(spec: PublishedSpec, meta_device: bool = False) -> nn.Module:
    """The full-size ``sdrlib`` model of ``spec`` (on the ``meta`` device: names and shapes only)."""
    if meta_device:
        with torch.device("meta"):
            return create_model(spec.model_name, **spec.model_options)
    return create_model(spec.model_name, **spec.model_options)


def _is_pool(module: nn.Module) -> bool:
    return isinstance(module, nn.MaxPool3d)


def _trunk_names(trunk: nn.Module) -> dict[str, str]:
    """``{sdrlib module path: published module path}`` for every conv and BN of a trunk."""
    stem_bn = "resnet.s1.pathway0_stem.bn" + (".0" if _is_pool(trunk.stem.pool_conv) else "")
    names = {"trunk.stem.conv": "resnet.s1.pathway0_stem.conv", "trunk.stem.bn": stem_bn}
    for stage in range(2, 6):
        blocks = getattr(trunk, f"res{stage}", None)
        if blocks is None:
            continue
        for index, block in enumerate(blocks):
            ours, theirs = f"trunk.res{stage}.{index}", f"resnet.s{stage}.pathway0_res{index}"
            pooled = ".0" if _is_pool(block.pool_b) else ""
            names.update(
                {
                    f"{ours}.conv_a": f"{theirs}.branch2.a",
                    f"{ours}.bn_a": f"{theirs}.branch2.a_bn",
                    f"{ours}.conv_b": f"{theirs}.branch2.b",
                    f"{ours}.bn_b": f"{theirs}.branch2.b_bn{pooled}",
                    f"{ours}.conv_c": f"{theirs}.branch2.c",
                    f"{ours}.bn_c": f"{theirs}.branch2.c_bn",
                }
            )
            if block.has_shortcut:
                short_pooled = ".0" if _is_pool(block.short_pool) else ""
                names[f"{ours}.short_conv"] = f"{theirs}.branch1"
                names[f"{ours}.short_bn"] = f"{theirs}.branch1_bn{short_pooled}"
    return names


def _head_names(head: nn.Module) -> dict[str, str]:
    """``{sdrlib path: published path}`` of the head: FTCN's time transformer or a linear head."""
    if not hasattr(head, "blocks"):
        if not isinstance(head.norm, nn.Identity):
            raise ValueError("no published checkpoint has a pooling head with a LayerNorm")
        return {"head.fc": "resnet.head.projection"}
    t = "resnet.head.time_T"
    names = {
        "head.cls_token": f"{t}.cls_token",
        "head.pos_embed": f"{t}.pos_embedding",
        "head.norm": f"{t}.mlp_head.0",
        "head.fc": f"{t}.mlp_head.1",
    }
    for i in range(len(head.blocks)):
        layer = f"{t}.transformer.layers.{i}"
        names.update(
            {
                f"head.blocks.{i}.norm1": f"{layer}.0.fn.norm",
                f"head.blocks.{i}.attn.qkv": f"{layer}.0.fn.fn.to_qkv",
                f"head.blocks.{i}.attn.proj": f"{layer}.0.fn.fn.to_out.0",
                f"head.blocks.{i}.norm2": f"{layer}.1.fn.norm",
                f"head.blocks.{i}.mlp.fc1": f"{layer}.1.fn.fn.net.0",
                f"head.blocks.{i}.mlp.fc2": f"{layer}.1.fn.fn.net.3",
            }
        )
    return names


def key_map(spec: PublishedSpec) -> dict[str, str]:
    """``{sdrlib state-dict key: published state-dict key}``, one entry per tensor of the model.

    Raises:
        ValueError: a tensor of the model has no published name (the model options do not make
            the published network).
    """
    model = build_model(spec, meta_device=True)
    modules = {**_trunk_names(model.trunk), **_head_names(model.head)}
    out = {}
    for key in model.state_dict():
        if key in modules:  # parameters held directly by the head (cls token, positions)
            out[key] = modules[key]
            continue
        module, _, leaf = key.rpartition(".")
        if module not in modules:
            raise ValueError(f"{spec.name}: the model's tensor {key} has no published counterpart")
        out[key] = f"{modules[module]}.{leaf}"
    return out


def expected_layout(spec: PublishedSpec) -> dict[str, tuple[tuple[int, ...], torch.dtype]]:
    """``{published key: (shape, dtype)}`` that a released file of ``spec`` holds.

    Shape:
        shapes are the full-size model's; 0-dim ``()`` for the ``num_batches_tracked`` counters.
    """
    model = build_model(spec, meta_device=True)
    state = model.state_dict()
    return {theirs: (tuple(state[ours].shape), state[ours].dtype) for ours, theirs in key_map(spec).items()}
