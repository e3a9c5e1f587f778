"""Evaluation of a checkpoint on the test split of one or more data sets.

Video-level AUC (mean clip probability per unique video id), clip-level AUC, EER, AP and ACC at
the threshold chosen on validation during training, per domain and overall (SDR_SPEC section 3).
Explained in the book chapters 'Table 1' and 'Table 2'.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from sdrlib.data import ClipDataset
from sdrlib.engine.checkpoint import CheckpointMeta, load_checkpoint
from sdrlib.engine.data import eval_workers
from sdrlib.engine.inference import ClipTransform, predict_clips
from sdrlib.engine.metrics import per_domain_metrics, video_scores
from sdrlib.utils import atomic_write_json, atomic_write_text, resolve_device

TABLE_COLUMNS = [
    "domain",
    "video_auc",
    "clip_auc",
    "video_ap",
    "video_eer",
    "video_acc",
    "n_videos",
    "n_clips",
]


@dataclass
class EvaluationResult:
    """Per-clip scores, per-video scores and the per-domain metric table of one evaluation."""

    clips: pd.DataFrame
    videos: pd.DataFrame
    table: pd.DataFrame
    threshold: float | None
    checkpoint: str = ""

    @property
    def overall(self) -> dict[str, float]:
        return self.table[self.table["domain"] == "all"].iloc[0].to_dict()

    def markdown(self, digits: int = 4) -> str:
        return self.table[TABLE_COLUMNS].to_markdown(index=False, floatfmt=f".{digits}f")

    def save(self, out_dir: str | Path) -> Path:
        """Write ``metrics.json``, ``clips.csv``, ``videos.csv`` and ``per_domain.{csv,md}``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out / "clips.csv", self.clips.to_csv(index=False))
        atomic_write_text(out / "videos.csv", self.videos.to_csv(index=False))
        atomic_write_text(out / "per_domain.csv", self.table.to_csv(index=False))
        atomic_write_text(out / "per_domain.md", self.markdown() + "\n")
        atomic_write_json(
            out / "metrics.json",
            {
                "checkpoint": self.checkpoint,
                "threshold": self.threshold,
                "per_domain": self.table.to_dict("records"),
            },
        )
        return out / "metrics.json"


def evaluate_model(
    model: torch.nn.Module,
    meta: CheckpointMeta,
    roots: list[str | Path],
    split: str = "test",
    domains: list[str] | None = None,
    device: str | torch.device = "auto",
    batch_size: int = 16,
    precision: str = "auto",
    num_workers: int | None = None,
    transform: ClipTransform | None = None,
    progress: bool = True,
) -> EvaluationResult:
    """Score all non-overlapping clips of ``split`` and compute the metric table.

    ``num_workers``: loader worker processes; ``None`` takes the evaluation workers of the profile
    the checkpoint was trained with (``data.eval_workers``, else ``data.num_workers``), so a large
    test set (DFDC's 3215 videos) is decoded by as many processes as training used.
    """
    device = resolve_device(device)
    dataset = ClipDataset(
        [Path(r) for r in roots],
        split=split,
        clip_len=meta.clip_len,
        mode="eval",
        domains=domains,
        size=meta.input_size,
    )
    if len(dataset) == 0:
        raise ValueError(f"no {split} clips in {[str(r) for r in roots]} for domains {domains}")
    if num_workers is None:
        num_workers = eval_workers(meta.config.get("data", {}))
    clips = predict_clips(
        model.to(device), dataset, device, batch_size, precision, num_workers, transform, progress
    )
    return EvaluationResult(
        clips=clips,
        videos=video_scores(clips),
        table=per_domain_metrics(clips, meta.threshold),
        threshold=meta.threshold,
    )


def evaluate_checkpoint(checkpoint: str | Path, roots: list[str | Path], **kwargs) -> EvaluationResult:
    """Load ``checkpoint`` (run dir, .json or .safetensors) and :func:`evaluate_model` it."""
    device = resolve_device(kwargs.pop("device", "auto"))
    model, meta = load_checkpoint(checkpoint, device)
    result = evaluate_model(model, meta, roots, device=device, **kwargs)
    result.checkpoint = str(checkpoint)
    return result
