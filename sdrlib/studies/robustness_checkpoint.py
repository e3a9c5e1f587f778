"""Robustness of one checkpoint (``sdr robustness --checkpoint RUN_DIR --data DIR``).

:func:`sdrlib.studies.robustness.run_robustness` scores the ``table2`` runs of a profile; a
checkpoint that no profile trained (a converted FTCN or AltFreezing, or any run directory) is
scored here under the same DeeperForensics-1.0 perturbations and levels, on a prepared data set,
and summarised by the same table. Nothing is cached: one checkpoint, one call. Book chapter
'robustness'; SDR_SPEC section 3 (video-level AUC).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import torch
from tqdm.auto import tqdm

from sdrlib.engine.checkpoint import load_checkpoint
from sdrlib.engine.evaluate import evaluate_model
from sdrlib.experiments.runner import ExperimentResult
from sdrlib.experiments.tables import condition_counts, with_counts
from sdrlib.studies.perturbations import LEVELS, PERTURBATIONS, perturbation_condition
from sdrlib.studies.robustness import CLEAN_LEVEL, robustness_table
from sdrlib.utils import atomic_write_json, atomic_write_text, resolve_device


def checkpoint_robustness(
    checkpoint: str | Path,
    roots: list[str | Path],
    out_dir: str | Path | None = None,
    perturbations: list[str] | None = None,
    levels: list[int] | None = None,
    domains: list[str] | None = None,
    split: str = "test",
    seed: int = 0,
    device: str | torch.device = "auto",
    batch_size: int = 16,
    progress: bool = True,
) -> ExperimentResult:
    """Video AUC of ``checkpoint`` on ``split`` of ``roots``, clean and under every perturbation.

    Args:
        checkpoint: run directory, ``.json`` or ``.safetensors`` (converted ones included).
        roots: prepared dataset directories.
        out_dir: where ``results.csv``, ``table.{csv,md}`` and ``metrics.json`` go (None: nowhere).
        perturbations: names from :data:`~sdrlib.studies.robustness.PERTURBATIONS` (default: all).
        levels: levels in 1..5 (default: all five).
        domains: test domains (default: all in ``roots``).
        split: the split to score.
        seed: seed of the random perturbations (blocks, noise).

    Raises:
        ValueError: an unknown perturbation or level, or no clips.
    """
    perturbations = list(perturbations or PERTURBATIONS)
    levels = sorted(levels or LEVELS)
    if 0 in levels:
        raise ValueError("levels are 1..5; the clean clip (level 0) is always evaluated")
    conditions = [CLEAN_LEVEL] + [perturbation_condition(n, level, seed) for n in perturbations for level in levels]
    device = resolve_device(device)
    model, meta = load_checkpoint(checkpoint, device)
    name = Path(checkpoint).name
    rows: list[dict[str, Any]] = []
    videos = []
    for condition in tqdm(conditions, desc="robustness", disable=not progress):
        result = evaluate_model(
            model, meta, roots, split, domains, device, batch_size, transform=condition.transform, progress=False
        )
        fields = {"row": name, "model": name, "seed": seed, "condition": condition.label, **condition.fields}
        videos.append(result.videos[["video_id", "domain", "label", "prob"]].assign(**fields))
        for rec in result.table.to_dict("records"):
            rows.append(
                {
                    **fields,
                    "test_domain": rec["domain"],
                    "video_auc": rec["video_auc"],
                    "clip_auc": rec["clip_auc"],
                    "video_acc": rec["video_acc"],
                    "n_videos": rec["n_videos"],
                    "threshold": meta.threshold,
                    "run_dir": str(checkpoint),
                }
            )
    long = pd.DataFrame(rows)
    video_table = pd.concat(videos, ignore_index=True)
    table = robustness_table(video_table, perturbations)
    counts = condition_counts(table, video_table.assign(ffpp=False), "all")
    out = Path(out_dir) if out_dir is not None else Path()
    if out_dir is not None:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out / "results.csv", long.to_csv(index=False))
        atomic_write_text(out / "table.csv", with_counts(table, counts).to_csv(index=False))
        atomic_write_text(out / "table.md", with_counts(table, counts).to_markdown(index=False) + "\n")
        atomic_write_json(
            out / "metrics.json",
            {
                "experiment": "robustness",
                "checkpoint": str(checkpoint),
                "data": [str(r) for r in roots],
                "split": split,
                "seed": seed,
                "levels": levels,
                "table": table.to_dict("records"),
                "counts": counts,
            },
        )
    return ExperimentResult(
        "robustness", str(checkpoint), long, table, out, [Path(checkpoint)], videos=video_table, counts=counts
    )
