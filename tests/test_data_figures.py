"""The data chapter's pictures: each returns a Figure on a tiny dataset; the measurements are right."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from sdrlib.data import generate_synthdf
from sdrlib.data.figures import (
    mean_abs_difference,
    mean_log_spectrum,
    plot_artifact_spectra,
    plot_domain_grid,
    plot_frame_differences,
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return generate_synthdf(
        tmp_path_factory.mktemp("figures") / "tiny",
        domains=["ffpp-f2f", "celebdf"],
        n_per_split={"train": 1, "test": 2},
        frames=8,
        size=32,
        progress=False,
    )


@pytest.mark.parametrize("plot", [plot_domain_grid, plot_frame_differences, plot_artifact_spectra])
def test_plots_return_figures(tiny, plot):
    fig = plot(tiny)
    assert isinstance(fig, Figure)
    assert len(fig.axes) >= 2 * 2


def test_plots_check_their_domains(tiny):
    grid = plot_domain_grid(tiny, domains=["celebdf"], n_frames=3)
    assert len([ax for ax in grid.axes if ax.images]) == 2 * 3
    with pytest.raises(ValueError, match="not in this dataset"):
        plot_artifact_spectra(tiny, domains=["dfdc"])


def test_measurements():
    still = np.full((5, 8, 8, 3), 100, dtype=np.uint8)
    assert mean_abs_difference(still).max() == 0
    flicker = still.copy()
    flicker[1::2] = 110
    assert np.allclose(mean_abs_difference(flicker), 10, atol=1e-3)
    with pytest.raises(ValueError, match="2 frames"):
        mean_abs_difference(still[:1])
    checker = (np.indices((16, 16)).sum(0) % 2 * 40 + 100).astype(np.uint8)
    spectrum = mean_log_spectrum(np.repeat(checker[None, ..., None], 3, axis=-1))
    assert np.unravel_index(np.argmax(spectrum), spectrum.shape) == (0, 0)
