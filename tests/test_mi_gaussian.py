"""Closed-form symmetric KL between diagonal Gaussians, and the correlated-Gaussian sampler."""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from sdrlib.mi import CorrelatedGaussian, gaussian_symmetric_kl


def test_symmetric_kl_matches_torch_distributions():
    gen = torch.Generator().manual_seed(0)
    mu_p, mu_q = torch.randn(2, 50, generator=gen)
    s_p, s_q = torch.rand(2, 50, generator=gen) * 3 + 0.05
    p, q = Normal(mu_p.double(), s_p.double()), Normal(mu_q.double(), s_q.double())
    expected = 0.5 * (kl_divergence(p, q) + kl_divergence(q, p))
    got = gaussian_symmetric_kl(mu_p, s_p, mu_q, s_q)
    assert torch.allclose(got.double(), expected, rtol=1e-5, atol=1e-6)


def test_symmetric_kl_matches_monte_carlo():
    gen = torch.Generator().manual_seed(1)
    mu_p, s_p, mu_q, s_q = 0.3, 0.7, -0.4, 1.6
    xp = mu_p + s_p * torch.randn(400_000, generator=gen, dtype=torch.float64)
    xq = mu_q + s_q * torch.randn(400_000, generator=gen, dtype=torch.float64)

    def log_ratio(x):
        return Normal(mu_p, s_p).log_prob(x) - Normal(mu_q, s_q).log_prob(x)

    mc = 0.5 * (log_ratio(xp).mean() - log_ratio(xq).mean())
    got = gaussian_symmetric_kl(*(torch.tensor(v) for v in (mu_p, s_p, mu_q, s_q)))
    assert got.item() == pytest.approx(mc.item(), rel=0.01)


def test_symmetric_kl_is_symmetric_nonnegative_and_exactly_zero_for_identical():
    gen = torch.Generator().manual_seed(2)
    mu = torch.randn(3, 4, generator=gen)
    sigma = torch.rand(3, 4, generator=gen) + 1e-3
    assert torch.equal(gaussian_symmetric_kl(mu, sigma, mu, sigma), torch.zeros(3, 4))
    other_mu, other_sigma = torch.randn(3, 4, generator=gen), torch.rand(3, 4, generator=gen) + 0.1
    a = gaussian_symmetric_kl(mu, sigma, other_mu, other_sigma)
    b = gaussian_symmetric_kl(other_mu, other_sigma, mu, sigma)
    assert torch.allclose(a, b)
    assert (a >= 0).all()


def test_symmetric_kl_is_finite_with_gradients_for_tiny_sigma():
    mu_p = torch.tensor([0.0, 1.0, 2.0], requires_grad=True)
    mu_q = torch.tensor([0.5, 1.0, -3.0], requires_grad=True)
    s_p = torch.full((3,), 1e-7, requires_grad=True)
    s_q = torch.tensor([1e-7, 5.0, 1e-20], requires_grad=True)
    out = gaussian_symmetric_kl(mu_p, s_p, mu_q, s_q)
    assert torch.isfinite(out).all()
    out.sum().backward()
    for t in (mu_p, mu_q, s_p, s_q):
        assert torch.isfinite(t.grad).all()


def test_symmetric_kl_upcasts_bf16_under_autocast():
    gen = torch.Generator().manual_seed(3)
    mu_p, mu_q = torch.randn(2, 16, generator=gen)
    s_p, s_q = torch.rand(2, 16, generator=gen) + 0.2
    ref = gaussian_symmetric_kl(mu_p, s_p, mu_q, s_q)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = gaussian_symmetric_kl(mu_p.bfloat16(), s_p.bfloat16(), mu_q.bfloat16(), s_q.bfloat16())
    assert got.dtype == torch.float32
    assert torch.allclose(got, ref, rtol=0.05, atol=0.05)


def test_symmetric_kl_rejects_bad_inputs():
    x = torch.ones(2)
    with pytest.raises(TypeError, match="sigma_q"):
        gaussian_symmetric_kl(x, x, x, torch.ones(2, dtype=torch.long))
    with pytest.raises(ValueError, match="min_sigma"):
        gaussian_symmetric_kl(x, x, x, x, min_sigma=0.0)


def test_correlated_gaussian_has_the_stated_mi_and_correlation():
    sampler = CorrelatedGaussian.from_mi(1.5, dim=3)
    assert sampler.mi == pytest.approx(1.5)
    assert sampler.mi == pytest.approx(-1.5 * math.log(1 - sampler.rho**2))
    x, y = sampler(20_000, torch.Generator().manual_seed(4))
    assert x.shape == y.shape == (20_000, 3)
    corr = ((x - x.mean(0)) * (y - y.mean(0))).mean(0) / (x.std(0) * y.std(0))
    assert torch.allclose(corr, torch.full((3,), sampler.rho), atol=0.02)
    # The joint mean of the optimal critic is the MI.
    ratio = sampler.log_density_ratio(x[:2000], y[:2000]).diagonal().mean()
    assert ratio.item() == pytest.approx(sampler.mi, abs=0.1)


def test_correlated_gaussian_is_deterministic_and_validates():
    sampler = CorrelatedGaussian(dim=2, rho=0.5)
    a = sampler.sample(8, torch.Generator().manual_seed(5))
    b = sampler.sample(8, torch.Generator().manual_seed(5))
    assert all(torch.equal(u, v) for u, v in zip(a, b, strict=True))
    assert CorrelatedGaussian.from_mi(0.0, 4).rho == 0.0
    with pytest.raises(ValueError, match="rho"):
        CorrelatedGaussian(dim=2, rho=1.0)
    with pytest.raises(ValueError, match="dim"):
        CorrelatedGaussian(dim=0, rho=0.1)
    with pytest.raises(ValueError, match="mi"):
        CorrelatedGaussian.from_mi(-1.0, 2)
    with pytest.raises(ValueError, match="batch_size"):
        sampler.sample(0)
