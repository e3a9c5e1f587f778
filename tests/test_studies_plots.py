"""Figures and tables of the studies: the diagnostic's drops, the robustness curves."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch

from sdrlib.studies import diagnose, plots

DOMAINS = ["ffpp-df", "ffpp-f2f", "ffpp-fs", "ffpp-nt", "celebdf", "dfdc"]


def _long(rows: dict[str, dict[str, list[float]]], condition: str = "clean", train: str | None = None):
    """A long table: ``rows[method][domain]`` = AUC per seed."""
    out = []
    for method, per_domain in rows.items():
        for domain, values in per_domain.items():
            for seed, auc in enumerate(values):
                out.append(
                    {
                        "row": method,
                        "seed": seed,
                        "condition": condition,
                        "test_domain": domain,
                        "train_domains": train or ",".join(DOMAINS[:4]),
                        "video_auc": auc,
                        "ffpp": domain.startswith("ffpp-"),
                    }
                )
    return pd.DataFrame(out)


def test_diagnostic_drops_read_the_ffpp_rows_per_condition():
    clean = _long({"ftcn": {"ffpp-df": [0.9]}, "frame2d": {"ffpp-df": [0.8]}})
    shuffled = _long(
        {"ftcn": {"ffpp-df": [0.6]}, "frame2d": {"ffpp-df": [0.8]}}, condition="temporal_shuffle"
    )
    drops = diagnose.diagnostic_drops(pd.concat([clean, shuffled])).set_index(["method", "condition"])
    assert drops.loc[("ftcn", "temporal_shuffle"), "drop"] == pytest.approx(30.0)
    assert drops.loc[("frame2d", "temporal_shuffle"), "drop"] == pytest.approx(0.0)
    assert drops.loc[("ftcn", "temporal_shuffle"), "kind"] == "temporal"
    assert drops.loc[("ftcn", "blur"), "kind"] == "spatial" and np.isnan(drops.loc[("ftcn", "blur"), "drop"])
    fig = plots.plot_diagnostic(drops.reset_index().dropna(subset=["drop"]), "t")
    plt.close(fig)


def test_robustness_plot_has_one_panel_per_perturbation():
    rows = []
    for model in ("ftcn", "sdr"):
        rows.append(
            {"model": model, "perturbation": "clean", "level": 0, "test_domain": "all", "video_auc": 0.8}
        )
        for name in ("blur", "noise", "compression"):
            for level in (1, 5):
                rows.append(
                    {
                        "model": model,
                        "perturbation": name,
                        "level": level,
                        "test_domain": "all",
                        "video_auc": 0.6,
                    }
                )
    fig = plots.plot_robustness(pd.DataFrame(rows), "t")
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in titled] == ["blur", "noise", "compression"]
    assert len(titled[0].lines) == 2 + 1
    plt.close(fig)
    fig = plots.plot_perturbations(torch.rand(3, 4, 16, 16), ["blur", "noise"])
    assert len(fig.axes) == 2 * 6
    plt.close(fig)


