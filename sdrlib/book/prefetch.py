"""Every run the results chapters read, trained and scored in one worker pool before they execute.

Each results notebook (chapters 'Table 1' to 'Robustness') runs its grid through
:func:`~sdrlib.engine.runs.evaluate_runs` with the profile's ``experiments.workers`` processes. Run
grid by grid, that starts a pool per grid and ends each grid with one worker busy on its last run
while the others wait; on the 2-core ``tiny`` profile those tails were a tenth of the wall time.
:func:`prefetch_book_runs` gives the union of the grids of the notebooks about to run to one pool,
costliest run first (:func:`~sdrlib.engine.runs.prefetch_runs`), so that the notebooks then only
read the cache. The tables do not change: the runs, their seeds and their evaluations are the same
cached objects, whatever process made them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sdrlib.book.results import is_synthetic
from sdrlib.engine.profiles import Profile
from sdrlib.engine.runs import RunJob, prefetch_runs
from sdrlib.experiments.grids import grid, grid_seeds, jobs
from sdrlib.studies.diagnose import diagnostic_jobs
from sdrlib.studies.robustness import robustness_jobs

#: Seconds per training step of each model in ``tiny`` (``train_wall_s`` / steps of its runs on a
#: 2-core CPU, one thread per run); SDR's is per perturbation branch. Only the order they give the
#: runs matters, and it holds at other sizes: the 2D CNN trains on frames, SDR's branches share one
#: batch through the trunk.
STEP_COST = {"frame2d": 0.09, "i3d": 0.053, "ftcn": 0.055, "sdr": 0.046}
#: An evaluation, in training steps of the same model (scoring the test split once).
EVALUATION_STEPS = 30


def _grid_jobs(name: str) -> Callable[[Profile], list[RunJob]]:
    return lambda profile: jobs(name, profile, grid(name, profile), grid_seeds(name, profile))


def _control_jobs(profile: Profile) -> list[RunJob]:
    return _grid_jobs("control")(profile) if is_synthetic(profile) else []


#: The engine's jobs of each grid and study the results notebooks run, with default parameters.
GRID_JOBS: dict[str, Callable[[Profile], list[RunJob]]] = {
    "table1": _grid_jobs("table1"),
    "table2": _grid_jobs("table2"),
    "table3": _grid_jobs("table3"),
    "figure2": _grid_jobs("figure2"),
    "diagnose": diagnostic_jobs,
    "control": _control_jobs,
    "robustness": lambda profile: robustness_jobs(profile)[0],
}

#: The grids each results notebook runs (file stems of ``book/``).
NOTEBOOK_GRIDS: dict[str, list[str]] = {
    "02_tpa": ["table2"],
    "07_table1": ["table1"],
    "08_table2": ["table2"],
    "09_table3": ["table3"],
    "10_figure2": ["figure2"],
    "11_diagnostic": ["diagnose", "control"],
    "12_robustness": ["robustness"],
    "14_closing": ["table2"],
}


def job_cost(job: RunJob) -> float:
    """An estimate of a job's seconds: its training steps and evaluations, in units of
    :data:`STEP_COST` (SDR's steps times its branches, the clean view counted as one)."""
    options = job.config.model.options
    model = job.config.model.name
    per_step = STEP_COST.get(model, 0.05)
    if model == "sdr":
        per_step *= int(options.get("K", 4)) + int(bool(options.get("clean_view", False)))
    return per_step * (job.config.train.steps + EVALUATION_STEPS * len(job.conditions))


def grid_jobs(profile: str | Profile, grids: Sequence[str]) -> list[RunJob]:
    """The jobs of ``grids`` (names of :data:`GRID_JOBS`) under ``profile``.

    Raises:
        ValueError: an unknown grid name.
    """
    unknown = sorted(set(grids) - set(GRID_JOBS))
    if unknown:
        raise ValueError(f"unknown grids {unknown}; known: {', '.join(GRID_JOBS)}")
    prof = profile if isinstance(profile, Profile) else Profile.load(profile)
    return [job for name in dict.fromkeys(grids) for job in GRID_JOBS[name](prof)]


def book_jobs(profile: str | Profile, notebooks: Sequence[str]) -> list[RunJob]:
    """The jobs of the results ``notebooks`` (file stems; others are ignored) under ``profile``."""
    return grid_jobs(profile, [grid for name in notebooks for grid in NOTEBOOK_GRIDS.get(name, [])])


def prefetch_grids(profile: str | Profile, grids: Sequence[str], progress: bool = True) -> int:
    """Train and score the runs of ``grids`` into the cache with the profile's
    ``experiments.workers`` processes, costliest first; returns how many runs were not cached."""
    prof = profile if isinstance(profile, Profile) else Profile.load(profile)
    return prefetch_runs(grid_jobs(prof, grids), job_cost, prof.workers, f"runs ({prof.name})", progress)


def prefetch_book_runs(profile: str | Profile, notebooks: Sequence[str], progress: bool = True) -> int:
    """:func:`prefetch_grids` of the grids the results ``notebooks`` run (:data:`NOTEBOOK_GRIDS`)."""
    return prefetch_grids(
        profile, [grid for name in notebooks for grid in NOTEBOOK_GRIDS.get(name, [])], progress
    )
