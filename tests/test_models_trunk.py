"""The I3D-R50 trunk in its FTCN and I3D layouts (SDR_SPEC section 4)."""

from __future__ import annotations

import copy

import pytest
import torch
import torch._dynamo
from torch import nn

from sdrlib.models import create_model
from sdrlib.models.resnet3d import Bottleneck3d, ResNet3dTrunk, fold_batchnorm, scaled_depth, scaled_width

TINY = {"width_mult": 0.125, "depth_mult": 0.25, "num_frames": 4, "input_size": 32}


def _convs(model: nn.Module) -> list[nn.Conv3d]:
    return [m for m in model.modules() if isinstance(m, nn.Conv3d)]


def test_full_size_ftcn_parameters_and_shape():
    """SDR_SPEC 4: 14.76 M parameters and 1024 x 16 x 14 x 14 features for a 32x224x224 clip."""
    with torch.device("meta"):
        model = create_model("ftcn")
        x = torch.empty(2, 3, 32, 224, 224)
        features = model.forward_features(x)
        out = model(x)
    params = sum(p.numel() for p in model.parameters())
    assert abs(params - 14.76e6) / 14.76e6 < 0.01, params
    assert features.shape == (2, 1024, 16, 14, 14)
    assert out.logit.shape == (2,) and out.tokens.shape == (2, 16, 1024)
    head = model.head
    assert len(head.blocks) == 1 and head.blocks[0].attn.num_heads == 16
    assert head.blocks[0].mlp.fc1.out_features == 2048


def test_full_size_i3d_shape():
    with torch.device("meta"):
        model = create_model("i3d")
        features = model.forward_features(torch.empty(1, 3, 32, 224, 224))
    assert features.shape == (1, 2048, 16, 7, 7)


def test_ftcn_layout_facts():
    trunk = ResNet3dTrunk(temporal_only=True, include_res5=False)
    assert all(c.kernel_size[1:] == (1, 1) and c.stride[1:] == (1, 1) for c in _convs(trunk))
    assert trunk.stem.conv.kernel_size == (5, 1, 1)
    kernels = [[b.conv_a.kernel_size[0] for b in getattr(trunk, f"res{i}")] for i in (2, 3, 4)]
    assert kernels == [[3, 3, 3], [3, 1, 3, 1], [3, 1, 3, 1, 3, 1]]
    assert not hasattr(trunk, "res5")
    pooled = [
        name
        for name, m in trunk.named_modules()
        if isinstance(m, nn.MaxPool3d) and m.kernel_size == (1, 2, 2)
    ]
    assert sorted(pooled) == sorted(
        ["stem.pool_conv", "res3.0.pool_b", "res3.0.short_pool", "res4.0.pool_b", "res4.0.short_pool"]
    )
    assert trunk.temporal_pool.kernel_size == (2, 1, 1)
    assert all(
        float(b.bn_c.weight.detach().abs().sum()) == 0 for b in trunk.modules() if isinstance(b, Bottleneck3d)
    )


def test_i3d_has_spatial_kernels_and_res5():
    model = create_model("i3d", **TINY)
    assert any(c.kernel_size[1] > 1 for c in _convs(model))
    assert [c.kernel_size for c in _convs(model.trunk.stem)] == [(5, 7, 7)]
    assert hasattr(model.trunk, "res5")
    ftcn = create_model("ftcn", **TINY)
    assert all(c.kernel_size[1:] == (1, 1) for c in _convs(ftcn))


def test_width_and_depth_multipliers():
    assert scaled_width(64, 0.25) == 16 and scaled_width(64, 0.01) == 8 and scaled_width(100, 1.0) == 96
    assert scaled_depth(6, 0.25) == 2 and scaled_depth(3, 0.1) == 1
    model = create_model("ftcn", width_mult=0.25, depth_mult=0.5, num_frames=8, input_size=64)
    assert [len(getattr(model.trunk, f"res{i}")) for i in (2, 3, 4)] == [2, 2, 3]
    features = model.forward_features(torch.randn(1, 3, 8, 64, 64))
    assert features.shape == (1, 256, 4, 4, 4)
    assert model.head.blocks[0].attn.num_heads == 4


@pytest.mark.parametrize("name", ["i3d", "sdr"])
def test_no_graph_breaks(name):
    """One graph for the whole model in training mode (sdr: TPA + FTCN trunk + TRFI + head)."""
    model = create_model(name, **TINY).train()
    torch._dynamo.reset()
    report = torch._dynamo.explain(model)(torch.randn(2, 3, 4, 32, 32))
    torch._dynamo.reset()
    assert report.graph_break_count == 0, report.break_reasons
    assert report.graph_count == 1


def test_channels_last_is_kept_through_the_trunk():
    model = create_model("ftcn", **TINY).to_channels_last()
    x = torch.randn(2, 3, 4, 32, 32).contiguous(memory_format=torch.channels_last_3d)
    assert model.forward_features(x).is_contiguous(memory_format=torch.channels_last_3d)
    reference = create_model("ftcn", **TINY)
    reference.load_state_dict(model.state_dict())
    torch.testing.assert_close(
        model.eval()(x).logit, reference.eval()(x.contiguous()).logit, rtol=1e-4, atol=1e-5
    )


@pytest.mark.parametrize("name", ["ftcn", "i3d", "sdr"])
def test_folded_batchnorm_scores_as_the_model_it_came_from(name):
    """fold_batchnorm (evaluation only) gives the logits of the eval-mode model with its BatchNorms,
    whose running statistics here are not the identity; no BatchNorm is left in the trunk."""
    torch.manual_seed(0)
    model = create_model(name, width_mult=0.25, depth_mult=0.34, num_frames=8, input_size=32)
    with torch.no_grad():
        for _ in range(3):
            model(torch.rand(4, 3, 8, 32, 32) * 2)  # training mode: moves the running statistics
    with pytest.raises(ValueError, match="eval mode"):
        fold_batchnorm(model)
    model.eval()
    x = torch.rand(6, 3, 8, 32, 32)
    with torch.no_grad():
        expected = model(x).logit
        folded = fold_batchnorm(copy.deepcopy(model))
        got = folded(x).logit
    assert torch.allclose(got, expected, atol=1e-5), (got - expected).abs().max()
    trunk_bns = [m for n, m in folded.named_modules() if "trunk" in n and isinstance(m, torch.nn.BatchNorm3d)]
    assert not trunk_bns
