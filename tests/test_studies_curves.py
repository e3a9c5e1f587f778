"""Training curves of a run (sdrlib.studies.curves)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure

from sdrlib.engine.config import OptimConfig
from sdrlib.engine.metrics import per_domain_metrics
from sdrlib.engine.schedule import build_optimizer
from sdrlib.studies.curves import planned_lr, plot_roc, plot_training_curves, read_logs


def test_planned_lr_is_what_the_scheduler_applies():
    optim = OptimConfig(lr=0.01, warmup_frac=0.2, min_lr_ratio=0.05)
    optimizer, scheduler = build_optimizer(torch.nn.Linear(2, 1), optim, total_steps=10)
    applied = []
    for _ in range(10):
        applied.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    plan = planned_lr(optim, 10)
    assert plan.shape == (10,)
    assert plan == pytest.approx(applied)
    # by hand: w = 2 warm-up steps (1/3, 2/3 of the peak), the peak, then cosine to 5 %:
    # step 6 is half-way through the 8 cosine steps, 0.05 + 0.95 / 2 = 0.525 of the peak
    assert plan[[0, 1, 2, 6]] == pytest.approx([0.01 / 3, 0.02 / 3, 0.01, 0.00525])
    assert plan.max() == pytest.approx(0.01) and plan[-1] < plan.max()
    with pytest.raises(ValueError, match="total_steps"):
        planned_lr(optim, 0)


def test_read_logs_and_plot(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a training run"):
        read_logs(tmp_path)
    log = pd.DataFrame(
        {
            "step": [2, 4],
            "lr": [1e-3, 5e-4],
            "loss": [2.0, 1.0],
            "bce": [0.7, 0.6],
            "mi": [3.0, 1.0],
            "con": [0.0, 0.0],
        }
    )
    log.to_csv(tmp_path / "train_log.csv", index=False)
    train_log, val_log = read_logs(tmp_path)
    assert list(train_log["step"]) == [2, 4] and val_log.empty
    fig = plot_training_curves(
        train_log, pd.DataFrame({"step": [4], "video_auc": [0.75]}), OptimConfig(), 4, 4
    )
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    logged = fig.axes[1].collections[0].get_offsets()
    assert np.asarray(logged).tolist() == [[2, 1e-3], [4, 5e-4]]  # the logged rates, where logged
    assert fig.axes[2].get_lines()[0].get_ydata().tolist() == [0.75]
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert "contrastive" not in labels and "BCE" in labels  # an all-zero term is not drawn
    with pytest.raises(ValueError, match="lacks columns"):
        plot_training_curves(log.drop(columns="mi"), val_log, OptimConfig(), 4)


def test_roc_curves_are_the_curves_of_the_metrics_table():
    """Each curve's area is the AUC of the metrics table, FF++ fakes against FF++'s shared reals
    (issue 11, item 13: a domain without reals of its own was drawn against *all* reals)."""
    rows = [("r1", 0, "ffpp", 0.2), ("r2", 0, "ffpp", 0.6), ("r3", 0, "celebdf", 0.05),
            ("r4", 0, "celebdf", 0.1), ("f1", 1, "ffpp-df", 0.5), ("f2", 1, "ffpp-df", 0.9),
            ("f3", 1, "celebdf", 0.3), ("f4", 1, "ffpp-nt", 0.7)]
    clips = pd.DataFrame(rows, columns=["video_id", "label", "domain", "prob"])
    table = per_domain_metrics(clips).set_index("domain")
    fig = plot_roc(clips)
    # one panel per fake domain, titled "<domain>: AUC <auc>"; its last line is the ROC curve
    panels = {ax.get_title().split(":")[0]: ax for ax in fig.axes if ax.get_title()}
    assert set(panels) == {"celebdf", "ffpp-df", "ffpp-nt"}
    for domain, ax in panels.items():
        fpr, tpr = ax.get_lines()[-1].get_data()
        assert np.trapezoid(tpr, fpr) == pytest.approx(table.loc[domain, "video_auc"]), domain
        assert ax.get_title().endswith(f"AUC {table.loc[domain, 'video_auc']:.2f}"), domain
    assert sum(not ax.axison for ax in fig.axes) == 0  # 3 panels fill a 1x3 grid
    # ffpp-df: 0.5 and 0.9 against FF++'s 0.2 and 0.6 -> 3 of 4 pairs; against all four reals 7/8
    assert table.loc["ffpp-df", "video_auc"] == pytest.approx(0.75)
