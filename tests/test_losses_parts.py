"""The terms of eq. 6 on their own: BCE, the eq. 3 symmetric KL, contrastive and critic MI losses."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

from sdrlib.losses import (
    CriticMILoss,
    bce_loss,
    branch_pairs,
    cross_branch_infonce,
    pooled_embeddings,
    supervised_contrastive,
    symmetric_kl_loss,
)
from sdrlib.mi import CorrelatedGaussian
from sdrlib.utils import torch_threads


def _latents(b=4, k=3, t=5, d=6, seed=0):
    gen = torch.Generator().manual_seed(seed)
    mu = torch.randn(b, k, t, d, generator=gen)
    sigma = torch.rand(b, k, t, d, generator=gen) + 0.1
    return mu, sigma


def test_bce_matches_torch_and_validates_labels():
    logit = torch.tensor([2.0, -1.0, 0.5])
    labels = torch.tensor([1, 0, 1])
    expected = F.binary_cross_entropy_with_logits(logit, labels.float())
    assert torch.allclose(bce_loss(logit, labels), expected)
    assert torch.allclose(bce_loss(logit.bfloat16(), labels.bool()), expected, atol=1e-2)
    with pytest.raises(ValueError, match="shape"):
        bce_loss(logit, labels[:2])
    with pytest.raises(ValueError, match="0 \\(real\\) or 1 \\(fake\\)"):
        bce_loss(logit, torch.tensor([0, 2, 1]))


def test_symmetric_kl_loss_is_the_pairwise_mean_of_torch_kls():
    mu, sigma = _latents()
    expected = []
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        p, q = Normal(mu[:, i], sigma[:, i]), Normal(mu[:, j], sigma[:, j])
        skl = 0.5 * (kl_divergence(p, q) + kl_divergence(q, p))
        expected.append(skl.sum(-1).mean())
    summed = symmetric_kl_loss(mu, sigma, reduction="sum")
    assert torch.allclose(summed, torch.stack(expected).mean(), rtol=1e-5)
    # the default, as in training: the same KL averaged over the D latent dimensions
    assert torch.allclose(symmetric_kl_loss(mu, sigma), summed / mu.shape[-1], rtol=1e-5)


def test_symmetric_kl_loss_edge_cases():
    mu, sigma = _latents()
    same_mu, same_sigma = mu[:, :1].expand_as(mu), sigma[:, :1].expand_as(sigma)
    assert symmetric_kl_loss(same_mu, same_sigma).item() == 0.0
    single = symmetric_kl_loss(mu[:, :1], sigma[:, :1])
    assert single.item() == 0.0 and single.dtype == torch.float32
    tiny = symmetric_kl_loss(mu, torch.full_like(sigma, 1e-7))
    assert torch.isfinite(tiny)
    with pytest.raises(ValueError, match="same shape"):
        symmetric_kl_loss(mu, sigma[..., :2])
    with pytest.raises(ValueError, match="B, K, T', D"):
        symmetric_kl_loss(mu[0], sigma[0])
    assert [t.tolist() for t in branch_pairs(3, torch.device("cpu"))] == [[0, 0, 1], [1, 2, 2]]


def test_cross_branch_infonce_matches_the_cross_entropy_form():
    mu, _ = _latents(b=6, k=2)
    e = F.normalize(mu.mean(2), dim=-1)
    scores = e[:, 0] @ e[:, 1].T / 0.1
    target = torch.arange(6)
    expected = 0.5 * (F.cross_entropy(scores, target) + F.cross_entropy(scores.T, target))
    assert torch.allclose(cross_branch_infonce(mu, 0.1), expected, atol=1e-5)
    assert torch.allclose(pooled_embeddings(mu), e)


def test_cross_branch_infonce_edge_cases():
    mu, _ = _latents(b=5, k=3)
    identical = mu[:, :1].expand_as(mu)
    loss = cross_branch_infonce(identical)
    assert torch.isfinite(loss) and 0.0 <= loss.item() <= math.log(5)
    assert cross_branch_infonce(mu[:1]).item() == pytest.approx(0.0, abs=1e-6)
    assert cross_branch_infonce(mu[:, :1]).item() == 0.0
    assert torch.isfinite(cross_branch_infonce(torch.zeros(4, 2, 3, 8)))
    with pytest.raises(ValueError, match="temperature"):
        cross_branch_infonce(mu, 0.0)


def test_supervised_contrastive_matches_a_direct_loop():
    mu, _ = _latents(b=3, k=2, seed=1)
    labels = torch.tensor([1.0, 0.0, 1.0])
    t = 0.2
    emb = F.normalize(mu.mean(2), dim=-1).reshape(6, -1)
    owner = labels.repeat_interleave(2)
    per_anchor = []
    for a in range(6):
        others = [c for c in range(6) if c != a]
        log_den = torch.logsumexp(torch.stack([emb[a] @ emb[c] / t for c in others]), 0)
        pos = [p for p in others if owner[p] == owner[a]]
        per_anchor.append(-torch.stack([emb[a] @ emb[p] / t - log_den for p in pos]).mean())
    assert torch.allclose(supervised_contrastive(mu, labels, t), torch.stack(per_anchor).mean(), atol=1e-5)


def test_supervised_contrastive_edge_cases():
    mu, _ = _latents(b=3, k=1)
    assert supervised_contrastive(mu[:1], torch.tensor([1.0])).item() == 0.0
    # one branch, clips of different labels: no anchor has a positive
    assert supervised_contrastive(mu[:2], torch.tensor([0.0, 1.0])).item() == 0.0
    # the only other embedding is the positive: its softmax probability is 1, the loss 0
    assert supervised_contrastive(mu[:2], torch.tensor([1.0, 1.0])).item() == pytest.approx(0.0, abs=1e-6)
    assert supervised_contrastive(mu, torch.tensor([1.0, 1.0, 0.0])).item() > 0.0
    with pytest.raises(ValueError, match="labels"):
        supervised_contrastive(mu, torch.tensor([1.0]))


@pytest.mark.parametrize("kind", ["jsd", "infonce"])
def test_critic_mi_loss_backpropagates_to_its_critic_and_handles_edge_cases(kind):
    torch.manual_seed(0)
    loss_fn = CriticMILoss(kind, latent_dim=6)
    mu, _ = _latents(b=8, k=3)
    z = mu.clone().requires_grad_(True)
    loss = loss_fn(z)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z.grad).all() and z.grad.abs().sum() > 0
    assert all(p.grad is not None for p in loss_fn.parameters())
    assert loss_fn(mu[:1]).item() == 0.0
    assert loss_fn(mu[:, :1]).item() == 0.0
    with pytest.raises(ValueError, match="latent dimension"):
        loss_fn(mu[..., :4])
    with pytest.raises(ValueError, match="kind"):
        CriticMILoss("club", 6)


@pytest.mark.parametrize("kind", ["jsd", "infonce"])
def test_trained_critic_reads_the_mi_between_two_branches(kind):
    """Branch latents with a known MI (correlated Gaussians, I = 1.5 nats in D = 8 dimensions):
    training the loss's critic alone brings its MI estimate from about 0 to just below the truth."""
    sampler = CorrelatedGaussian.from_mi(1.5, dim=8)
    torch.manual_seed(0)
    loss_fn = CriticMILoss(kind, latent_dim=8)
    generator = torch.Generator().manual_seed(1)

    def branches(n: int) -> torch.Tensor:  # (B, K = 2, T' = 1, D): branch 0 is x, branch 1 is y
        x, y = sampler(n, generator)
        return torch.stack([x, y], dim=1).unsqueeze(2)

    def estimate() -> tuple[float, float]:
        with torch.no_grad():
            values = torch.stack([loss_fn.estimator(*branches(128).squeeze(2).unbind(1)).mi for _ in range(20)])
        return values.mean().item(), (values.std() / 20**0.5).item()

    untrained, _ = estimate()
    optimizer = torch.optim.Adam(loss_fn.parameters(), lr=1e-3)
    with torch_threads(1):
        for _ in range(300):
            optimizer.zero_grad()
            loss_fn(branches(128)).backward()
            optimizer.step()
    mean, se = estimate()
    assert untrained < 0.5, f"an untrained critic already reads {untrained:.2f} nats"
    assert sampler.mi - 0.35 <= mean <= sampler.mi + 3 * se, f"{kind} reads {mean:.3f}, truth {sampler.mi}"
    z = branches(128)
    if kind == "infonce":  # its loss is minus its MI estimate, averaged over the branch pairs
        torch.testing.assert_close(loss_fn(z), -loss_fn.estimator(*z.squeeze(2).unbind(1)).mi)


def test_symmetric_kl_mean_reduction_is_the_sum_over_latent_dims_divided_by_d():
    torch.manual_seed(0)
    mu, sigma = torch.randn(2, 3, 4, 8), torch.rand(2, 3, 4, 8) + 0.1
    total = symmetric_kl_loss(mu, sigma, reduction="sum")
    assert torch.allclose(symmetric_kl_loss(mu, sigma, reduction="mean"), total / 8, rtol=1e-6)
    with pytest.raises(ValueError, match="reduction"):
        symmetric_kl_loss(mu, sigma, reduction="max")
