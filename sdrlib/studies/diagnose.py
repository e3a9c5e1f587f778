"""The spatial-dependency diagnostic: how much does a detector lean on time vs on appearance?

The paper's claim (SDR_SPEC section 1) is that CNN-based temporal detectors keep a spatial bias.
This diagnostic measures it directly, by scoring the same test clips under controlled
destructions and reporting the AUC drop of each:

- ``temporal_shuffle``: the frames of every clip in a random order (per clip); appearance intact,
  dynamics destroyed;
- ``frame_repeat``: the middle frame repeated for the whole clip; appearance intact, no motion;
- ``appearance_remap``: one random monotone tone curve per colour channel and a random order of
  the channels, drawn per clip and the same in every frame; every pixel's colour and the clip's
  colour statistics replaced, where things are and how they move kept;
- ``blur``: a strong Gaussian blur (sigma = H / 16) of every frame; fine texture gone, motion kept.

A detector that relies on temporal cues drops under the first two and holds under the last two;
a spatially-biased one does the opposite. No anchor reports this.

Why not a patch shuffle (the first version's ``spatial_shuffle``, a 4 x 4 shuffle with the same
permutation in every frame): the FTCN trunk has no spatial kernel and averages its features over
space, so a shuffle that keeps the pixel neighbourhoods is nearly invisible to it by construction
(:mod:`sdrlib.studies.visibility`): its small AUC drop measured the trunk's built-in invariance,
not what a trained model had learnt to rely on. Every condition here changes the tokens of the
untrained trunks (tested), so a drop near zero is a learnt invariance, not a blind spot. :func:`diagnose_checkpoint`
runs it on one checkpoint, :func:`run_diagnostic` on every ``table2`` run of a profile (the
``diagnose`` grid). Book chapter 'spatial-dependency diagnostic'.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from sdrlib.augment.base import blur_frames
from sdrlib.engine.checkpoint import load_checkpoint
from sdrlib.engine.evaluate import evaluate_model
from sdrlib.engine.profiles import Profile
from sdrlib.engine.runs import CLEAN, Condition, RunJob
from sdrlib.experiments.columns import FFPP_AVG
from sdrlib.experiments.grids import grid, grid_seeds, jobs
from sdrlib.experiments.intervals import condition_drops
from sdrlib.experiments.runner import ExperimentResult, as_profile, collect, default_out_dir, write_results
from sdrlib.experiments.tables import condition_counts
from sdrlib.utils import resolve_device

Transform = Callable[[torch.Tensor], torch.Tensor]


def temporal_shuffle(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Permute the frames of each clip independently.

    Shape:
        x: ``(B, 3, T, H, W)`` -> same.
    """
    b, _, t = x.shape[:3]
    order = torch.rand(b, t, generator=generator).argsort(dim=1).to(x.device)
    return x.gather(2, order.view(b, 1, t, 1, 1).expand_as(x))


