"""The reference run beside this run: the section 'what more compute changes' of the results chapters.

The ``small`` profile (16 x 64 x 64 clips, twice the steps of ``tiny``, three seeds) takes about two
hours on a 2-core CPU, too long for the README's main job, so it was run once
(``scripts/reference_run.py``) and its per-video scores are committed in
``docs/results/small/<grid>/videos.csv.gz`` with ``run.json`` (command, commit, machine, wall
times; ``docs/results/small.md``). A chapter computes the reference's intervals and paired
differences from those scores with the same functions as its own
(:mod:`sdrlib.experiments.intervals`), and puts the two runs side by side with :func:`compare`.
Book chapters 'Table 2', 'Table 3', 'Figure 2' and 'the spatial-dependency diagnostic'.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sdrlib.book.reading import interval_text
from sdrlib.experiments.intervals import difference_table, paired_differences

REFERENCE_PROFILE = "small"
#: The committed reference runs (a source checkout; absent from an installed wheel).
RESULTS_DIR = Path(__file__).resolve().parents[2] / "docs" / "results"

Summarise = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass
class ReferenceRun:
    """A committed reference run: its profile, ``run.json`` and per-grid per-video scores."""

    profile: str
    info: dict[str, Any]
    videos: dict[str, pd.DataFrame] = field(default_factory=dict)

    def banner(self) -> str:
        """One Markdown line saying where the reference numbers come from."""
        minutes = self.info.get("total_wall_s", float("nan")) / 60
        commit = str(self.info.get("commit", "unknown"))[:7]
        return (
            f"**Reference run** · profile `{self.profile}` · `{self.info.get('command', '?')}` at commit "
            f"`{commit}` · {self.info.get('machine', '?')} · {minutes:.0f} min "
            f"(`docs/results/{self.profile}.md`)."
        )


def load_reference(grids: list[str], profile: str = REFERENCE_PROFILE, root: Path = RESULTS_DIR) -> ReferenceRun | None:
    """The committed reference run of ``profile`` with the per-video scores of ``grids``; ``None``
    when its ``run.json`` or one of the grids is missing (an installed package, or a run that did
    not include the grid)."""
    folder = root / profile
    info_path = folder / "run.json"
    paths = {grid: folder / grid / "videos.csv.gz" for grid in grids}
    if not info_path.is_file() or not all(path.is_file() for path in paths.values()):
        return None
    info = json.loads(info_path.read_text(encoding="utf-8"))
    return ReferenceRun(profile, info, {grid: pd.read_csv(path) for grid, path in paths.items()})


def unavailable(grids: list[str], profile: str = REFERENCE_PROFILE, root: Path = RESULTS_DIR) -> str:
    """One Markdown sentence saying why :func:`load_reference` found no reference for ``grids``."""
    info_path = root / profile / "run.json"
    if not info_path.is_file():
        return (
            f"The `{profile}` reference run is not in this installation (`docs/results/{profile}/`; "
            "a source checkout has it)."
        )
    ran = json.loads(info_path.read_text(encoding="utf-8")).get("grids", [])
    missing = [grid for grid in grids if grid not in ran]
    return (
        f"The `{profile}` reference run did not include {', '.join(f'`{g}`' for g in missing) or 'these grids'} "
        f"(it ran {', '.join(f'`{g}`' for g in ran)}; `docs/results/{profile}.md` says why): "
        "there is no reference to show beside this run."
    )


@dataclass
class Comparison:
    """This run and the reference side by side.

    Attributes:
        table: one row per method: ``<column> (<this profile>)`` and ``<column> (<reference>)``
            cells, each ``mean [low, high]``.
        differences: with a baseline, one row per method: the paired difference to it in each run
            (``+d [lo, hi]``, ``(n.d.)`` where the interval covers zero), the same two-column
            layout; ``None`` without one.
    """

    table: pd.DataFrame
    differences: pd.DataFrame | None = None


def _side_by_side(first: pd.DataFrame, second: pd.DataFrame, labels: tuple[str, str]) -> pd.DataFrame:
    """Two ``method`` x column tables of strings as one, each column twice (one per run)."""
    first, second = first.set_index("method"), second.set_index("method")
    rows = []
    for method in dict.fromkeys([*first.index, *second.index]):
        rec: dict[str, Any] = {"method": method}
        for column in first.columns:
            for label, table in zip(labels, (first, second), strict=True):
                has = method in table.index and column in table.columns
                rec[f"{column} ({label})"] = table.loc[method, column] if has else "n/a"
        rows.append(rec)
    return pd.DataFrame(rows)


def compare(
    this: pd.DataFrame,
    reference: pd.DataFrame,
    summarise: Summarise,
    labels: tuple[str, str],
    baseline: str | None = None,
    columns: list[str] | None = None,
) -> Comparison:
    """Put two runs' summaries side by side and, with ``baseline``, their paired differences.

    Args:
        this, reference: per-video scores (``ExperimentResult.videos``) of the two runs.
        summarise: videos -> tidy ``method``, ``column``, ``mean``, ``low``, ``high`` (e.g.
            ``lambda v: interval_summary(v, CROSS_COLUMNS)``).
        labels: the two runs' names in the column headers (their profiles).
        baseline: a row to subtract (paired over test videos and seeds, within each run).
        columns: the columns of the differences (default: those of the summaries).
    """
    summaries = [summarise(videos) for videos in (this, reference)]
    shown = list(dict.fromkeys(summaries[0]["column"]))
    tables = []
    for summary in summaries:
        methods = list(dict.fromkeys(summary["method"]))
        tables.append(
            pd.DataFrame(
                [{"method": m, **{c: interval_text(summary, m, c) for c in shown}} for m in methods],
                columns=["method", *shown],
            )
        )
    table = _side_by_side(tables[0], tables[1], labels)
    if baseline is None:
        return Comparison(table)
    columns = columns or shown
    diffs = [difference_table(paired_differences(videos, baseline, columns)) for videos in (this, reference)]
    return Comparison(table, _side_by_side(diffs[0], diffs[1], labels))
