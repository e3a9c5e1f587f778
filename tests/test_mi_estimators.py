"""Trained MI estimators against the analytic MI of correlated Gaussians.

Setting: d = 2, true I = 1.5 nats, 300 Adam steps (lr 1e-3) on batches of 128, seeded weights
and batches, then the mean over 20 fresh evaluation batches of 128 (SE = std / sqrt(20)).
Tolerances (the estimate must lie in the stated band):
- InfoNCE (separable critic): [I - 0.25, I + 3 SE] and every batch value <= log 128;
- NWJ (concat critic):        [I - 0.30, I + 3 SE];
- JSD (concat critic, NWJ readout on T + 1, a lower bound): [I - 0.30, I + 3 SE];
- CLUB (learned Gaussian q):  at least half its known gap above I (3 SE included), and within
  1.0 nat of its population value d rho^2 / (1 - rho^2) = 6.96 (a loose upper bound here).
"""

from __future__ import annotations

import math

import pytest
import torch

from sdrlib.mi import (
    CLUB,
    JSD,
    NWJ,
    ConcatCritic,
    CorrelatedGaussian,
    InfoNCE,
    SeparableCritic,
    evaluate_estimator,
    fit_estimator,
)

SAMPLER = CorrelatedGaussian.from_mi(1.5, dim=2)
STEPS, BATCH, EVAL_BATCHES = 300, 128, 20


@pytest.fixture(autouse=True)
def _one_thread():
    """These matrices are tiny: extra intra-op threads only add synchronization cost, which
    becomes a 50x slowdown when the CPU is shared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _fit_and_evaluate(make):
    torch.manual_seed(0)
    estimator = make()
    fit_estimator(estimator, SAMPLER, STEPS, batch_size=BATCH, lr=1e-3, seed=0, progress=False)
    values = evaluate_estimator(estimator, SAMPLER, num_batches=EVAL_BATCHES, batch_size=BATCH, seed=1)
    return estimator, values, values.mean().item(), (values.std() / math.sqrt(EVAL_BATCHES)).item()


@pytest.mark.parametrize(
    ("make", "tolerance"),
    [
        (lambda: InfoNCE(SeparableCritic(2, 2)), 0.25),
        (lambda: NWJ(ConcatCritic(2, 2)), 0.30),
        (lambda: JSD(ConcatCritic(2, 2)), 0.30),
    ],
    ids=["infonce", "nwj", "jsd"],
)
def test_lower_bounds_lie_just_below_the_truth(make, tolerance):
    estimator, values, mean, se = _fit_and_evaluate(make)
    assert mean <= SAMPLER.mi + 3 * se, f"lower bound {mean:.3f} above truth {SAMPLER.mi:.3f}"
    assert mean >= SAMPLER.mi - tolerance, f"estimate {mean:.3f} too far below truth {SAMPLER.mi:.3f}"
    if isinstance(estimator, InfoNCE):
        assert (values <= math.log(BATCH) + 1e-5).all()


def test_club_lies_above_the_truth_near_its_population_value():
    _, _, mean, se = _fit_and_evaluate(lambda: CLUB(2, 2))
    # CLUB's population value is I plus a known gap (6.96 = 1.5 + 5.46 here): the estimate must sit
    # well above the truth (an estimate at or below I, e.g. q never trained, fails) and near 6.96
    gap = SAMPLER.club_value - SAMPLER.mi
    assert mean - 3 * se >= SAMPLER.mi + 0.5 * gap
    assert abs(mean - SAMPLER.club_value) <= 1.0


def test_club_with_the_exact_conditional_matches_its_analytic_value():
    club = CLUB(2, 2, num_layers=0)
    layer = club.q[0]
    with torch.no_grad():
        layer.weight.zero_()
        layer.weight[:2] = SAMPLER.rho * torch.eye(2)
        layer.bias.zero_()
        layer.bias[2:] = math.log(1 - SAMPLER.rho**2)
    values = evaluate_estimator(club, SAMPLER, num_batches=40, batch_size=BATCH, seed=2)
    se = (values.std() / math.sqrt(40)).item()
    assert abs(values.mean().item() - SAMPLER.club_value) <= 4 * se + 0.05
    x, y = SAMPLER(4096, torch.Generator().manual_seed(3))
    nll = club(x, y).loss.item()
    assert nll == pytest.approx(math.log(2 * math.pi * math.e * (1 - SAMPLER.rho**2)), abs=0.05)


def test_fit_estimator_is_deterministic_and_returns_one_value_per_step():
    def run():
        torch.manual_seed(4)
        return fit_estimator(
            InfoNCE(SeparableCritic(2, 2)), SAMPLER, 15, batch_size=32, seed=5, progress=False
        )

    first, second = run(), run()
    assert len(first) == 15 and all(math.isfinite(v) for v in first)
    assert first == second


def test_fit_and_evaluate_reject_bad_arguments():
    est = InfoNCE(SeparableCritic(2, 2))
    with pytest.raises(ValueError, match="steps"):
        fit_estimator(est, SAMPLER, 0, progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        fit_estimator(est, SAMPLER, 5, batch_size=1, progress=False)
    with pytest.raises(ValueError, match="lr"):
        fit_estimator(est, SAMPLER, 5, lr=0.0, progress=False)
    with pytest.raises(TypeError, match="MIEstimator"):
        fit_estimator(SeparableCritic(2, 2), SAMPLER, 5, progress=False)
    with pytest.raises(ValueError, match="num_batches"):
        evaluate_estimator(est, SAMPLER, num_batches=0)


def test_critics_score_every_pair_and_validate_inputs():
    x, y = torch.randn(5, 3), torch.randn(5, 2)
    for critic in (
        SeparableCritic(3, 2),
        SeparableCritic(3, 2, num_layers=0),
        ConcatCritic(3, 2, num_layers=1),
    ):
        scores = critic(x, y)
        assert scores.shape == (5, 5)
        # Row i, column j must depend on x_i and y_j only.
        assert torch.allclose(critic(x[2:3], y[4:5]).squeeze(), scores[2, 4], atol=1e-5)
    with pytest.raises(ValueError, match="same number"):
        SeparableCritic(3, 2)(x, y[:4])
    with pytest.raises(ValueError, match="num_layers"):
        ConcatCritic(3, 2, num_layers=0)
