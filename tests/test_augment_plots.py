"""Pictures of TPA (sdrlib.augment.plots): views, frame-difference maps, the figure's layout."""

from __future__ import annotations

import pytest
import torch
from matplotlib.figure import Figure

from sdrlib.augment.plots import mean_abs_frame_difference, perturbed_views, plot_tpa_views


def _clip(t: int = 6) -> torch.Tensor:
    return torch.rand(3, t, 16, 16, generator=torch.Generator().manual_seed(0))


def test_views_are_reproducible_and_independent_of_the_other_views():
    x = _clip()
    alone = perturbed_views(x, {"gaussian_blur": 1.0}, seed=3)
    together = perturbed_views(x, {"color_jitter": 1.0, "gaussian_blur": 1.0}, seed=3)
    assert torch.equal(alone["gaussian_blur"], together["gaussian_blur"])
    assert together["color_jitter"].shape == x.shape
    assert not torch.equal(together["color_jitter"], x)


def test_frame_difference_map_is_zero_for_a_static_clip_and_lit_by_per_frame_noise():
    static = _clip(1).expand(-1, 5, -1, -1)
    assert float(mean_abs_frame_difference(static).abs().max()) == 0.0
    views = perturbed_views(static, {"gaussian_noise": 1.0, "gaussian_noise_per_frame": 1.0})
    assert float(mean_abs_frame_difference(views["gaussian_noise"]).max()) < 1e-6
    assert float(mean_abs_frame_difference(views["gaussian_noise_per_frame"]).mean()) > 0.01
    with pytest.raises(ValueError, match="T >= 2"):
        mean_abs_frame_difference(static[:, :1])


def test_figure_has_a_row_per_view_and_a_column_per_frame_plus_the_map():
    fig = plot_tpa_views(_clip(), ["color_jitter", "patch_shuffle"], frames=(0, 2, 99))
    assert isinstance(fig, Figure)
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 3 * (3 + 1)  # original + 2 ops; frames 0, 2, 5 (99 is clipped); the map
    fig = plot_tpa_views(_clip()[None], {"hue": 0.5}, frames=(1,), difference=False)
    assert len([ax for ax in fig.axes if ax.images]) == 2
    wide = plot_tpa_views(_clip(), ["hue", "gaussian_noise"], frames=(0, 1), transpose=True)
    image_axes = [ax for ax in wide.axes if ax.images]
    assert len(image_axes) == 3 * 3
    assert image_axes[0].get_title() == "original" and image_axes[0].get_ylabel() == "t = 0"


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="one clip at a time"):
        plot_tpa_views(torch.rand(2, 3, 4, 8, 8), ["hue"])
    with pytest.raises(ValueError, match="at least one op"):
        plot_tpa_views(_clip(), [])
    with pytest.raises(ValueError, match="unknown TPA op"):
        plot_tpa_views(_clip(), ["emboss"])
    with pytest.raises(ValueError, match="at least 2 frames"):
        plot_tpa_views(_clip(1), ["hue"])
