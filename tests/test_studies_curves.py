"""Training curves of a run (sdrlib.studies.curves)."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure

from sdrlib.engine.config import OptimConfig
from sdrlib.engine.schedule import build_optimizer
from sdrlib.studies.curves import planned_lr, plot_training_curves, read_logs


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
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert "contrastive" not in labels and "BCE" in labels  # an all-zero term is not drawn
    with pytest.raises(ValueError, match="lacks columns"):
        plot_training_curves(log.drop(columns="mi"), val_log, OptimConfig(), 4)
