"""The reproduction's first step: every run the results chapters read, trained and scored once in
one worker pool, costliest first (sdrlib.book.prefetch, sdrlib.engine.runs.prefetch_runs)."""

from __future__ import annotations

import pandas as pd
import pytest
from engine_helpers import micro_profile as make_micro_profile

from sdrlib.book import prefetch as book_prefetch
from sdrlib.engine import runs as engine_runs
from sdrlib.experiments import run_experiment
from sdrlib.studies.diagnose import run_diagnostic

RESULTS_NOTEBOOKS = ["07_table1", "08_table2", "09_table3", "10_figure2", "11_diagnostic", "12_robustness"]


@pytest.fixture()
def micro_profile():
    return make_micro_profile(figure2_K=[1, 4], robustness_levels=[3], robustness_perturbations=["blur"])


def test_prefetch_trains_each_shared_run_once_then_the_chapters_only_read(micro_profile, tmp_path, monkeypatch):
    monkeypatch.setenv("SDR_CACHE", str(tmp_path / "cache"))
    trained = []
    real_train = engine_runs.train

    def counting_train(config, run_dir, **kwargs):
        trained.append(config.fingerprint())
        return real_train(config, run_dir, **kwargs)

    monkeypatch.setattr(engine_runs, "train", counting_train)
    jobs = book_prefetch.book_jobs(micro_profile, RESULTS_NOTEBOOKS)
    runs = {job.config.fingerprint() for job in jobs}
    assert len(runs) < len(jobs), "Table 2's runs are also Table 3's, Figure 2's and the studies'"
    assert book_prefetch.prefetch_book_runs(micro_profile, RESULTS_NOTEBOOKS, progress=False) == len(runs)
    assert sorted(trained) == sorted(runs), "each run trained exactly once"
    assert all(engine_runs.is_scored(job) for job in jobs), "every evaluation of every chapter is cached"

    def no_work(*args, **kwargs):
        raise AssertionError("a cached run was trained or scored again")

    monkeypatch.setattr(engine_runs, "train", no_work)
    monkeypatch.setattr(engine_runs, "evaluate_checkpoint", no_work)
    assert book_prefetch.prefetch_book_runs(micro_profile, RESULTS_NOTEBOOKS, progress=False) == 0
    micro_profile.experiments["workers"] = 2  # cached jobs are read here, no worker is started
    table = run_experiment("table3", micro_profile, tmp_path / "t3", progress=False).table
    assert len(table) == 7
    diagnostic = run_diagnostic(micro_profile, tmp_path / "d", progress=False)
    assert isinstance(diagnostic.table, pd.DataFrame) and len(diagnostic.long)


def test_prefetch_hands_out_the_costliest_run_first(micro_profile, tmp_path, monkeypatch):
    monkeypatch.setenv("SDR_CACHE", str(tmp_path / "cache"))  # nothing trained yet
    order = []
    monkeypatch.setattr(engine_runs, "_prefetch_run", lambda item, cache: order.append(item[0].model.name))
    monkeypatch.setattr(engine_runs, "_make_data", lambda jobs: None)
    jobs = book_prefetch.book_jobs(micro_profile, ["08_table2", "12_robustness"])
    cost = {"ftcn": 1.0, "sdr": 5.0}
    assert engine_runs.prefetch_runs(jobs, lambda job: cost[job.config.model.name], progress=False) == 2
    assert order == ["sdr", "ftcn"]


def test_job_cost_counts_steps_branches_and_evaluations(micro_profile):
    jobs = {job.fields["row"]: job for job in book_prefetch.book_jobs(micro_profile, ["10_figure2"])}
    assert book_prefetch.job_cost(jobs["K = 4"]) == pytest.approx(4 * book_prefetch.job_cost(jobs["K = 1"]))
    (robust,) = [j for j in book_prefetch.book_jobs(micro_profile, ["12_robustness"]) if j.config.model.name == "ftcn"]
    (clean,) = [j for j in book_prefetch.book_jobs(micro_profile, ["08_table2"]) if j.config.model.name == "ftcn"]
    assert book_prefetch.job_cost(robust) > book_prefetch.job_cost(clean)  # two conditions, not one
    assert book_prefetch.book_jobs(micro_profile, ["00_introduction", "13_your_video"]) == []


def test_grids_by_name_and_by_notebook(micro_profile):
    by_notebook = book_prefetch.book_jobs(micro_profile, ["11_diagnostic"])
    by_grid = book_prefetch.grid_jobs(micro_profile, ["diagnose", "control"])
    assert [j.config.fingerprint() for j in by_notebook] == [j.config.fingerprint() for j in by_grid]
    assert len(book_prefetch.grid_jobs(micro_profile, ["diagnose"])) < len(by_grid)
    with pytest.raises(ValueError, match="unknown grids"):
        book_prefetch.grid_jobs(micro_profile, ["table9"])
