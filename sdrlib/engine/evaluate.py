"""Evaluation of a checkpoint on the test split of one or more data sets.

Video-level AUC (mean clip probability per unique video id), clip-level AUC, EER, AP and ACC at
the threshold chosen on validation during training, per domain and overall (SDR_SPEC section 3),
with the real and fake videos behind each row. A fake domain's row scores its fakes against the
reals of the same data set (FF++'s manipulations share its originals); the ``all`` row
(:data:`ALL_ROW`) pools every evaluated video in one AUC, which is no number of the protocol when
several data sets are evaluated: the paper reports each data set's row and, for FF++, the mean of
its four manipulation rows. Explained in the book chapters 'Table 1' and 'Table 2'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import torch

from sdrlib.data import ClipDataset
from sdrlib.data.domains import FFPP_FAMILY, FFPP_METHODS
from sdrlib.data.preparation import PROTOCOL_FFPP_METHODS, crop_differences, face_settings
from sdrlib.engine.checkpoint import CheckpointMeta, load_checkpoint
from sdrlib.engine.data import eval_workers
from sdrlib.engine.inference import ClipTransform, predict_clips
from sdrlib.engine.metrics import per_domain_metrics, video_scores
from sdrlib.models.resnet3d import fold_batchnorm
from sdrlib.utils import atomic_write_json, atomic_write_text, resolve_device

TABLE_COLUMNS = [
    "domain",
    "video_auc",
    "clip_auc",
    "video_ap",
    "video_eer",
    "video_acc",
    "n_real",
    "n_fake",
    "n_clips",
]

#: What the ``all`` row of an evaluation is (printed under ``sdr evaluate``'s table).
ALL_ROW = (
    "all = every evaluated video pooled in one AUC (reals and fakes of every data set together); "
    "the protocol's numbers are the per-domain rows (FF++: the mean of its four manipulations)"
)


@dataclass
class EvaluationResult:
    """Per-clip scores, per-video scores and the per-domain metric table of one evaluation."""

    clips: pd.DataFrame
    videos: pd.DataFrame
    table: pd.DataFrame
    threshold: float | None
    checkpoint: str = ""
    warnings: list[str] = field(default_factory=list)

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
                "all_row": ALL_ROW,
                "warnings": self.warnings,
            },
        )
        return out / "metrics.json"


def eval_dataset(
    meta: CheckpointMeta, roots: list[str | Path], split: str, domains: list[str] | None
) -> ClipDataset:
    """Every non-overlapping clip of ``split`` at the checkpoint's clip length and size.

    Raises:
        ValueError: no clip of ``split`` in ``roots`` for ``domains``.
    """
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
    return dataset


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
    dataset = eval_dataset(meta, roots, split, domains)
    if num_workers is None:
        num_workers = eval_workers(meta.config.get("data", {}))
    clips = predict_clips(
        model.to(device), dataset, device, batch_size, precision, num_workers, transform, progress
    )
    table = per_domain_metrics(clips, meta.threshold)
    return EvaluationResult(
        clips=clips,
        videos=video_scores(clips),
        table=table,
        threshold=meta.threshold,
        warnings=crop_warnings(meta, roots) + class_warnings(table, set(clips["domain"])),
    )


def class_warnings(table: pd.DataFrame, domains: set[str] | None = None) -> list[str]:
    """One line per row of a metric table without both classes (its AUC, AP and EER are undefined),
    e.g. ``--domains ffpp``: FF++'s originals, whose fakes are in the manipulation domains
    (``domains``: those of the evaluated clips, for that hint)."""
    out = []
    for row in table.to_dict("records"):
        if row["n_real"] and row["n_fake"]:
            continue
        what = "the evaluated videos" if row["domain"] == "all" else f"domain {row['domain']}"
        missing = "real" if not row["n_real"] else "fake"
        out.append(
            f"{what}: {row['n_real']} real / {row['n_fake']} fake, no {missing} video: no AUC, AP or EER"
        )
    if out and FFPP_FAMILY in (domains or set()) and not (table["n_fake"] > 0).any():
        choices = [FFPP_METHODS[m][0] for m in PROTOCOL_FFPP_METHODS]
        out.append(
            f"domain {FFPP_FAMILY} holds FF++'s originals, scored with each manipulation: choose "
            f"{', '.join(choices)}, which bring them"
        )
    return out


def crop_warnings(meta: CheckpointMeta, roots: list[str | Path]) -> list[str]:
    """One line per dataset directory prepared with other crops than the checkpoint's training data
    (scores on them are not comparable with the validation threshold)."""
    trained = meta.preparation.get("face") or {}
    out = []
    for root in roots:
        face = face_settings(root) or {}
        differ = crop_differences(face, trained)
        if differ and (meta.input_size is None or any(key != "size" for key, _, _ in differ)):
            listed = ", ".join(f"face.{key}={a} (training data: {b})" for key, a, b in differ)
            out.append(f"{root} was prepared with other crops than the checkpoint's training data: {listed}")
    return out


def evaluate_checkpoint(checkpoint: str | Path, roots: list[str | Path], **kwargs) -> EvaluationResult:
    """Load ``checkpoint`` (run dir, .json or .safetensors) and :func:`evaluate_model` it."""
    device = resolve_device(kwargs.pop("device", "auto"))
    model, meta = load_checkpoint(checkpoint, device)
    # the loaded model is only scored: its BatchNorms folded into the convs score it faster
    model = fold_batchnorm(model).to_channels_last()
    result = evaluate_model(model, meta, roots, device=device, **kwargs)
    result.checkpoint = str(checkpoint)
    return result
