"""What a run directory holds besides its checkpoints: the logs, the summary, the random streams.

``train_log.csv`` / ``val_log.csv`` (and TensorBoard events) are written by :class:`RunLogger`;
``summary.json`` is written last, so its presence marks a finished run (:func:`is_finished`);
:func:`rng_state` / :func:`set_rng_state` save and restore every random stream a training step
draws from, which is what makes a resumed run reach the same weights as an uninterrupted one.
Book chapter 'training end to end'.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from sdrlib.utils import atomic_write_text, seed_everything

LOG_FILE = "train_log.csv"
VAL_FILE = "val_log.csv"


@dataclass
class TrainResult:
    """What :func:`train` leaves behind (all of it also on disk in ``run_dir``)."""

    run_dir: Path
    best_checkpoint: Path
    best_step: int
    threshold: float
    val_metrics: dict[str, float]
    steps_done: int
    finished: bool
    wall_s: float

    @property
    def train_log(self) -> pd.DataFrame:
        return pd.read_csv(self.run_dir / LOG_FILE)

    @property
    def val_log(self) -> pd.DataFrame:
        return pd.read_csv(self.run_dir / VAL_FILE)


def is_finished(run_dir: str | Path) -> bool:
    """A run is finished when its ``summary.json`` exists (written last)."""
    return (Path(run_dir) / "summary.json").is_file()


def load_result(run_dir: str | Path) -> TrainResult:
    """The :class:`TrainResult` of a finished run directory."""
    run_dir = Path(run_dir)
    summary = json.loads((run_dir / "summary.json").read_text())
    return TrainResult(
        run_dir=run_dir,
        best_checkpoint=run_dir / "checkpoints" / "best.json",
        best_step=summary["best_step"],
        threshold=summary["threshold"],
        val_metrics=summary["val_metrics"],
        steps_done=summary["steps"],
        finished=True,
        wall_s=summary["wall_s"],
    )


class RunLogger:
    """CSV (+ TensorBoard) logs of rank 0; on resume, rows past the resumed step are dropped."""

    def __init__(self, run_dir: Path, resume_step: int, enabled: bool) -> None:
        self.enabled = enabled
        self.run_dir = run_dir
        self.tb = None
        if not enabled:
            return
        for name in (LOG_FILE, VAL_FILE):
            path = run_dir / name
            if path.exists():
                rows = [r for r in csv.DictReader(path.open()) if int(r["step"]) <= resume_step]
                fields = list(rows[0].keys()) if rows else None
                if fields:
                    lines = [",".join(fields)] + [",".join(r[f] for f in fields) for r in rows]
                    atomic_write_text(path, "\n".join(lines) + "\n")
                else:
                    path.unlink()
        try:  # imported here: tensorboard costs about a second, and only a writing rank needs it
            from torch.utils.tensorboard import SummaryWriter

            self.tb = SummaryWriter(str(run_dir / "tb"), purge_step=resume_step + 1 if resume_step else None)
        except ImportError:  # tensorboard is a dependency, but logs must never stop training
            self.tb = None

    def write(self, name: str, row: dict[str, Any]) -> None:
        if not self.enabled:
            return
        path = self.run_dir / name
        new = not path.exists()
        with path.open("a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(row))
            if new:
                writer.writeheader()
            writer.writerow(row)
        if self.tb is not None:
            prefix = "train" if name == LOG_FILE else "val"
            for key, value in row.items():
                if key != "step" and isinstance(value, (int, float)):
                    self.tb.add_scalar(f"{prefix}/{key}", value, row["step"])

    def close(self) -> None:
        if self.tb is not None:
            self.tb.close()


def rng_state() -> dict[str, Any]:
    """Every random stream the training step draws from (TPA, dropout, posterior sampling)."""
    np_state = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": (torch.from_numpy(np_state[1].astype(np.int64)), int(np_state[2])),
        "python": random.getstate(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def rank_rng_state(
    saved: dict[str, Any] | list[dict[str, Any]], rank: int, fallback_seed: int
) -> dict[str, Any]:
    """The streams ``rank`` resumes with: ``saved`` holds one state per rank of the interrupted run
    (or one state, as runs saved before DDP runs kept their own). A rank the interrupted run did not
    have starts fresh streams from ``fallback_seed``."""
    states = saved if isinstance(saved, list) else [saved]
    if rank < len(states):
        return states[rank]
    seed_everything(fallback_seed)
    return rng_state()


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    keys, pos = state["numpy"]
    np.random.set_state(("MT19937", keys.numpy().astype(np.uint32), pos, 0, 0.0))
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
