"""Figures and tables of the studies: the diagnostic's drops, the robustness curves."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from engine_helpers import synthetic_videos

from sdrlib.studies import diagnose, plots


def test_diagnostic_drops_read_the_ffpp_rows_per_condition():
    clean = synthetic_videos({"ftcn": {"ffpp-df": 3.0, "celebdf": 3.0}, "frame2d": {"ffpp-df": 3.0}})
    shuffled = clean.assign(condition="temporal_shuffle")
    shuffled.loc[shuffled["row"] == "ftcn", "prob"] -= 3.0 * shuffled.loc[shuffled["row"] == "ftcn", "label"]
    drops = diagnose.diagnostic_drops(pd.concat([clean, shuffled])).set_index(["method", "condition"])
    assert drops.loc[("ftcn", "temporal_shuffle"), "drop"] > 30 and drops.loc[("ftcn", "temporal_shuffle"), "low"] > 10
    same = drops.loc[("frame2d", "temporal_shuffle")]
    assert (same["drop"], same["low"], same["high"]) == (0.0, 0.0, 0.0)  # nothing changed: exactly zero
    assert drops.loc[("ftcn", "temporal_shuffle"), "kind"] == "temporal"
    assert drops.loc[("ftcn", "blur"), "kind"] == "spatial" and np.isnan(drops.loc[("ftcn", "blur"), "drop"])
    table = diagnose.diagnostic_table(pd.concat([clean, shuffled])).set_index("method")
    assert table.loc["frame2d", "drop temporal_shuffle"] == "+0.0 [+0.0, +0.0]"
    fig = plots.plot_diagnostic(drops.reset_index().dropna(subset=["drop"]), "t")
    assert fig.axes[0].get_legend() is not None
    plt.close(fig)


def test_robustness_plot_has_one_panel_per_perturbation():
    frames = [synthetic_videos({"ftcn": {"ffpp-df": 2.0}, "sdr": {"ffpp-df": 2.0}}).assign(perturbation="clean", level=0)]
    for name in ("blur", "noise", "compression"):
        for level in (1, 5):
            label = f"robust-{name}-{level}-s0"
            frames.append(
                synthetic_videos({"ftcn": {"ffpp-df": 1.0}, "sdr": {"ffpp-df": 1.0}}, condition=label).assign(
                    perturbation=name, level=level
                )
            )
    fig = plots.plot_robustness(pd.concat(frames, ignore_index=True), "t")
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in titled] == ["blur", "noise", "compression"]
    assert len(titled[0].lines) == 2 + 1 and len(titled[0].collections) == 2  # a line and a band per model
    plt.close(fig)
    fig = plots.plot_perturbations(torch.rand(3, 4, 16, 16), ["blur", "noise"])
    assert len(fig.axes) == 2 * 6
    plt.close(fig)


