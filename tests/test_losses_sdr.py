"""SDRLoss (eq. 6): composition, warm-up, every loss choice, baselines and numerical safety."""

from __future__ import annotations

import pytest
import torch

from sdrlib.config import ConfigError, from_dict
from sdrlib.losses import (
    CON_LOSSES,
    MI_LOSSES,
    LossConfig,
    SDRLoss,
    bce_loss,
    cross_branch_infonce,
    mi_warmup_weight,
    symmetric_kl_loss,
)
from sdrlib.models.base import ModelOutput

KEYS = {"loss", "bce", "mi", "con", "lambda_mi"}


def _sdr_output(b=4, k=4, t=3, d=8, seed=0, sigma_value=None, grad=False):
    gen = torch.Generator().manual_seed(seed)
    logit = torch.randn(b, generator=gen)
    mu = torch.randn(b, k, t, d, generator=gen)
    sigma = (
        torch.rand(b, k, t, d, generator=gen) + 0.1
        if sigma_value is None
        else torch.full((b, k, t, d), sigma_value)
    )
    if grad:
        logit, mu, sigma = (x.requires_grad_(True) for x in (logit, mu, sigma))
    z = mu + sigma * torch.randn(b, k, t, d, generator=gen)
    return ModelOutput(logit=logit, mu=mu, sigma=sigma, z=z, tokens=None)


def _labels(b=4):
    return torch.arange(b) % 2


def _check(result):
    assert set(result) == KEYS
    for key, value in result.items():
        assert value.dim() == 0 and value.dtype == torch.float32 and torch.isfinite(value), key


def test_defaults_follow_the_spec_and_total_is_eq6():
    cfg = LossConfig()
    assert (cfg.lambda_mi, cfg.mi_warmup, cfg.lambda_con, cfg.temperature) == (0.1, 0.1, 0.5, 0.1)
    assert (cfg.mi_loss, cfg.con_loss) == ("skl", "infonce")
    out = _sdr_output()
    result = SDRLoss()(out, _labels(), progress=0.5)
    _check(result)
    assert torch.allclose(result["bce"], bce_loss(out.logit, _labels()))
    assert torch.allclose(result["mi"], symmetric_kl_loss(out.mu, out.sigma, reduction="mean"))
    assert torch.allclose(result["con"], cross_branch_infonce(out.z, 0.1))
    expected = result["bce"] + 0.1 * result["mi"] + 0.5 * result["con"]
    assert torch.allclose(result["loss"], expected)
    assert result["lambda_mi"].item() == pytest.approx(0.1)


def test_warmup_weight_is_zero_at_start_linear_then_lambda():
    loss_fn = SDRLoss(LossConfig(lambda_mi=0.2, mi_warmup=0.1))
    assert loss_fn.effective_lambda_mi(0.0) == 0.0
    assert loss_fn.effective_lambda_mi(0.05) == pytest.approx(0.1)
    assert loss_fn.effective_lambda_mi(0.1) == pytest.approx(0.2)
    assert loss_fn.effective_lambda_mi(1.0) == pytest.approx(0.2)
    assert mi_warmup_weight(0.0, 0.0) == 1.0
    result = loss_fn(_sdr_output(), _labels(), progress=0.0)
    assert result["lambda_mi"].item() == 0.0 and result["mi"].item() > 0
    assert torch.allclose(result["loss"], result["bce"] + 0.5 * result["con"])
    for bad in (-0.1, 1.5, True):
        with pytest.raises(ValueError, match="progress"):
            loss_fn(_sdr_output(), _labels(), progress=bad)


@pytest.mark.parametrize("mi_loss", MI_LOSSES)
@pytest.mark.parametrize("con_loss", CON_LOSSES)
def test_every_loss_choice_is_finite_and_backpropagates(mi_loss, con_loss):
    torch.manual_seed(0)
    loss_fn = SDRLoss(LossConfig(mi_loss=mi_loss, con_loss=con_loss), latent_dim=8)
    out = _sdr_output(grad=True)
    result = loss_fn(out, _labels(), progress=1.0)
    _check(result)
    result["loss"].backward()
    assert out.logit.grad is not None and torch.isfinite(out.logit.grad).all()
    if mi_loss == "skl":
        assert out.sigma.grad.abs().sum() > 0
    if mi_loss != "none" or con_loss != "none":
        assert out.mu.grad is not None and out.mu.grad.abs().sum() > 0
    if mi_loss in ("jsd", "infonce"):
        assert all(p.grad is not None for p in loss_fn.parameters())
    if con_loss == "none":
        assert result["con"].item() == 0.0
    if mi_loss == "none":
        assert result["mi"].item() == 0.0


