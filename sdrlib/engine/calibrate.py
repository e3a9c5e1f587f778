"""Choosing the decision threshold of a checkpoint that has none: ``sdr calibrate``.

A converted published checkpoint (``sdr convert``) carries no threshold, and the demo constants
of the original code (0.0026 for FTCN, 0.04 for AltFreezing) flag real videos as fake
(SDR_SPEC section 5). Calibration applies the rule training uses, with the same function
(:func:`sdrlib.engine.trainer.validate`): score the non-overlapping clips of the *validation*
split, average them per video, and take the threshold that maximises balanced accuracy (Youden's
J, :func:`sdrlib.engine.metrics.choose_threshold`). The threshold and where it came from (data
directories, split, domains, rule, numbers of videos, date) go into the checkpoint's JSON; the
weights are not touched. Book chapter 'your own video'; ``docs/published_detectors.md``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from sdrlib.engine.checkpoint import CheckpointMeta, load_checkpoint, resolve_checkpoint
from sdrlib.engine.evaluate import eval_dataset
from sdrlib.engine.trainer import validate
from sdrlib.utils import atomic_write_json, resolve_device

RULE = (
    "max balanced accuracy (Youden's J) over validation video scores (mean clip p(fake)), "
    "midpoint between neighbouring scores: sdrlib.engine.metrics.choose_threshold, as in training"
)


@dataclass
class Calibration:
    """The outcome of :func:`calibrate_checkpoint`.

    Attributes:
        threshold: the chosen threshold on p(fake).
        record: the provenance stored as the checkpoint's ``calibration``.
        checkpoint: the JSON that was (or would be) updated.
    """

    threshold: float
    record: dict[str, Any]
    checkpoint: Path


def calibrate_checkpoint(
    checkpoint: str | Path,
    roots: list[str | Path],
    split: str = "val",
    domains: list[str] | None = None,
    device: str | torch.device = "auto",
    batch_size: int = 16,
    force: bool = False,
    write: bool = True,
    progress: bool = True,
) -> Calibration:
    """Choose ``checkpoint``'s threshold on ``split`` of the prepared datasets ``roots``.

    Args:
        checkpoint: run directory, ``.json`` or ``.safetensors``.
        roots: dataset directories (``manifest.csv``) written by ``sdr prepare`` or ``sdr synth``.
        split: the split to calibrate on; ``val`` (never ``test``: that would choose the threshold
            on the data it is judged on).
        domains: restrict to these domains (default: all in ``roots``).
        device: where the model runs.
        batch_size: clips per forward pass.
        force: replace a threshold that training chose on its own validation data.
        write: update the checkpoint's JSON (False: only compute).
        progress: show a progress bar.

    Raises:
        ValueError: ``split`` is ``test``; the checkpoint already has a training threshold and
            ``force`` is False; no clips; only one class among the videos.
    """
    if split == "test":
        raise ValueError(
            "calibrating on the test split would choose the threshold on the data it is judged on; use val"
        )
    json_path = resolve_checkpoint(checkpoint)
    device = resolve_device(device)
    model, meta = load_checkpoint(json_path, device)
    if meta.threshold is not None and not meta.calibration and not force:
        raise ValueError(
            f"{json_path} already has the threshold {meta.threshold:.4f} chosen on its training run's "
            "validation data; pass --force to replace it"
        )
    dataset = eval_dataset(meta, roots, split, domains)
    metrics, threshold, clips = validate(model, dataset, device, batch_size, "auto", progress)
    if metrics["n_real"] == 0 or metrics["n_fake"] == 0:
        raise ValueError(
            f"calibration needs real and fake videos: the {split} split has {metrics['n_real']} real "
            f"and {metrics['n_fake']} fake"
        )
    record = {
        "threshold": threshold,
        "data": [str(Path(r).resolve()) for r in roots],
        "split": split,
        "domains": sorted(clips["domain"].unique().tolist()),
        "rule": RULE,
        "n_videos": metrics["n_videos"],
        "n_real": metrics["n_real"],
        "n_fake": metrics["n_fake"],
        "n_clips": metrics["n_clips"],
        "clip_len": meta.clip_len,
        "input_size": meta.input_size,
        "video_auc": metrics["video_auc"],
        "video_acc": metrics["video_acc"],
        "previous_threshold": meta.threshold,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    if write:
        data = json.loads(json_path.read_text())
        meta = CheckpointMeta.from_json(data)
        meta.threshold, meta.calibration = threshold, record
        atomic_write_json(json_path, {**data, **meta.__dict__})
    return Calibration(threshold=threshold, record=record, checkpoint=json_path)
