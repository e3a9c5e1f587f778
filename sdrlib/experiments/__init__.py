"""Experiments as code: the paper's tables as named grids of cached training runs.

``run_experiment(name, profile)`` expands a grid (:mod:`~sdrlib.experiments.grids`) into training
runs, trains those the cache lacks, evaluates each on its test domains and renders a CSV +
Markdown table whose cells carry 95 % intervals (:mod:`~sdrlib.experiments.tables`,
:mod:`~sdrlib.experiments.intervals`). Built on the engine only
(:mod:`sdrlib.engine.runs`); the studies of trained models (:mod:`sdrlib.studies`) build on it.
SDR_SPEC section 3; book chapters 'Table 1', 'Table 2', 'Table 3', 'Figure 2'.
"""

from sdrlib.engine.profiles import Profile
from sdrlib.experiments.columns import COLUMN_NAMES, CROSS_COLUMNS, FFPP_AVG, PAPER_TABLE2, TABLE1_COLUMNS
from sdrlib.experiments.grids import EXPERIMENTS, GRID_NAMES, RunSpec, grid, grid_seeds, jobs
from sdrlib.experiments.intervals import (
    condition_drops,
    difference_table,
    interval_summary,
    paired_differences,
    with_intervals,
)
from sdrlib.experiments.runner import ExperimentResult, as_profile, run_experiment

__all__ = [
    "COLUMN_NAMES",
    "CROSS_COLUMNS",
    "EXPERIMENTS",
    "FFPP_AVG",
    "GRID_NAMES",
    "PAPER_TABLE2",
    "TABLE1_COLUMNS",
    "ExperimentResult",
    "Profile",
    "RunSpec",
    "as_profile",
    "condition_drops",
    "difference_table",
    "grid",
    "grid_seeds",
    "interval_summary",
    "jobs",
    "paired_differences",
    "run_experiment",
    "with_intervals",
]
