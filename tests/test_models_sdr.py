"""The ``sdr`` model (SDR_SPEC section 2): branches, TRFI, the K=1 reduction to ftcn, gradients."""

from __future__ import annotations

import pytest
import torch

from sdrlib.augment import DEFAULT_OPS
from sdrlib.config import ConfigError
from sdrlib.models import create_model
from sdrlib.models.resnet3d import Bottleneck3d, ResNet3dTrunk

TRUNK = {"width_mult": 0.125, "depth_mult": 0.25, "num_frames": 4, "input_size": 32}
B = 2


def _x(seed: int = 0) -> torch.Tensor:
    return torch.randn(B, 3, 4, 32, 32, generator=torch.Generator().manual_seed(seed))


def _sdr(seed: int = 0, **options) -> torch.nn.Module:
    torch.manual_seed(seed)
    return create_model("sdr", **TRUNK, **options)


def _count_trunk_calls(trunk: torch.nn.Module) -> list[int]:
    batches: list[int] = []
    trunk.register_forward_hook(lambda module, args, out: batches.append(args[0].shape[0]))
    return batches


def test_k1_without_trfi_is_exactly_ftcn():
    torch.manual_seed(0)
    ftcn = create_model("ftcn", **TRUNK)
    sdr = _sdr(seed=0, K=1, trfi=False)
    ftcn_state, sdr_state = ftcn.state_dict(), sdr.state_dict()
    assert list(ftcn_state) == list(sdr_state)
    assert all(ftcn_state[k].shape == sdr_state[k].shape for k in ftcn_state)
    assert all(torch.equal(ftcn_state[k], sdr_state[k]) for k in ftcn_state), "same seed, same weights"
    other = _sdr(seed=1, K=1, trfi=False)
    other.load_state_dict(ftcn_state)
    x = _x()
    for mode in ("eval", "train"):
        ftcn.train(mode == "train")
        other.train(mode == "train")
        torch.manual_seed(5)
        ftcn_out = ftcn(x)
        torch.manual_seed(5)
        sdr_out = other(x)
        assert torch.equal(ftcn_out.logit, sdr_out.logit), mode
        assert torch.equal(ftcn_out.tokens, sdr_out.tokens), mode
        assert sdr_out.mu is None


@pytest.mark.parametrize("k", [2, 4])
def test_branches_run_through_one_batched_trunk_call(k):
    model = _sdr(K=k).train()
    calls = _count_trunk_calls(model.trunk)
    out = model(_x())
    assert calls == [B * k]
    assert out.mu.shape == (B, k, 2, 256)
    model.eval()
    calls.clear()
    model(_x())
    assert calls == [B], "inference runs the clean clip once"


def test_separate_trunks_one_call_each():
    model = _sdr(K=3, separate_trunks=True).train()
    assert isinstance(model.trunks[0], ResNet3dTrunk) and not hasattr(model, "trunk")
    calls = [_count_trunk_calls(trunk) for trunk in model.trunks]
    out = model(_x())
    assert calls == [[B], [B], [B]]
    assert out.mu.shape == (B, 3, 2, 256)


def test_gradients_reach_every_parameter():
    """BCE-like term on the logit + a stand-in term on mu/sigma (the real losses live in sdrlib.losses)."""
    model = _sdr(K=4, fusion="precision").train()
    for block in model.modules():
        if isinstance(block, Bottleneck3d):  # zero-init last BN would block the gradient of conv_c
            torch.nn.init.ones_(block.bn_c.weight)
    out = model(_x())
    loss = out.logit.sum() + out.mu.pow(2).mean() + out.sigma.log().mean()
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not bool(p.grad.abs().sum() > 0)]
    assert not missing, missing