def test_gradient_reaches_z_through_the_contrastive_term():
    out = _sdr_output()
    z = out.z.clone().requires_grad_(True)
    out = ModelOutput(logit=out.logit, mu=out.mu, sigma=out.sigma, z=z)
    SDRLoss()(out, _labels(), progress=1.0)["loss"].backward()
    assert z.grad is not None and z.grad.abs().sum() > 0


def test_baseline_output_gives_bce_only():
    logit = torch.randn(3, requires_grad=True)
    for cfg in (LossConfig(), LossConfig(mi_loss="jsd", con_loss="supcon")):
        result = SDRLoss(cfg, latent_dim=8)(ModelOutput(logit=logit), torch.tensor([1, 0, 1]), progress=0.3)
        _check(result)
        assert result["mi"].item() == 0.0 and result["con"].item() == 0.0
        assert torch.equal(result["loss"], result["bce"])
        result["loss"].backward()
        assert logit.grad is not None


@pytest.mark.parametrize("mi_loss", ["skl", "jsd"])
@pytest.mark.parametrize("con_loss", ["infonce", "supcon"])
def test_numerical_edge_cases(mi_loss, con_loss):
    loss_fn = SDRLoss(LossConfig(mi_loss=mi_loss, con_loss=con_loss), latent_dim=8)
    # sigma -> 0
    out = _sdr_output(sigma_value=1e-7, grad=True)
    result = loss_fn(out, _labels(), 1.0)
    _check(result)
    result["loss"].backward()
    assert torch.isfinite(out.mu.grad).all()
    # identical branches: the KL is exactly zero and InfoNCE finite
    base = _sdr_output()
    same = ModelOutput(
        logit=base.logit,
        mu=base.mu[:, :1].expand_as(base.mu),
        sigma=base.sigma[:, :1].expand_as(base.sigma),
        z=base.z[:, :1].expand_as(base.z),
    )
    result = loss_fn(same, _labels(), 1.0)
    _check(result)
    if mi_loss == "skl":
        assert result["mi"].item() == 0.0
    # batch size 1 and a single branch
    for b, k in ((1, 4), (4, 1), (1, 1)):
        _check(loss_fn(_sdr_output(b=b, k=k), _labels(b), 1.0))
    if mi_loss == "skl" and con_loss == "infonce":
        single = loss_fn(_sdr_output(k=1), _labels(), 1.0)
        assert single["mi"].item() == 0.0 and single["con"].item() == 0.0


def test_bf16_outputs_under_autocast_match_float32():
    loss_fn = SDRLoss()
    out = _sdr_output()
    ref = loss_fn(out, _labels(), 1.0)
    low = ModelOutput(*(t.bfloat16() for t in (out.logit, out.mu, out.sigma, out.z)))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        result = loss_fn(low, _labels(), 1.0)
    _check(result)
    for key in ("bce", "con"):
        assert torch.allclose(result[key], ref[key], rtol=0.05, atol=0.05), key
    assert torch.allclose(result["mi"], ref["mi"], rtol=0.05)


def test_config_errors():
    with pytest.raises(ConfigError, match="mi_loss"):
        LossConfig(mi_loss="kl")
    with pytest.raises(ConfigError, match="con_loss"):
        from_dict(LossConfig, {"con_loss": "triplet"})
    with pytest.raises(ConfigError, match="temperature"):
        LossConfig(temperature=0.0)
    with pytest.raises(ConfigError, match="mi_warmup"):
        LossConfig(mi_warmup=2.0)
    with pytest.raises(ConfigError, match="lambda_con"):
        LossConfig(lambda_con=-1.0)
    with pytest.raises(ConfigError, match="unknown option"):
        from_dict(LossConfig, {"lambda": 1.0})
    with pytest.raises(ConfigError, match="latent_dim"):
        SDRLoss(LossConfig(mi_loss="infonce"))
    assert from_dict(LossConfig, {"mi_loss": "none", "lambda_mi": 0}).lambda_mi == 0.0


def test_bad_outputs_and_labels_are_rejected():
    loss_fn = SDRLoss()
    out = _sdr_output()
    with pytest.raises(TypeError, match="ModelOutput"):
        loss_fn({"logit": out.logit}, _labels(), 1.0)
    with pytest.raises(ValueError, match="shape"):
        loss_fn(out, _labels(3), 1.0)
    with pytest.raises(ValueError, match="batch size"):
        loss_fn(ModelOutput(logit=out.logit, mu=out.mu[:2], sigma=out.sigma[:2], z=out.z[:2]), _labels(), 1.0)
    with pytest.raises(ValueError, match="no sigma"):
        loss_fn(ModelOutput(logit=out.logit, mu=out.mu), _labels(), 1.0)
