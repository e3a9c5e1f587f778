"""What the trunk sees: the default TPA branches and every diagnostic condition change its tokens."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from sdrlib.augment import DEFAULT_OPS, SPEC_DEFAULT_OPS
from sdrlib.models import create_model
from sdrlib.studies.diagnose import CONDITIONS, appearance_remap, condition_transform
from sdrlib.studies.visibility import (
    op_token_changes,
    smooth_clips,
    synthdf_clips,
    token_change,
    transform_token_changes,
    visibility_rule,
)

FRAMES = 8


def _trunk(name: str, size: int) -> torch.nn.Module:
    torch.manual_seed(0)
    return create_model(name, width_mult=0.25, num_frames=FRAMES, input_size=size).eval()


@pytest.fixture(scope="module")
def contents() -> dict[str, torch.Tensor]:
    return {"smooth": smooth_clips(4, FRAMES, 224), "synthdf": synthdf_clips(4, FRAMES, 224)}


@pytest.mark.parametrize("content", ["smooth", "synthdf"])
def test_every_default_branch_is_visible_to_the_full_size_trunk_at_224(contents, content):
    """The rule that chose the default set: each of the K = 4 default ops changes the untrained
    full-depth FTCN trunk's tokens at 224 px by at least half the median change of the set."""
    ops = sorted(set(DEFAULT_OPS) | set(SPEC_DEFAULT_OPS))
    changes = op_token_changes(_trunk("ftcn", 224), contents[content], ops, draws=2)
    rule = visibility_rule(changes, DEFAULT_OPS)
    assert rule["visible"].all(), rule
    if content == "smooth":  # the spec's patch shuffle fails the same rule on smooth content
        old = visibility_rule(changes, SPEC_DEFAULT_OPS).set_index("op")
        assert not old.loc["patch_shuffle", "visible"], old


def test_visibility_rule_is_half_the_median_of_the_set():
    changes = pd.Series({"a": 10.0, "b": 2.0, "c": 4.9, "d": 6.0})
    rule = visibility_rule(changes, ["a", "b", "c", "d"]).set_index("op")
    assert rule["threshold"].iloc[0] == pytest.approx(0.5 * (4.9 + 6.0) / 2)
    assert list(rule["visible"]) == [True, False, True, True]


def test_token_change_is_zero_for_the_identity_and_relative():
    model = _trunk("ftcn", 32)
    x = synthdf_clips(2, FRAMES, 32)
    assert token_change(model, x, lambda clip: clip) == pytest.approx([0.0, 0.0])
    assert (token_change(model, x, lambda clip: (clip * 0.5)) > 0.01).all()


@pytest.mark.parametrize("trunk", ["ftcn", "i3d"])
@pytest.mark.parametrize("size", [224, 32])
def test_every_diagnostic_condition_changes_the_untrained_trunks_tokens(trunk, size):
    """No condition is invisible by construction: on SynthDF faces each changes the untrained
    trunk's tokens by at least 5 % (the temporal ones through the temporal kernels, the spatial ones
    by changing the pixel values a 1x1-kernel trunk reads)."""
    transforms = {c: condition_transform(c, 0) for c in CONDITIONS if c != "clean"}
    changes = transform_token_changes(_trunk(trunk, size), synthdf_clips(4, FRAMES, size), transforms)
    assert (changes > 5.0).all(), changes


def test_appearance_remap_keeps_the_order_of_values_and_the_motion():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 4, 8, 8, generator=g)
    static = x[:, :, :1].expand(-1, -1, 4, -1, -1).contiguous()
    remapped = appearance_remap(static, torch.Generator().manual_seed(1))
    assert torch.equal(remapped[:, :, 0], remapped[:, :, 3])  # the same map in every frame
    y = appearance_remap(x, torch.Generator().manual_seed(1))
    assert y.min() >= 0 and y.max() <= 1 and not torch.allclose(y, x, atol=0.05)
    # per clip, the output channel c is a monotone function of one input channel
    for b in range(2):
        for c in range(3):
            source = max(range(3), key=lambda k: torch.corrcoef(torch.stack([x[b, k].flatten(), y[b, c].flatten()]))[0, 1])
            order_in = x[b, source].flatten().argsort()
            assert (y[b, c].flatten()[order_in].diff() >= -1e-6).all()
