"""Cached runs: train a config once, evaluate it under labelled conditions, collect the rows.

Every table of the book is made the same way: for each (config, seed) of a grid, take the run
from the cache or train it (:func:`ensure_trained`), score its best checkpoint on the test split
under one or more test-time conditions (:func:`cached_evaluation`, cached in the run folder), and
collect one row per run x condition x test domain (:func:`evaluate_runs`). The experiment grids
(:mod:`sdrlib.experiments`) and the studies of trained models (:mod:`sdrlib.studies`) all go
through :func:`evaluate_runs`; a study brings its conditions as :class:`Condition` objects, so the
engine never needs to know what a study does to the clips. Book chapter 'training end to end'.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sdrlib.config import ConfigError, to_dict
from sdrlib.engine.cache import CACHE_ENV, cache_root, run_cache_dir
from sdrlib.engine.checkpoint import resolve_checkpoint
from sdrlib.engine.config import RunConfig
from sdrlib.engine.data import resolve_roots
from sdrlib.engine.evaluate import evaluate_checkpoint
from sdrlib.engine.fingerprint import data_fingerprint, file_digest, module_fingerprint
from sdrlib.engine.inference import ClipTransform
from sdrlib.engine.metrics import video_scores
from sdrlib.engine.run_state import is_finished, load_result
from sdrlib.engine.trainer import train
from sdrlib.utils import atomic_write_text
from sdrlib.utils.pool import run_in_workers

_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

#: The metric columns of an evaluation that every long table carries.
METRIC_COLUMNS = (
    *("video_auc", "clip_auc", "video_ap", "video_eer", "video_acc"),
    *("n_videos", "n_real", "n_fake"),
)
#: The per-video columns of an evaluation (what intervals are bootstrapped from).
VIDEO_COLUMNS = ("video_id", "domain", "label", "prob")


@dataclass(frozen=True)
class Condition:
    """A labelled test-time condition: the clean test clips, or a clip transform applied to them.

    Attributes:
        label: the cache label (letters, digits, ``.``, ``_``, ``-``); it must name everything that
            determines the transform (e.g. ``robust-blur-3-s0``). ``clean`` means no transform.
        transform: float clips in [0, 1] ``(B, 3, T, H, W)`` -> same; ``None`` for ``clean``.
        fields: extra columns for this condition's rows (e.g. a perturbation's name and level).
    """

    label: str = "clean"
    transform: ClipTransform | None = None
    fields: dict[str, Any] = field(default_factory=dict)


CLEAN = Condition()


@dataclass
class RunJob:
    """One training run of a grid and the conditions its checkpoint is scored under.

    Attributes:
        config: the full run config (its fingerprint is the cache key).
        test_domains: domains of the test split to score (``None`` = all).
        fields: columns that identify the run in the long table (row, model, seed...).
        conditions: what to score; default the clean clips only.
    """

    config: RunConfig
    test_domains: list[str] | None
    fields: dict[str, Any]
    conditions: Sequence[Condition] = (CLEAN,)


def ensure_trained(config: RunConfig, progress: bool = True) -> Path:
    """The cached run directory of ``config``, training (or resuming) it when not finished."""
    run_dir = run_cache_dir(config.fingerprint())
    if not is_finished(run_dir):
        train(config, run_dir, resume=True, progress=progress)
    return run_dir


def _evaluation_paths(
    run_dir: Path, config: RunConfig, domains: list[str] | None, conditions: Sequence[Condition]
) -> list[Path]:
    """Where :func:`cached_evaluation` keeps each condition's evaluation (the ``.csv``;
    ``.videos.csv`` beside): the checkpoint and the test data are fingerprinted once for all."""
    roots = resolve_roots(config.data)
    checkpoint = file_digest(resolve_checkpoint(run_dir).with_suffix(".safetensors"))
    data = data_fingerprint(roots)
    return [
        run_dir / "eval" / f"{c.label}-{_evaluation_key(domains, c, checkpoint, data)}.csv" for c in conditions
    ]


def is_scored(job: RunJob) -> bool:
    """Whether ``job``'s run is trained and every one of its evaluations is in the cache (then
    :func:`evaluate_runs` reads it in the calling process instead of starting workers)."""
    run_dir = run_cache_dir(job.config.fingerprint())
    if not is_finished(run_dir):
        return False
    paths = _evaluation_paths(run_dir, job.config, job.test_domains, job.conditions)
    return all(path.exists() and path.with_suffix(".videos.csv").exists() for path in paths)


def _evaluation_key(domains: list[str] | None, condition: Condition, checkpoint: str, data: str) -> str:
    """What decides a cached evaluation: the domains, the condition's label and its transform's
    code, the checkpoint's bytes (``checkpoint``: their digest) and the test data (``data``: its
    :func:`~sdrlib.engine.fingerprint.data_fingerprint`, the key of the runs too)."""
    code = None if condition.transform is None else module_fingerprint(condition.transform.__module__)
    payload = [domains, condition.label] if code is None else [domains, condition.label, code]
    payload += [checkpoint, data]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]


@dataclass
class CachedEvaluation:
    """One evaluation of a run: the per-domain metric table and the per-video scores."""

    table: pd.DataFrame
    videos: pd.DataFrame


def cached_evaluation(
    run_dir: Path,
    config: RunConfig,
    domains: list[str] | None,
    condition: Condition = CLEAN,
    progress: bool = True,
) -> CachedEvaluation:
    """Per-domain metrics and per-video scores of the run's best checkpoint on the test split under
    ``condition``.

    Cached in ``run_dir/eval/`` (``<label>-<key>.csv`` and ``.videos.csv``), keyed by the domains,
    the condition's label, the source of the module that defines its transform (editing a study's
    transform re-scores instead of reusing), the bytes of the best checkpoint and the content of
    the test data.

    Raises:
        ConfigError: a label that is not a plain name, or ``clean`` with a transform.
    """
    if not _LABEL.match(condition.label):
        raise ConfigError(
            f"a condition needs a plain label (letters, digits, '.', '_', '-'), not {condition.label!r}"
        )
    if (condition.label == "clean") != (condition.transform is None):
        raise ConfigError("the label 'clean' means no transform, and a transform needs its own label")
    roots = resolve_roots(config.data)
    (path,) = _evaluation_paths(run_dir, config, domains, [condition])
    videos_path = path.with_suffix(".videos.csv")
    if path.exists() and videos_path.exists():
        return CachedEvaluation(pd.read_csv(path), pd.read_csv(videos_path))
    result = evaluate_checkpoint(
        run_dir,
        roots,
        split="test",
        domains=domains,
        batch_size=config.data.eval_batch_size,
        transform=condition.transform,
        progress=progress,
    )
    videos = video_scores(result.clips)[list(VIDEO_COLUMNS)]
    atomic_write_text(videos_path, videos.to_csv(index=False))
    atomic_write_text(path, result.table.to_csv(index=False))
    return CachedEvaluation(result.table, videos)


@dataclass
class RunResults:
    """What :func:`evaluate_runs` collects.

    Attributes:
        long: one row per job x condition x test domain (plus each evaluation's ``all`` row): the
            job's ``fields``, ``condition``, the condition's ``fields``, ``test_domain``,
            :data:`METRIC_COLUMNS`, ``threshold`` (chosen on validation), ``val_video_auc``,
            ``train_wall_s`` and ``run_dir``.
        videos: one row per job x condition x test video: the job's ``fields``, ``condition`` and
            :data:`VIDEO_COLUMNS` (the video's domain, label and mean clip probability).
        runs: the run folders, in job order.
    """

    long: pd.DataFrame
    videos: pd.DataFrame
    runs: list[Path]


def _run_job(job: RunJob, progress: bool) -> tuple[list[dict[str, Any]], list[pd.DataFrame], Path]:
    """Train (or fetch) one job's run and score it under each of its conditions."""
    run_dir = ensure_trained(job.config, progress=progress)
    result = load_result(run_dir)
    rows, videos = [], []
    for condition in job.conditions:
        evaluation = cached_evaluation(run_dir, job.config, job.test_domains, condition, progress)
        for rec in evaluation.table.to_dict("records"):
            rows.append(
                {
                    **job.fields,
                    "condition": condition.label,
                    **condition.fields,
                    "test_domain": rec["domain"],
                    **{column: rec[column] for column in METRIC_COLUMNS},
                    "threshold": result.threshold,
                    "val_video_auc": result.val_metrics.get("video_auc", np.nan),
                    "train_wall_s": result.wall_s,
                    "run_dir": str(run_dir),
                }
            )
        videos.append(evaluation.videos.assign(**job.fields, condition=condition.label, **condition.fields))
    return rows, videos, run_dir


def _run_indexed_job(
    item: tuple[int, RunJob], cache: str
) -> tuple[int, list[dict[str, Any]], list[pd.DataFrame], Path]:
    _use_cache(cache)
    index, job = item
    return (index, *_run_job(job, progress=False))


def _use_cache(cache: str) -> None:
    """In a worker: the caller's run cache. Workers are forked from a server process started with
    the environment of the first pool, so ``$SDR_CACHE`` changed since (a test, a notebook that
    sets it) would not reach them otherwise."""
    os.environ[CACHE_ENV] = cache


def evaluate_runs(jobs: Sequence[RunJob], desc: str, progress: bool = True, workers: int = 1) -> RunResults:
    """Train (or fetch) every job's run and score it under each of its conditions (see
    :class:`RunResults` for what comes back).

    Args:
        workers: processes that train and score jobs at once, each with its share of the cores
            (:func:`sdrlib.utils.pool.run_in_workers`). The small models of the CPU profiles use
            two cores better as two one-thread runs than as one two-thread run. The data sets are
            made here first, so that no two workers write the same one; the rows come back in job
            order whatever the order the workers finish in.
    """
    jobs = list(jobs)
    if workers > 1 and len(jobs) > 1:
        _make_data(job.config for job in jobs)
        done: dict[int, tuple[list[dict[str, Any]], list[pd.DataFrame], Path]] = {}
        cached = {index for index, job in enumerate(jobs) if is_scored(job)}
        for index in cached:  # read in this process: no workers to start for them
            done[index] = _run_job(jobs[index], progress=False)
        items = [(index, job) for index, job in enumerate(jobs) if index not in cached]
        if items:
            for index, rows, videos, run_dir in tqdm(
                run_in_workers(
                    _run_indexed_job, items, (str(cache_root()),), min(workers, len(items)), ["sdrlib.engine.runs"]
                ),
                total=len(items),
                desc=desc,
                disable=not progress,
            ):
                done[index] = (rows, videos, run_dir)
        outcomes = [done[index] for index in range(len(jobs))]
    else:
        outcomes = [_run_job(job, progress) for job in tqdm(jobs, desc=desc, disable=not progress)]
    rows = [row for outcome in outcomes for row in outcome[0]]
    videos = [frame for outcome in outcomes for frame in outcome[1]]
    video_table = pd.concat(videos, ignore_index=True) if videos else pd.DataFrame(columns=list(VIDEO_COLUMNS))
    return RunResults(pd.DataFrame(rows), video_table, [outcome[2] for outcome in outcomes])


def _make_data(configs: Iterable[RunConfig]) -> None:
    """Make every run's data set here first, so that no two workers write the same one."""
    for data in {json.dumps(to_dict(c.data), sort_keys=True): c.data for c in configs}.values():
        resolve_roots(data)


def _prefetch_run(item: tuple[RunConfig, list[tuple[list[str] | None, list[Condition]]]], cache: str) -> str:
    _use_cache(cache)
    config, evaluations = item
    run_dir = ensure_trained(config, progress=False)
    for domains, conditions in evaluations:
        for condition in conditions:
            cached_evaluation(run_dir, config, domains, condition, progress=False)
    return config.fingerprint()


def prefetch_runs(
    jobs: Sequence[RunJob],
    cost: Callable[[RunJob], float],
    workers: int = 1,
    desc: str = "runs",
    progress: bool = True,
) -> int:
    """Train and score, into the cache, every run of ``jobs`` (several grids' jobs at once), so
    that :func:`evaluate_runs` on any of them afterwards only reads the cache.

    Jobs of one run (grids share runs: Table 2's SDR is Table 3's full row and Figure 2's K = 4)
    become one task, so that no two workers train the same run; its evaluations are the union of
    the jobs' (test domains, conditions). Tasks go to the ``workers`` processes costliest first
    (``cost`` of the task's costliest job, an estimate: only the order matters), which keeps the
    last minutes from being one long run on one core while the other waits. Runs whose evaluations
    are all cached are skipped. Returns the number of runs trained or scored.
    """
    tasks: dict[str, tuple[RunConfig, dict[str, tuple[list[str] | None, dict[str, Condition]]], float]] = {}
    for job in jobs:
        if is_scored(job):
            continue
        key = job.config.fingerprint()
        config, evaluations, weight = tasks.get(key, (job.config, {}, 0.0))
        domains_key = json.dumps(job.test_domains)
        _, conditions = evaluations.setdefault(domains_key, (job.test_domains, {}))
        conditions.update({condition.label: condition for condition in job.conditions})
        tasks[key] = (config, evaluations, max(weight, cost(job)))
    ordered = sorted(tasks.values(), key=lambda task: -task[2])
    items = [(config, [(d, list(c.values())) for d, c in evals.values()]) for config, evals, _ in ordered]
    if not items:
        return 0
    _make_data(config for config, _ in items)
    if workers > 1 and len(items) > 1:
        cache = str(cache_root())
        results = run_in_workers(_prefetch_run, items, (cache,), min(workers, len(items)), ["sdrlib.engine.runs"])
        for _ in tqdm(results, total=len(items), desc=desc, disable=not progress):
            pass
    else:
        for item in tqdm(items, desc=desc, disable=not progress):
            _prefetch_run(item, str(cache_root()))
    return len(items)
