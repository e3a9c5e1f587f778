"""Optimizer and schedule (sdrlib.engine.schedule) against hand-computed values.

Known answers, derived by hand from the schedule of the book chapter 'training end to end'
(eq-lr): ``w`` warm-up steps use ``(s + 1) / (w + 1)``, then ``r + (1 - r) (1 + cos(pi p)) / 2``
with ``p = (s - w) / (S - w)``.
"""

from __future__ import annotations

import pytest
import torch
from engine_helpers import MICRO_MODELS

from sdrlib.engine.config import OptimConfig
from sdrlib.engine.schedule import build_optimizer, lr_factor, param_groups
from sdrlib.losses import SDRLoss
from sdrlib.losses.sdr_loss import LossConfig
from sdrlib.models import create_model

# S = 10 steps, warm-up fraction 0.2 (w = 2), floor r = 0.1: the factor of every step 0..9.
# p = 0, 1/8, ..., 7/8 after the warm-up: cos(pi/8) = 0.9238795, cos(pi/4) = 0.7071068...
KNOWN_FACTORS = [
    1 / 3,
    2 / 3,
    1.0,
    0.1 + 0.9 * (1 + 0.9238795) / 2,
    0.1 + 0.9 * (1 + 0.7071068) / 2,
    0.1 + 0.9 * (1 + 0.3826834) / 2,
    0.55,
    0.1 + 0.9 * (1 - 0.3826834) / 2,
    0.1 + 0.9 * (1 - 0.7071068) / 2,
    0.1 + 0.9 * (1 - 0.9238795) / 2,
]


def test_lr_factor_known_values():
    got = [lr_factor(s, 10, 0.2, 0.1) for s in range(10)]
    assert got == pytest.approx(KNOWN_FACTORS, abs=1e-7)
    # no warm-up: the peak at step 0, and the floor is approached but never passed
    assert lr_factor(0, 4, 0.0, 0.01) == 1.0
    assert lr_factor(2, 4, 0.0, 0.01) == pytest.approx(0.01 + 0.99 * 0.5)
    assert lr_factor(10, 10, 0.2, 0.1) == pytest.approx(0.1)


def test_the_scheduler_applies_the_known_values():
    optimizer, scheduler = build_optimizer(
        torch.nn.Linear(2, 1), OptimConfig(lr=0.02, warmup_frac=0.2, min_lr_ratio=0.1), 10
    )
    applied = []
    for _ in range(10):
        applied.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert applied == pytest.approx([0.02 * f for f in KNOWN_FACTORS], abs=1e-9)


def test_weight_decay_spares_biases_norms_and_tokens_whatever_their_shape():
    model = create_model("sdr", **MICRO_MODELS["sdr"])
    decay, no_decay = param_groups(model, 0.05)
    assert (decay["weight_decay"], no_decay["weight_decay"]) == (0.05, 0.0)
    ids = {id(p): name for name, p in model.named_parameters()}
    decayed = {ids[id(p)] for p in decay["params"]}
    spared = {ids[id(p)] for p in no_decay["params"]}
    assert decayed | spared == set(ids.values()) and not decayed & spared
    # TRFI's bias is (K, 2D), 2-D, and still a bias (issue 11, item 11)
    assert model.trfi.bias.ndim == 2 and "trfi.bias" in spared
    assert {
        "head.cls_token",
        "head.pos_embed",
        "trfi.proj.bias",
        "head.norm.weight",
        "head.fc.bias",
    } <= spared
    assert {"trfi.weight", "trfi.proj.weight", "head.fc.weight", "trunk.stem.conv.weight"} <= decayed
    assert all(p.ndim >= 2 for p in decay["params"])
    assert all(
        name.endswith(("conv.weight", "conv_a.weight", "conv_b.weight", "conv_c.weight"))
        for name in decayed
        if name.startswith("trunk.")
    )


def test_the_critic_of_a_critic_mi_loss_trains_with_the_model():
    model = torch.nn.Linear(4, 1)
    criterion = SDRLoss(LossConfig(mi_loss="jsd"), latent_dim=8)
    optimizer, _ = build_optimizer(torch.nn.ModuleList([model, criterion]), OptimConfig(), 10)
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    assert {id(p) for p in criterion.parameters()} <= held and len(list(criterion.parameters())) > 0


def test_a_skipped_update_leaves_weights_and_moments_untouched():
    """``optimizer.found_inf`` (what the trainer sets on a non-finite step) skips the update."""
    layer = torch.nn.Linear(3, 1)
    optimizer, _ = build_optimizer(layer, OptimConfig(lr=0.1), 10)
    before = [p.detach().clone() for p in layer.parameters()]
    for p in layer.parameters():
        p.grad = torch.full_like(p, float("nan"))
    optimizer.found_inf = torch.tensor(1.0)
    optimizer.step()
    assert all(torch.equal(a, b) for a, b in zip(before, layer.parameters(), strict=True))
    optimizer.found_inf = torch.tensor(0.0)
    for p in layer.parameters():
        p.grad = torch.ones_like(p)
    optimizer.step()
    assert all(
        torch.isfinite(p).all() and not torch.equal(a, p)
        for a, p in zip(before, layer.parameters(), strict=True)
    )
