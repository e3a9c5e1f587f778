"""Curves of a trained run: its training logs (loss terms, learning rate, validation AUC) and the
ROC curves of an evaluation.

Reads the CSV logs :func:`sdrlib.engine.trainer.train` writes (``train_log.csv``: one row every
``log_every`` steps with ``loss``, ``bce``, ``mi``, ``con``, ``lambda_mi``, ``lr``; ``val_log.csv``:
one row per validation) and draws them. The planned learning rate comes from the same function the
trainer's scheduler calls (:func:`sdrlib.engine.schedule.lr_factor`), so the figure shows that the
logged rate follows the schedule step by step. The ROC curves (``sdr evaluate --roc``) draw each
fake domain against the reals its AUC is computed with, one panel per domain. Book chapter 'training end to end'.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import roc_auc_score, roc_curve

from sdrlib.engine.config import OptimConfig
from sdrlib.engine.metrics import domain_rows, video_scores
from sdrlib.engine.run_state import LOG_FILE, VAL_FILE
from sdrlib.engine.schedule import lr_factor

LOSS_TERMS = (("loss", "total"), ("bce", "BCE"), ("mi", "MI"), ("con", "contrastive"))


def read_logs(run_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(train_log, val_log)`` of a run directory (the validation log may be empty).

    Raises:
        FileNotFoundError: the directory has no training log.
    """
    run_dir = Path(run_dir)
    if not (run_dir / LOG_FILE).is_file():
        raise FileNotFoundError(f"{run_dir} has no {LOG_FILE}: not a training run directory")
    val_path = run_dir / VAL_FILE
    val = pd.read_csv(val_path) if val_path.is_file() else pd.DataFrame(columns=["step", "video_auc"])
    return pd.read_csv(run_dir / LOG_FILE), val


def planned_lr(optim: OptimConfig, total_steps: int) -> np.ndarray:
    """The learning rate of every optimizer step ``1..total_steps`` under ``optim``'s schedule.

    Shape:
        returns ``(total_steps,)``; entry ``s - 1`` is the rate used by step ``s``.
    """
    if total_steps < 1:
        raise ValueError(f"total_steps must be >= 1, got {total_steps}")
    factors = [lr_factor(s, total_steps, optim.warmup_frac, optim.min_lr_ratio) for s in range(total_steps)]
    return optim.lr * np.asarray(factors)


def plot_training_curves(
    train_log: pd.DataFrame,
    val_log: pd.DataFrame,
    optim: OptimConfig,
    total_steps: int,
    best_step: int | None = None,
) -> Figure:
    """Three panels: the loss terms (log scale), the learning rate (planned vs logged), validation AUC.

    Args:
        train_log: the run's ``train_log.csv``.
        val_log: the run's ``val_log.csv``.
        optim: the run's optimizer config (for the planned schedule).
        total_steps: the run's ``train.steps``.
        best_step: the step the validation selected, marked on the AUC panel.
    """
    missing = [c for c in ("step", "lr", *(term for term, _ in LOSS_TERMS)) if c not in train_log.columns]
    if missing:
        raise ValueError(f"train log lacks columns {missing}; has {list(train_log.columns)}")
    fig = Figure(figsize=(10.0, 3.0), layout="constrained")
    ax_loss, ax_lr, ax_auc = fig.subplots(1, 3)
    for term, label in LOSS_TERMS:
        values = train_log[term].to_numpy(dtype=float)
        if np.all(values == 0):
            continue  # a term switched off (or a baseline without branches) has nothing to show
        ax_loss.plot(train_log["step"], np.maximum(values, 1e-6), marker=".", label=label)
    ax_loss.set(yscale="log", xlabel="step", title="training losses (unweighted)")
    below = {"fontsize": 8, "loc": "upper center", "bbox_to_anchor": (0.5, -0.2), "ncol": 2}
    ax_loss.legend(**below)
    steps = np.arange(1, total_steps + 1)
    ax_lr.plot(steps, planned_lr(optim, total_steps), color="grey", label="schedule")
    ax_lr.scatter(train_log["step"], train_log["lr"], color="black", s=12, zorder=3, label="logged")
    ax_lr.set(xlabel="step", title="learning rate")
    ax_lr.legend(**below)
    if len(val_log):
        ax_auc.plot(val_log["step"], val_log["video_auc"], marker="o", label="video AUC")
        if best_step is not None:
            ax_auc.axvline(best_step, color="grey", ls="--", lw=0.8, label=f"selected (step {best_step})")
        ax_auc.legend(**below)
    ax_auc.set(xlabel="step", ylim=(0.0, 1.02), xlim=(0, total_steps + 1), title="validation")
    return fig


def plot_roc(clips: pd.DataFrame, title: str = "video-level ROC") -> Figure:
    """ROC curves of the video scores, one panel per fake domain (fakes vs the reals they are scored
    with), each titled with its AUC: curves of different domains often coincide (a perfect or a
    chance detector), and one panel each keeps every curve visible."""
    videos = video_scores(clips)
    curves = {}
    for domain in sorted(videos.loc[videos["label"] == 1, "domain"].unique()):
        subset = domain_rows(videos, domain)  # the reals its AUC in the metrics table uses
        if subset["label"].nunique() < 2:
            continue
        curves[domain] = subset
    columns = min(3, max(1, len(curves)))
    rows = max(1, -(-len(curves) // columns))
    fig = Figure(figsize=(2.6 * columns, 2.5 * rows + 0.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns, sharex=True, sharey=True)).ravel()
    for ax, (domain, subset) in zip(axes, curves.items(), strict=False):
        fpr, tpr, _ = roc_curve(subset["label"], subset["prob"])
        auc = roc_auc_score(subset["label"], subset["prob"])
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
        ax.plot(fpr, tpr, lw=1.6)
        ax.set(title=f"{domain}: AUC {auc:.2f}", xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), aspect="equal")
        ax.title.set_fontsize(9)
    for ax in axes[len(curves) :]:
        ax.set_axis_off()
    fig.supxlabel("false positive rate", fontsize=9)
    fig.supylabel("true positive rate", fontsize=9)
    fig.suptitle(title, fontsize=10)
    return fig
