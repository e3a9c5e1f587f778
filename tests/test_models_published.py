"""Published FTCN / AltFreezing checkpoints mapped onto ``ftcn`` / ``i3d``: keys, shapes and function.

The original code cannot run here, so the "original network" is the tests' reference forward
(``published_helpers``), written from the README's structural facts with functional ops and driven
by a random state dict laid out as the published key lists.
"""

from __future__ import annotations

import pytest
import torch
from published_helpers import (
    altfreezing_reference,
    ftcn_reference,
    random_state,
    read_layout,
    time_transformer_reference,
)

from sdrlib.models import create_model
from sdrlib.models.published import (
    PUBLISHED,
    ConversionError,
    convert_state_dict,
    expected_layout,
    get_spec,
    key_map,
)


@pytest.mark.parametrize("kind", sorted(PUBLISHED))
def test_expected_layout_is_exactly_the_published_key_list(kind):
    layout, params = read_layout(kind)
    ours = expected_layout(get_spec(kind))
    assert ours == layout  # every key, shape and dtype; nothing more, nothing less
    spec = get_spec(kind)
    assert len(ours) == spec.num_keys and params == spec.num_params
    with torch.device("meta"):
        model = create_model(spec.model_name, **spec.model_options)
    assert sum(p.numel() for p in model.parameters()) == params
    assert len(set(key_map(spec).values())) == len(ours)  # one sdrlib tensor per published tensor


def test_ftcn_key_quirks():
    names = key_map(get_spec("ftcn-tt"))
    assert names["trunk.stem.bn.weight"] == "resnet.s1.pathway0_stem.bn.0.weight"
    assert names["trunk.res3.0.bn_b.running_var"] == "resnet.s3.pathway0_res0.branch2.b_bn.0.running_var"
    assert names["trunk.res4.0.short_bn.bias"] == "resnet.s4.pathway0_res0.branch1_bn.0.bias"
    assert names["trunk.res2.0.short_bn.bias"] == "resnet.s2.pathway0_res0.branch1_bn.bias"  # no pool there
    assert sum(".0." in theirs and "bn" in theirs for theirs in names.values()) == 5 * 5  # 5 BNs x 5 tensors
    assert names["head.blocks.0.attn.qkv.weight"].endswith("layers.0.0.fn.fn.to_qkv.weight")
    assert names["head.blocks.0.mlp.fc2.bias"].endswith("layers.0.1.fn.fn.net.3.bias")
    assert names["head.norm.weight"].endswith("time_T.mlp_head.0.weight")
    assert names["head.pos_embed"] == "resnet.head.time_T.pos_embedding"
    alt = key_map(get_spec("altfreezing"))
    assert alt["head.fc.weight"] == "resnet.head.projection.weight"
    assert alt["trunk.stem.bn.weight"] == "resnet.s1.pathway0_stem.bn.weight"
    assert not any(k.startswith("head.norm") for k in alt)  # AltFreezing's head has no LayerNorm


