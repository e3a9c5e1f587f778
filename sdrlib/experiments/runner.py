"""``run_experiment``: a grid trained (or read from the run cache), evaluated and tabulated.

Re-running an experiment, or the notebook that shows it, re-renders instead of retraining: runs
are cached by :meth:`~sdrlib.engine.config.RunConfig.fingerprint` and their evaluations inside
the run folders (:mod:`sdrlib.engine.runs`). Every grid trains each run with the profile's
``experiments.seeds`` and reports the mean over them with a 95 % interval over test videos and
seeds (:mod:`sdrlib.experiments.intervals`). Book chapters 'Table 1' to 'Figure 2'.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sdrlib.engine.profiles import Profile
from sdrlib.engine.runs import RunJob, RunResults, evaluate_runs
from sdrlib.experiments.grids import grid, grid_seeds, jobs
from sdrlib.experiments.tables import RENDERERS, table_counts, with_counts
from sdrlib.utils import atomic_write_json, atomic_write_text


@dataclass
class ExperimentResult:
    """The long table (one row per run x condition x test domain x seed), the per-video scores
    (one row per run x condition x test video), the rendered table and the row of test-video counts
    under it (``real / fake`` per column; ``table.md`` and ``table.csv`` end with it)."""

    name: str
    profile: str
    long: pd.DataFrame
    table: pd.DataFrame
    out_dir: Path
    runs: list[Path]
    videos: pd.DataFrame | None = None
    counts: dict[str, str] | None = None

    @property
    def markdown(self) -> str:
        return with_counts(self.table, self.counts).to_markdown(index=False)


def as_profile(profile: str | Path | Profile) -> Profile:
    """A :class:`Profile` from a name, a path or a profile."""
    return profile if isinstance(profile, Profile) else Profile.load(profile)


def default_out_dir(profile: Profile, name: str, overrides: Sequence[str] = ()) -> Path:
    """Where a grid's tables go unless told: ``runs/<profile>/experiments/<name>``, and
    ``<name>-set-<hash>`` under ``--set`` overrides (a smoke test never overwrites the real table)."""
    if not overrides:
        return Path("runs") / profile.name / "experiments" / name
    key = hashlib.sha256(json.dumps(list(overrides)).encode()).hexdigest()[:8]
    return Path("runs") / profile.name / "experiments" / f"{name}-set-{key}"


def collect(name: str, profile: Profile, run_jobs: list[RunJob], progress: bool = True) -> RunResults:
    """:func:`~sdrlib.engine.runs.evaluate_runs` (with the profile's ``experiments.workers``
    processes) plus the ``ffpp`` column of the long and the per-video tables (the profile's FF++
    test domains, the one source every "FF++ (avg)" reads)."""
    results = evaluate_runs(run_jobs, desc=f"{name} ({profile.name})", progress=progress, workers=profile.workers)
    if len(results.long):
        results.long["ffpp"] = results.long["test_domain"].isin(profile.ffpp_domains)
        results.videos["ffpp"] = results.videos["domain"].isin(profile.ffpp_domains)
    return results


def write_results(
    out: Path,
    name: str,
    profile: Profile,
    long: pd.DataFrame,
    table: pd.DataFrame,
    floatfmt: str = "g",
    counts: dict[str, str] | None = None,
    **metrics: Any,
) -> None:
    """``results.csv`` (the long table), ``table.csv``, ``table.md`` and ``metrics.json`` in ``out``.

    ``counts``: the row of test-video counts (:func:`~sdrlib.experiments.tables.table_counts`)
    that ends ``table.csv`` and ``table.md`` and is in ``metrics.json``. ``metrics`` are extra keys
    of ``metrics.json`` (the seeds, levels, ``--set`` overrides...); ``floatfmt`` formats the
    numeric cells of ``table.md``.
    """
    out.mkdir(parents=True, exist_ok=True)
    shown = with_counts(table, counts)
    atomic_write_text(out / "results.csv", long.to_csv(index=False))
    atomic_write_text(out / "table.csv", shown.to_csv(index=False))
    atomic_write_text(out / "table.md", shown.to_markdown(index=False, floatfmt=floatfmt) + "\n")
    atomic_write_json(
        out / "metrics.json",
        {
            "experiment": name,
            "profile": profile.name,
            **metrics,
            "table": table.to_dict("records"),
            "counts": counts or {},
        },
    )


def run_experiment(
    name: str,
    profile: str | Path | Profile,
    out_dir: str | Path | None = None,
    progress: bool = True,
    seeds: list[int] | None = None,
    overrides: Sequence[str] = (),
) -> ExperimentResult:
    """Train (or fetch from the cache), evaluate and tabulate experiment ``name``.

    Args:
        name: one of :data:`~sdrlib.experiments.grids.EXPERIMENTS`.
        profile: a profile name (``smoke``, ``tiny``, ``synth-gpu``, ``paper``), path or object.
        out_dir: where the CSV/Markdown tables go (default ``runs/<profile>/experiments/<name>``,
            with ``-set-<hash>`` appended under ``overrides``).
        seeds: override the profile's seeds for this grid.
        overrides: ``key=value`` strings as ``sdr experiment --set`` gives them: ``models.<m>.<k>``
            and ``experiments.<k>`` edit the profile, any other key every run's config
            (:meth:`~sdrlib.engine.profiles.Profile.with_overrides`); they change the runs'
            fingerprints, so a smoke test never reuses or replaces a real run.
    """
    prof, run_overrides = as_profile(profile).with_overrides(overrides)
    specs = grid(name, prof)
    seeds = list(seeds or grid_seeds(name, prof))
    results = collect(name, prof, jobs(name, prof, specs, seeds, cli_overrides=run_overrides), progress)
    table = RENDERERS[name](results.videos)
    counts = table_counts(name, results.videos)
    out = Path(out_dir) if out_dir is not None else default_out_dir(prof, name, overrides)
    write_results(out, name, prof, results.long, table, counts=counts, seeds=seeds, overrides=list(overrides))
    return ExperimentResult(name, prof.name, results.long, table, out, results.runs, results.videos, counts)