def test_posterior_contract_and_eval_fusion():
    model = _sdr(K=3, latent_dim=16).train()
    torch.manual_seed(1)
    out = model(_x())
    assert out.mu.shape == out.sigma.shape == out.z.shape == (B, 3, 2, 16)
    assert out.mu.dtype == torch.float32 and bool((out.sigma > 0).all())
    assert not torch.equal(out.z, out.mu), "training samples z = mu + sigma * eps"
    model.eval()
    out = model(_x())
    assert torch.equal(out.z, out.mu), "inference uses the means"
    expected = model.trfi.proj(out.mu.mean(dim=1))
    torch.testing.assert_close(out.tokens, expected)


def test_tpa_generator_and_test_time_tpa():
    model = _sdr(K=2, test_time_tpa=True, drop_rate=0.0).eval()
    calls = _count_trunk_calls(model.trunk)
    a = model(_x(), generator=torch.Generator().manual_seed(3)).logit
    b = model(_x(), generator=torch.Generator().manual_seed(3)).logit
    c = model(_x(), generator=torch.Generator().manual_seed(4)).logit
    assert calls == [2 * B] * 3
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_test_time_tpa_scores_do_not_depend_on_the_global_rng():
    """Issue 11, item 18: test-time TPA drew from the global RNG, so a score changed with what ran before."""
    model = _sdr(K=2, test_time_tpa=True, drop_rate=0.0).eval()
    torch.manual_seed(1)
    a = model(_x()).logit
    torch.manual_seed(2)
    torch.rand(7)
    b = model(_x()).logit
    assert torch.equal(a, b)
    assert not torch.equal(a, model.train()(_x()).logit)  # training draws fresh views every call
    state = torch.get_rng_state()
    model.eval()(_x())
    assert torch.equal(state, torch.get_rng_state())  # and inference leaves the global stream alone


def test_ablation_switches():
    out = _sdr(K=2, trfi=False).train()(_x())
    assert out.mu is None and out.tokens.shape == (B, 2, 32 * 4)
    model = _sdr(K=2, temporal_transformer=False)
    assert not hasattr(model.head, "blocks")
    assert model(_x()).logit.shape == (B,)


def test_clean_view_adds_an_identity_branch_that_sees_the_clean_clip():
    model = _sdr(K=3, clean_view=True).train()
    assert model.tpa.ops == [*DEFAULT_OPS[:3], "identity"] and model.num_branches == 4
    calls = _count_trunk_calls(model.trunk)
    x = _x()
    views = model.make_views(x, torch.Generator().manual_seed(0))
    assert torch.equal(views[3 * B :], x), "the last view is the clean clip, bit for bit"
    out = model(x)
    assert calls == [4 * B] and out.mu.shape == (B, 4, 2, 256)
    model.eval()
    assert model(x).mu.shape == (B, 4, 2, 256)  # at inference every head, the clean one included
    with pytest.raises(ConfigError, match="already has one"):
        create_model("sdr", **TRUNK, K=1, clean_view=True)


def test_branch_op_defaults_and_validation():
    assert create_model("sdr", **TRUNK, K=1).cfg.branch_ops == ["identity"]
    assert create_model("sdr", **TRUNK, K=4).cfg.branch_ops == list(DEFAULT_OPS)
    assert create_model("sdr", **TRUNK, K=5).cfg.branch_ops[-1] == "gaussian_noise"
    custom = create_model("sdr", **TRUNK, K=2, branch_ops=["hue", "gaussian_noise"], tpa_strength=0.5)
    assert custom.tpa.ops == ["hue", "gaussian_noise"] and custom.tpa.strength == 0.5
    with pytest.raises(ConfigError, match="one op per branch"):
        create_model("sdr", **TRUNK, K=3, branch_ops=["hue"])
    with pytest.raises(ConfigError, match="unknown TPA op"):
        create_model("sdr", **TRUNK, K=1, branch_ops=["emboss"])
    with pytest.raises(ConfigError, match="K must be"):
        create_model("sdr", K=6)
    with pytest.raises(ConfigError, match="not one of"):
        create_model("sdr", fusion="max")
