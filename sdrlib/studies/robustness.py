"""Robustness to unseen perturbations: the ``table2`` detectors scored on corrupted test clips.

LipForensics' protocol: the seven DeeperForensics-1.0 perturbations
(:mod:`~sdrlib.studies.perturbations`), each at five levels, applied at test time only to the FF++
test videos, summarised per perturbation as the AUC averaged over its levels. The runs are the
``table2`` grid's (trained through that grid when the cache lacks them); nothing else is trained,
and each perturbed evaluation is cached in its run folder. Book chapter 'robustness'.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sdrlib.engine.profiles import Profile
from sdrlib.engine.runs import Condition, RunJob
from sdrlib.experiments.grids import grid, grid_seeds, jobs
from sdrlib.experiments.intervals import group_summary, with_intervals
from sdrlib.experiments.runner import ExperimentResult, as_profile, collect, default_out_dir, write_results
from sdrlib.experiments.tables import condition_counts
from sdrlib.studies.perturbations import LEVELS, PERTURBATIONS, get_perturbation, perturbation_condition

#: The clean evaluation, with the columns of a perturbed one (level 0).
CLEAN_LEVEL = Condition("clean", None, {"perturbation": "clean", "level": 0, "value": np.nan})


def robustness_jobs(
    profile: Profile,
    models: list[str] | None = None,
    perturbations: list[str] | None = None,
    levels: list[int] | None = None,
    domains: list[str] | None = None,
    seeds: list[int] | None = None,
    run_overrides: Sequence[str] = (),
) -> tuple[list[RunJob], tuple[list[str], list[int], list[str], list[int]]]:
    """The engine's jobs of the study (arguments and defaults as :func:`run_robustness`, with a
    loaded profile and the run-config part of its overrides) and the perturbations, levels, test
    domains and seeds they resolved to.

    Raises:
        ValueError: an unknown model, perturbation or level.
    """
    prof = profile
    specs = grid("table2", prof)
    known = [spec.row for spec in specs]
    models = list(models or prof.setting("robustness_models", prof.setting("table1_models", ["ftcn", "sdr"])))
    unknown = sorted(set(models) - set(known))
    if unknown:
        raise ValueError(f"models {unknown} are not in the table2 grid of profile {prof.name!r}: {known}")
    perturbations = list(perturbations or prof.setting("robustness_perturbations", list(PERTURBATIONS)))
    levels = sorted(levels or prof.setting("robustness_levels", list(LEVELS)))
    for name in perturbations:
        for level in levels:
            if level == 0:
                raise ValueError("levels are 1..5; the clean clip (level 0) is always evaluated")
            get_perturbation(name, level)
    domains = list(domains or prof.ffpp_domains)
    seeds = list(seeds or grid_seeds("robustness", prof))

    def conditions(seed: int) -> list[Condition]:
        perturbed = [perturbation_condition(name, level, seed) for name in perturbations for level in levels]
        return [CLEAN_LEVEL, *perturbed]

    chosen = [dataclasses.replace(spec, test_domains=domains) for spec in specs if spec.row in models]
    run_jobs = jobs("robustness", prof, chosen, seeds, conditions, run_overrides)
    return run_jobs, (perturbations, levels, domains, seeds)


def run_robustness(
    profile: str | Path | Profile,
    out_dir: str | Path | None = None,
    models: list[str] | None = None,
    perturbations: list[str] | None = None,
    levels: list[int] | None = None,
    domains: list[str] | None = None,
    seeds: list[int] | None = None,
    progress: bool = True,
    overrides: Sequence[str] = (),
) -> ExperimentResult:
    """Score the ``table2`` runs of ``profile`` under every perturbation and level (cached).

    Args:
        profile: a profile name, path or :class:`~sdrlib.engine.profiles.Profile`.
        out_dir: where ``results.csv``, ``table.{csv,md}`` and ``metrics.json`` go (default
            ``runs/<profile>/experiments/robustness``).
        models: rows of the ``table2`` grid to score (default: the profile's
            ``experiments.robustness_models``, else its ``table1_models``: FTCN and SDR).
        perturbations: names from :data:`PERTURBATIONS` (default: profile's
            ``robustness_perturbations``, else all seven).
        levels: levels in 1..5 (default: profile's ``robustness_levels``, else all five).
        domains: test domains (default: the profile's FF++ domains, as LipForensics tests on FF++).
        seeds: training seeds (default: the profile's ``experiments.seeds``, those of the table2 runs).
        overrides: ``--set`` strings (see :func:`~sdrlib.experiments.run_experiment`): the runs
            scored are then those of ``sdr experiment table2`` with the same overrides.

    Raises:
        ValueError: an unknown model, perturbation or level.
    """
    prof, run_overrides = as_profile(profile).with_overrides(overrides)
    run_jobs, (perturbations, levels, domains, seeds) = robustness_jobs(
        prof, models, perturbations, levels, domains, seeds, run_overrides
    )
    results = collect("robustness", prof, run_jobs, progress)
    table = robustness_table(results.videos, perturbations)
    counts = condition_counts(table, results.videos, "all")
    out = Path(out_dir) if out_dir is not None else default_out_dir(prof, "robustness", overrides)
    write_results(
        out,
        "robustness",
        prof,
        results.long,
        table,
        counts=counts,
        seeds=seeds,
        levels=levels,
        domains=domains,
        overrides=list(overrides),
    )
    return ExperimentResult(
        "robustness", prof.name, results.long, table, out, results.runs, results.videos, counts
    )


def robustness_summary(videos: pd.DataFrame, perturbations: list[str] | None = None) -> pd.DataFrame:
    """Video AUC (%) on all test videos together with its 95 % interval: clean, each perturbation
    averaged over its levels (LipForensics' summary) and ``avg``, the mean over the perturbations.

    Args:
        videos: :attr:`~sdrlib.experiments.ExperimentResult.videos` of :func:`run_robustness` (per-video scores with ``perturbation`` and
            ``level`` columns).
        perturbations: column order (default: as they appear).

    Returns:
        ``method``, ``group`` (``clean``, a perturbation, ``avg``), ``mean``, ``low``, ``high``.
    """
    names = perturbations or [p for p in dict.fromkeys(videos["perturbation"]) if p != "clean"]
    labels = {name: sorted(set(videos.loc[videos["perturbation"] == name, "condition"])) for name in names}
    groups = {"clean": ["clean"], **labels, "avg": [label for name in names for label in labels[name]]}
    return group_summary(videos, groups, column="all")


def robustness_table(videos: pd.DataFrame, perturbations: list[str] | None = None) -> pd.DataFrame:
    """:func:`robustness_summary` as a method x group table of ``"mean [low, high]"`` strings."""
    return with_intervals(robustness_summary(videos, perturbations), columns="group")