def test_converted_ftcn_computes_the_published_function():
    """Same input, same logit: ours is the logit of the reference's sigmoid output (float64)."""
    spec = get_spec("ftcn-tt")
    state = random_state("ftcn-tt", seed=0, dtype=torch.float64)
    converted = convert_state_dict(spec, state)
    model = create_model("ftcn", **spec.model_options).double().eval()
    model.load_state_dict(converted, strict=True)
    for ours, theirs in key_map(spec).items():  # every published tensor is used, unchanged
        assert torch.equal(model.state_dict()[ours], state[theirs]), ours
    x = torch.randn(2, 3, 32, 16, 16, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    with torch.no_grad():
        logit = model(x).logit
        prob = ftcn_reference(state, x)
        wrong_order = ftcn_reference(state, x, pool_first=True)
    torch.testing.assert_close(torch.sigmoid(logit), prob, rtol=0, atol=1e-10)
    torch.testing.assert_close(logit, torch.logit(prob), rtol=0, atol=1e-8)
    # the test can fail: max-pool before BN (negative BN scales) gives another function
    assert (torch.logit(wrong_order) - logit).abs().max() > 1e-2


def test_transformer_norm_eps_is_what_makes_the_head_match():
    """FTCN's LayerNorms have eps 1e-5; sdrlib's default (timm's) 1e-6 gives another function."""
    state = random_state("ftcn-tt", seed=2, dtype=torch.float64)
    head_state = {
        ours[len("head.") :]: state[theirs]
        for ours, theirs in key_map(get_spec("ftcn-tt")).items()
        if ours.startswith("head.")
    }
    tokens = 3e-3 * torch.randn(2, 16, 1024, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    expected = torch.logit(time_transformer_reference(state, tokens))
    logits = {}
    for eps in (1e-5, 1e-6):
        model = create_model("ftcn", transformer_norm_eps=eps).double().eval()
        model.head.load_state_dict(head_state, strict=True)
        with torch.no_grad():
            logits[eps] = model.head(tokens)
    torch.testing.assert_close(logits[1e-5], expected, rtol=0, atol=1e-10)
    assert (logits[1e-6] - expected).abs().max() > 1e-4
    assert create_model("ftcn", width_mult=0.125).head.blocks[0].norm1.eps == 1e-6  # default unchanged


def test_converted_altfreezing_computes_the_published_function():
    spec = get_spec("altfreezing")
    state = random_state("altfreezing", seed=0, dtype=torch.float64)
    # the pooling head has no positions: 4 frames give the same weights and a cheap forward
    model = create_model("i3d", **{**spec.model_options, "num_frames": 4}).double().eval()
    model.load_state_dict(convert_state_dict(spec, state), strict=True)
    assert model.head.drop.p == 0.5 and isinstance(model.head.norm, torch.nn.Identity)
    x = torch.randn(2, 3, 4, 32, 32, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(model(x).logit, altfreezing_reference(state, x), rtol=0, atol=1e-10)


def test_wrong_keys_fail_with_their_names():
    spec = get_spec("ftcn-tt")
    state = random_state("ftcn-tt")
    bad = dict(state)
    del bad["resnet.head.time_T.mlp_head.1.bias"]
    bad["resnet.head.extra.weight"] = torch.zeros(3)
    bad["resnet.s1.pathway0_stem.conv.weight"] = torch.zeros(64, 3, 5, 7, 7)
    with pytest.raises(ConversionError) as info:
        convert_state_dict(spec, bad, where="x.pth")
    message = str(info.value)
    assert "\n" not in message and message.startswith("x.pth does not match FTCN")
    assert "1 missing key: resnet.head.time_T.mlp_head.1.bias" in message
    assert "1 unexpected key: resnet.head.extra.weight" in message
    assert "resnet.s1.pathway0_stem.conv.weight (file 64x3x5x7x7, expected 64x3x5x1x1)" in message
    ints = dict(state, **{"resnet.head.time_T.cls_token": torch.zeros(1, 1, 1024, dtype=torch.int64)})
    with pytest.raises(
        ConversionError, match=r"wrong dtype key: resnet\.head\.time_T\.cls_token \(torch\.int64"
    ):
        convert_state_dict(spec, ints)


def test_the_other_model_is_recognised():
    with pytest.raises(ConversionError, match="look like AltFreezing.*sdr convert altfreezing"):
        convert_state_dict(get_spec("ftcn-tt"), random_state("altfreezing"))
    with pytest.raises(ConversionError, match="missing keys.*look like FTCN.*sdr convert ftcn-tt"):
        convert_state_dict(get_spec("altfreezing"), random_state("ftcn-tt"))


def test_model_options_for_the_published_heads():
    with pytest.raises(ValueError, match="transformer_norm_eps must be > 0"):
        create_model("ftcn", transformer_norm_eps=0.0)
    plain = create_model("i3d", width_mult=0.125, depth_mult=0.25, temporal_transformer=False)
    bare = create_model(
        "i3d", width_mult=0.125, depth_mult=0.25, temporal_transformer=False, pool_head_norm=False
    )
    assert set(plain.state_dict()) - set(bare.state_dict()) == {"head.norm.weight", "head.norm.bias"}
    sdr = create_model("sdr", width_mult=0.125, depth_mult=0.25, transformer_norm_eps=1e-5)
    assert sdr.head.blocks[0].norm2.eps == 1e-5
