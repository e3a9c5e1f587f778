"""Feature clusters of SDR's branches (sdrlib.studies.clusters)."""

from __future__ import annotations

import pytest
import torch
from matplotlib.figure import Figure

from sdrlib.models import create_model
from sdrlib.studies.clusters import branch_features, cluster_tightness, plot_branch_clusters

SMALL = {"width_mult": 0.125, "depth_mult": 0.34, "num_frames": 8, "input_size": 32, "latent_dim": 16}


def _model(**extra):
    torch.manual_seed(0)
    return create_model("sdr", **{**SMALL, **extra})


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_tightness_of_known_clusters():
    centres = torch.tensor([[0.0, 0.0], [4.0, 0.0]])
    coincident = centres[:, None].expand(-1, 3, -1)
    assert cluster_tightness(coincident) == {"within": 0.0, "between": 4.0, "within_share": 0.0}
    spread = coincident + torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.0]])
    result = cluster_tightness(spread)
    assert result["within"] == pytest.approx(2.0 / 3.0)
    assert result["within_share"] == pytest.approx((2 / 3) / (2 / 3 + 4))
    assert cluster_tightness(3.0 * spread)["within_share"] == pytest.approx(result["within_share"])
    with pytest.raises(ValueError, match="K >= 2"):
        cluster_tightness(torch.zeros(4, 1, 2))


def test_branch_features_match_the_model_with_test_time_tpa_and_restore_it():
    model = _model().train()
    x = torch.randn(2, 3, 8, 32, 32)
    tokens, mu = branch_features(model, x, _gen())
    assert tokens.shape == (2, 4, model.num_features) and mu.shape == (2, 4, 16)
    assert model.training and not model.cfg.test_time_tpa
    model.eval()
    model.cfg.test_time_tpa = True
    with torch.no_grad():
        expected = model(x, _gen()).mu.mean(dim=2)
    torch.testing.assert_close(mu, expected)
    model.cfg.test_time_tpa = False
    again, _ = branch_features(model, x, _gen())
    assert torch.equal(again, tokens)
    assert not torch.allclose(tokens[:, 0], tokens[:, 1]), "branches should see different views"


def test_branch_features_need_trfi():
    with pytest.raises(ValueError, match="no TRFI"):
        branch_features(_model(trfi=False), torch.randn(1, 3, 8, 32, 32))
    with pytest.raises(TypeError, match="sdr model"):
        branch_features(create_model("ftcn", **{k: v for k, v in SMALL.items() if k != "latent_dim"}), None)


def test_plot_has_a_panel_per_feature_space():
    features = torch.randn(4, 3, 8)
    fig = plot_branch_clusters({"a": features, "b": features[..., :5]}, [0, 1, 0, 1], ["x", "y", "z"])
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    assert "within-clip share" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="do not match"):
        plot_branch_clusters({"a": features}, [0, 1], ["x", "y", "z"])
