"""The score-matrix bounds of sdrlib.mi.bounds: formulas, invariants and the optimal critic."""

from __future__ import annotations

import math

import pytest
import torch

from sdrlib.mi import (
    CorrelatedGaussian,
    club_upper_bound,
    dv_lower_bound,
    infonce_lower_bound,
    jsd_objective,
    nwj_lower_bound,
    off_diagonal,
)


def test_off_diagonal_picks_exactly_the_off_diagonal_entries():
    scores = torch.arange(16.0).view(4, 4)
    expected = scores[~torch.eye(4, dtype=torch.bool)]
    assert torch.equal(off_diagonal(scores).flatten().sort().values, expected.sort().values)
    assert off_diagonal(scores).shape == (3, 4)


def test_bounds_match_their_formulas_on_a_small_matrix():
    gen = torch.Generator().manual_seed(0)
    s = torch.randn(5, 5, generator=gen)
    diag = s.diagonal()
    neg = s[~torch.eye(5, dtype=torch.bool)]
    nce = (diag - torch.log(torch.exp(s).mean(dim=1))).mean()
    assert torch.allclose(infonce_lower_bound(s), nce, atol=1e-6)
    nce_cols = (diag - torch.log(torch.exp(s).mean(dim=0))).mean()
    assert torch.allclose(infonce_lower_bound(s, symmetric=True), 0.5 * (nce + nce_cols), atol=1e-6)
    assert torch.allclose(nwj_lower_bound(s), diag.mean() - torch.exp(neg - 1).mean(), atol=1e-6)
    assert torch.allclose(dv_lower_bound(s), diag.mean() - torch.log(torch.exp(neg).mean()), atol=1e-6)
    jsd = -torch.nn.functional.softplus(-diag).mean() - torch.nn.functional.softplus(neg).mean()
    assert torch.allclose(jsd_objective(s), jsd, atol=1e-6)
    assert torch.allclose(club_upper_bound(s), diag.mean() - neg.mean(), atol=1e-6)


def test_infonce_never_exceeds_log_n_and_reaches_it_for_a_perfect_critic():
    gen = torch.Generator().manual_seed(1)
    for n in (1, 2, 7, 64):
        scores = 5 * torch.randn(n, n, generator=gen)
        assert infonce_lower_bound(scores) <= math.log(n) + 1e-6
        assert infonce_lower_bound(scores, symmetric=True) <= math.log(n) + 1e-6
    perfect = 1e4 * torch.eye(8)
    assert infonce_lower_bound(perfect).item() == pytest.approx(math.log(8), abs=1e-5)
    assert infonce_lower_bound(torch.zeros(6, 6)).item() == pytest.approx(0.0, abs=1e-6)
    assert infonce_lower_bound(torch.ones(1, 1)).item() == 0.0


def test_dv_is_shift_invariant_and_jsd_objective_is_negative():
    gen = torch.Generator().manual_seed(2)
    s = torch.randn(6, 6, generator=gen)
    assert torch.allclose(dv_lower_bound(s), dv_lower_bound(s + 3.0), atol=1e-5)
    assert jsd_objective(s) < 0
    assert jsd_objective(100 * (2 * torch.eye(6) - 1)).item() == pytest.approx(0.0, abs=1e-6)


def test_bounds_upcast_bf16_and_reject_bad_matrices():
    s = torch.randn(4, 4).bfloat16()
    for fn in (infonce_lower_bound, nwj_lower_bound, dv_lower_bound, jsd_objective, club_upper_bound):
        assert fn(s).dtype == torch.float32
        with pytest.raises(ValueError, match="square"):
            fn(torch.zeros(3, 4))
        with pytest.raises(TypeError, match="floating-point"):
            fn(torch.zeros(3, 3, dtype=torch.long))
    for fn in (nwj_lower_bound, dv_lower_bound, jsd_objective, club_upper_bound):
        with pytest.raises(ValueError, match="at least 2"):
            fn(torch.zeros(1, 1))


def test_optimal_critic_nwj_is_unbiased_and_infonce_stays_below_truth():
    """With the analytic critic log p(y|x)/p(y): NWJ(1 + critic) is unbiased for I, InfoNCE <= I."""
    sampler = CorrelatedGaussian.from_mi(1.5, dim=2)
    gen = torch.Generator().manual_seed(3)
    nwj, nce = [], []
    for _ in range(40):
        x, y = sampler(128, gen)
        critic = sampler.log_density_ratio(x, y)
        nwj.append(nwj_lower_bound(critic + 1.0))
        nce.append(infonce_lower_bound(critic))
    nwj, nce = torch.stack(nwj), torch.stack(nce)
    se = nwj.std() / math.sqrt(len(nwj))
    assert abs(nwj.mean().item() - sampler.mi) < 4 * se.item() + 0.02
    assert nce.mean().item() < sampler.mi
    assert nce.mean().item() > sampler.mi - 0.15