def frame_repeat(x: torch.Tensor) -> torch.Tensor:
    """Replace every frame by the clip's middle frame (a static clip)."""
    t = x.shape[2]
    return x[:, :, t // 2 : t // 2 + 1].expand_as(x).contiguous()


#: Knots of the random tone curves of :func:`appearance_remap` (a piecewise-linear curve).
REMAP_KNOTS = 8


def appearance_remap(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """A random monotone tone curve per clip and channel, then a random order of the channels.

    The curve of each channel rises from 0 to 1 through :data:`REMAP_KNOTS` equal steps of the input
    with random (exponentially distributed) heights, so the ordering of values is kept and their
    distribution replaced. Drawn once per clip, identical in every frame.

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same.
    """
    b, c = x.shape[:2]
    rises = -torch.log(torch.rand(b, c, REMAP_KNOTS, generator=generator).clamp_min(1e-6))
    table = torch.cat([torch.zeros(b, c, 1), rises.cumsum(-1) / rises.sum(-1, keepdim=True)], dim=-1)
    table = table.to(device=x.device, dtype=x.dtype)
    order = torch.rand(b, c, generator=generator).argsort(dim=1).to(x.device)
    flat = x.clamp(0.0, 1.0).reshape(b, c, -1) * REMAP_KNOTS
    low = flat.floor().clamp(max=REMAP_KNOTS - 1)
    index = low.long()
    lower, upper = table.gather(2, index), table.gather(2, index + 1)
    mapped = (lower + (flat - low) * (upper - lower)).reshape(x.shape)
    return mapped.gather(1, order.view(b, c, 1, 1, 1).expand_as(mapped))


def strong_blur(x: torch.Tensor) -> torch.Tensor:
    """Gaussian blur with sigma = H / 16 (kernel 6 sigma + 1), the same for every frame."""
    sigma = max(1.0, x.shape[-2] / 16)
    return blur_frames(x, sigma, int(2 * round(3 * sigma) + 1))


@dataclass
class SeededTransform:
    """``fn(x, generator)`` with one generator seeded by ``seed``, created at the first call: the
    same sequence of batches gets the same draws. A picklable object (not a closure), so that the
    grids can score it in worker processes (``experiments.workers``)."""

    fn: Callable[[torch.Tensor, torch.Generator], torch.Tensor]
    seed: int
    generator: torch.Generator | None = field(default=None, repr=False, compare=False)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.generator is None:
            self.generator = torch.Generator().manual_seed(self.seed)
        return self.fn(x, self.generator)


CONDITIONS: dict[str, str] = {
    "clean": "unchanged clips",
    "temporal_shuffle": "frames in random order (per clip)",
    "frame_repeat": "middle frame repeated (no motion)",
    "appearance_remap": "random tone curve per channel and channel order (per clip, every frame)",
    "blur": "strong Gaussian blur (sigma = H/16) of every frame",
}
TEMPORAL_CONDITIONS = ("temporal_shuffle", "frame_repeat")
SPATIAL_CONDITIONS = ("appearance_remap", "blur")


def condition_transform(condition: str, seed: int = 0) -> Transform | None:
    """The test-time transform of ``condition`` (``None`` for clean), deterministic given ``seed``."""
    if condition == "clean":
        return None
    if condition == "temporal_shuffle":
        return SeededTransform(temporal_shuffle, seed)
    if condition == "frame_repeat":
        return frame_repeat
    if condition == "appearance_remap":
        return SeededTransform(appearance_remap, seed)
    if condition == "blur":
        return strong_blur
    raise ValueError(f"unknown condition {condition!r}; known: {list(CONDITIONS)}")


def diagnose_checkpoint(
    checkpoint: str | Path,
    roots: list[str | Path],
    split: str = "test",
    domains: list[str] | None = None,
    device: str | torch.device = "auto",
    batch_size: int = 16,
    seed: int = 0,
    progress: bool = True,
) -> pd.DataFrame:
    """Video AUC of a checkpoint under every condition, with the drop from clean.

    Returns:
        One row per condition: ``condition``, ``description``, ``video_auc``, ``clip_auc``,
        ``drop`` (clean AUC minus this AUC), all over every evaluated video pooled (the ``all`` row
        of :func:`~sdrlib.engine.evaluate.evaluate_model`); with several fake domains, one column
        per domain with its own video AUC; and the summary rows ``temporal reliance`` (mean drop of
        the temporal conditions) and ``spatial reliance`` (mean drop of the spatial ones), whose
        domain columns hold that domain's mean drop. ``attrs["counts"]``: ``{domain: "real /
        fake"}`` test videos (``all`` first); ``attrs["warnings"]``: the evaluation's warnings (a
        domain with one class, data prepared with other crops).
    """
    device = resolve_device(device)
    model, meta = load_checkpoint(checkpoint, device)
    rows, per_domain, counts, warnings = [], [], {}, []
    for condition, description in CONDITIONS.items():
        result = evaluate_model(
            model,
            meta,
            roots,
            split,
            domains,
            device,
            batch_size,
            transform=condition_transform(condition, seed),
            progress=progress,
        )
        overall = result.overall
        rows.append(
            {
                "condition": condition,
                "description": description,
                "video_auc": overall["video_auc"],
                "clip_auc": overall["clip_auc"],
            }
        )
        per_domain.append(dict(zip(result.table["domain"], result.table["video_auc"], strict=True)))
        if condition == "clean":
            counts = {r["domain"]: f"{r['n_real']} / {r['n_fake']}" for r in result.table.to_dict("records")}
            warnings = list(result.warnings)
    table = pd.DataFrame(rows)
    clean = table.loc[table["condition"] == "clean", "video_auc"].iloc[0]
    table["drop"] = clean - table["video_auc"]
    split_domains = [d for d in counts if d != "all"] if len(counts) > 2 else []
    for domain in split_domains:
        table[domain] = [values.get(domain, np.nan) for values in per_domain]
    summary = []
    for name, kinds, text in (
        ("temporal reliance", TEMPORAL_CONDITIONS, "mean drop under temporal destruction"),
        ("spatial reliance", SPATIAL_CONDITIONS, "mean drop under spatial destruction"),
    ):
        chosen = table["condition"].isin(kinds)
        row = {"condition": name, "description": text, "drop": table.loc[chosen, "drop"].mean()}
        for domain in split_domains:
            row[domain] = (table.loc[table["condition"] == "clean", domain].iloc[0] - table.loc[chosen, domain]).mean()
        summary.append(row)
    out = pd.concat([table, pd.DataFrame(summary)], ignore_index=True)
    out.attrs.update(counts=counts, warnings=warnings)
    return out


def diagnostic_conditions(seed: int) -> list[Condition]:
    """Every condition as a :class:`~sdrlib.engine.runs.Condition` (random draws seeded by ``seed``)."""
    return [CLEAN] + [Condition(c, condition_transform(c, seed)) for c in CONDITIONS if c != "clean"]


def diagnostic_jobs(profile: Profile, seeds: list[int] | None = None, run_overrides: Sequence[str] = ()) -> list[RunJob]:
    """The engine's jobs of the ``diagnose`` grid: every ``table2`` run at ``seeds`` (default the
    profile's) under every condition."""
    seeds = list(seeds or grid_seeds("diagnose", profile))
    return jobs("diagnose", profile, grid("table2", profile), seeds, diagnostic_conditions, run_overrides)


def run_diagnostic(
    profile: str | Path | Profile,
    out_dir: str | Path | None = None,
    progress: bool = True,
    seeds: list[int] | None = None,
    overrides: Sequence[str] = (),
) -> ExperimentResult:
    """The ``diagnose`` grid: every ``table2`` run of ``profile`` under every condition (cached).

    Args:
        profile: a profile name, path or :class:`~sdrlib.engine.profiles.Profile`.
        out_dir: where the tables go (default ``runs/<profile>/experiments/diagnose``).
        seeds: training seeds (default: the profile's ``experiments.seeds``).
        overrides: ``sdr experiment --set`` strings (see :func:`~sdrlib.experiments.run_experiment`).
    """
    prof, run_overrides = as_profile(profile).with_overrides(overrides)
    seeds = list(seeds or grid_seeds("diagnose", prof))
    results = collect("diagnose", prof, diagnostic_jobs(prof, seeds, run_overrides), progress)
    table = diagnostic_table(results.videos)
    counts = condition_counts(table, results.videos, FFPP_AVG)
    out = Path(out_dir) if out_dir is not None else default_out_dir(prof, "diagnose", overrides)
    write_results(out, "diagnose", prof, results.long, table, counts=counts, seeds=seeds, overrides=list(overrides))
    return ExperimentResult(
        "diagnose", prof.name, results.long, table, out, results.runs, results.videos, counts
    )


def diagnostic_drops(videos: pd.DataFrame) -> pd.DataFrame:
    """AUC drop (percentage points, clean minus condition) on the FF++ test domains, per model, with
    its 95 % interval (paired over the same test videos and seeds).

    Returns:
        Tidy table: ``method``, ``condition``, ``kind`` (temporal or spatial destruction),
        ``clean``, ``auc``, ``drop``, ``low``, ``high``.
    """
    conditions = [c for c in CONDITIONS if c != "clean"]
    drops = condition_drops(videos, conditions)
    kind = drops["condition"].map(lambda c: "temporal" if c in TEMPORAL_CONDITIONS else "spatial")
    return drops.assign(kind=kind)[["method", "condition", "kind", "clean", "auc", "drop", "low", "high"]]


def reliance(videos: pd.DataFrame) -> pd.DataFrame:
    """Temporal and spatial reliance per model: the mean AUC drop (points) under the temporal and
    under the spatial destructions, with 95 % intervals (paired over test videos and seeds).

    Returns:
        ``method``, ``condition`` (``temporal reliance`` or ``spatial reliance``), ``clean``,
        ``auc``, ``drop``, ``low``, ``high``.
    """
    groups = {"temporal reliance": list(TEMPORAL_CONDITIONS), "spatial reliance": list(SPATIAL_CONDITIONS)}
    return condition_drops(videos, groups)


def diagnostic_table(videos: pd.DataFrame) -> pd.DataFrame:
    """Rows = models; columns = clean AUC (%) on the FF++ test domains and the drop under each
    condition, each ``value [low, high]``."""
    drops = diagnostic_drops(videos)
    out = []
    for method, rows in drops.groupby("method", sort=False):
        rec: dict[str, Any] = {"method": method, "clean": f"{rows['clean'].iloc[0]:.1f}"}
        for row in rows.to_dict("records"):
            rec[f"drop {row['condition']}"] = (
                f"{row['drop']:+.1f} [{row['low']:+.1f}, {row['high']:+.1f}]" if np.isfinite(row["low"]) else f"{row['drop']:+.1f}"
            )
        out.append(rec)
    return pd.DataFrame(out)
