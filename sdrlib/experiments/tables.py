"""The tables of the experiment grids: video AUC (%) per row and column with its 95 % interval.

Every cell reads ``mean [low, high]``: the mean over seeds of the video-level AUC and its bootstrap
interval over test videos and seeds (:mod:`sdrlib.experiments.intervals`). Every results chapter
and :func:`~sdrlib.experiments.runner.run_experiment` render through these functions, so a number
reads the same everywhere. Book chapters 'Table 1', 'Table 2', 'Table 3' and 'Figure 2'.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from sdrlib.experiments.columns import CROSS_COLUMNS, TABLE1_COLUMNS
from sdrlib.experiments.intervals import interval_summary, with_intervals


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
