"""The tables of the experiment grids: video AUC (%) per row and column with its 95 % interval.

Every cell reads ``mean [low, high]``: the mean over seeds of the video-level AUC and its bootstrap
interval over test videos and seeds (:mod:`sdrlib.experiments.intervals`); under the table, a row
gives the real / fake test videos behind each column (:func:`table_counts`). Every results chapter
and :func:`~sdrlib.experiments.runner.run_experiment` render through these functions, so a number
reads the same everywhere. Book chapters 'Table 1', 'Table 2', 'Table 3' and 'Figure 2'.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from sdrlib.experiments.columns import CROSS_COLUMNS, TABLE1_COLUMNS
from sdrlib.experiments.intervals import (
    COUNTS_ROW,
    count_summary,
    counts_row,
    interval_summary,
    with_intervals,
)


def _table1(videos: pd.DataFrame) -> pd.DataFrame:
    """Rows = models; columns = manipulations (trained and tested in-domain) and their average."""
    return with_intervals(interval_summary(videos, TABLE1_COLUMNS, in_domain=True))


def _cross(videos: pd.DataFrame) -> pd.DataFrame:
    """Rows = the grid's rows; columns = FF++ (avg), CDF and DFDC."""
    return with_intervals(interval_summary(videos, CROSS_COLUMNS))


#: How each experiment's per-video scores become its table.
RENDERERS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "table1": _table1,
    "table2": _cross,
    "table3": _cross,
    "figure2": _cross,
    "baselines": _cross,
    "control": _cross,
}


def table_counts(name: str, videos: pd.DataFrame) -> dict[str, str]:
    """The row of test-video counts (``real / fake`` per column) under experiment ``name``'s table:
    a cell that stands on 3 of the 518 Celeb-DF-v2 test videos says so."""
    if name == "table1":
        return counts_row(count_summary(videos, TABLE1_COLUMNS, in_domain=True))
    return counts_row(count_summary(videos, CROSS_COLUMNS))


def condition_counts(table: pd.DataFrame, videos: pd.DataFrame, column: str) -> dict[str, str]:
    """The counts row of a table whose columns are test conditions (the diagnostic, robustness),
    every one scored on the videos of one ``column`` (``FF++ (avg)``, ``all``)."""
    cell = counts_row(count_summary(videos, [column]))[column]
    return {"method": COUNTS_ROW, **{c: cell for c in table.columns if c != "method"}}


def with_counts(table: pd.DataFrame, counts: dict[str, str] | None) -> pd.DataFrame:
    """``table`` with the counts row appended (what ``table.md`` and ``table.csv`` show)."""
    if not counts:
        return table
    return pd.concat([table, pd.DataFrame([counts])], ignore_index=True)
