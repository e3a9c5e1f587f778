"""Experiment grids: tables from cached runs, re-rendered without retraining."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import torch
from engine_helpers import micro_profile as make_micro_profile

from sdrlib.config import ConfigError
from sdrlib.engine import runs as engine_runs
from sdrlib.experiments import grid, grid_seeds, run_experiment
from sdrlib.studies.diagnose import frame_repeat, run_diagnostic, temporal_shuffle


@pytest.fixture()
def micro_profile():
    return make_micro_profile()


def test_table2_trains_once_then_renders_from_cache(micro_profile, tmp_path, monkeypatch):
    result = run_experiment("table2", micro_profile, tmp_path / "t2", progress=False)
    table = result.table
    assert list(table["method"]) == ["ftcn", "sdr"]
    assert list(table.columns) == ["method", "FF++ (avg)", "CDF", "DFDC"]
    assert (table["DFDC"] == "n/a").all()  # not in this micro profile's test domains
    assert (tmp_path / "t2" / "table.md").read_text().count("|") > 10
    long = pd.read_csv(tmp_path / "t2" / "results.csv")
    assert set(long["test_domain"]) == {"all", "ffpp-df", "ffpp-nt", "celebdf"}
    assert json.loads((tmp_path / "t2" / "metrics.json").read_text())["experiment"] == "table2"

    def no_training(*args, **kwargs):
        raise AssertionError("a cached run was retrained")

    monkeypatch.setattr(engine_runs, "train", no_training)
    again = run_experiment("table2", micro_profile, tmp_path / "t2b", progress=False)
    pd.testing.assert_frame_equal(again.table, table)
    # the baselines grid shares the ftcn run with table2
    assert list(
        run_experiment("baselines", micro_profile, tmp_path / "b", progress=False).table["method"]
    ) == ["ftcn"]


def test_worker_processes_give_the_rows_of_one_process(micro_profile, tmp_path, monkeypatch):
    """experiments.workers trains and scores the jobs in worker processes (one thread each): the
    rows come back in job order and equal those of one process with one thread."""
    micro_profile.experiments.update({"seeds": [0, 1], "table2_models": ["ftcn"]})
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        monkeypatch.setenv("SDR_CACHE", str(tmp_path / "one"))
        one = run_experiment("table2", micro_profile, tmp_path / "a", progress=False)
    finally:
        torch.set_num_threads(previous)
    monkeypatch.setenv("SDR_CACHE", str(tmp_path / "two"))
    micro_profile.experiments["workers"] = 2
    two = run_experiment("table2", micro_profile, tmp_path / "b", progress=False)
    columns = ["row", "seed", "test_domain", "video_auc", "clip_auc", "n_videos"]
    pd.testing.assert_frame_equal(two.long[columns], one.long[columns])
    pd.testing.assert_frame_equal(
        two.videos.drop(columns="run_dir", errors="ignore"), one.videos.drop(columns="run_dir", errors="ignore")
    )
    assert [Path(r).parent.parent for r in two.runs] == [tmp_path / "two"] * 2


def test_ffpp_average_reads_the_profiles_ffpp_domains(micro_profile, tmp_path):
    """One source for "FF++ (avg)": the profile's ffpp_domains (a constant list of the four FF++
    names used to decide it, and would have averaged ffpp-nt in here)."""
    micro_profile.experiments.update(
        {"table2_models": ["ftcn"], "ffpp_domains": ["ffpp-df"], "cross_domains": ["ffpp-nt", "celebdf"]}
    )
    result = run_experiment("table2", micro_profile, tmp_path / "t2", progress=False)
    long = result.long.set_index("test_domain")
    assert bool(long.loc["ffpp-df", "ffpp"]) and not long.loc[["ffpp-nt", "celebdf", "all"], "ffpp"].any()
    assert result.table.loc[0, "FF++ (avg)"].startswith(f"{100 * long.loc['ffpp-df', 'video_auc']:.1f} [")


def test_grids_expand_as_documented(micro_profile):
    assert [s.row for s in grid("table3", micro_profile)] == [
        "SDR (full)",
        "w/o SPB (K = 1)",
        "w/o TRFI",
        "w/o L_MI",
        "w/o L_con",
        "w/o temporal transformer",
        "+ clean view",
    ]
    runs = {s.row: s.config(micro_profile, 0) for s in grid("table3", micro_profile)}
    assert runs["w/o SPB (K = 1)"].model.options["K"] == 1
    assert runs["w/o TRFI"].model.options["trfi"] is False
    assert runs["w/o L_MI"].loss.lambda_mi == 0.0 and runs["w/o L_con"].loss.lambda_con == 0.0
    assert runs["w/o temporal transformer"].model.options["temporal_transformer"] is False
    assert runs["+ clean view"].model.options["clean_view"] is True
    assert len({r.fingerprint() for r in runs.values()}) == 7
    t1 = grid("table1", micro_profile)
    assert [(s.train_domains, s.test_domains) for s in t1] == [
        (["ffpp-df"], ["ffpp-df"]),
        (["ffpp-nt"], ["ffpp-nt"]),
    ]
    control = grid("control", micro_profile)[0].config(micro_profile, 0)
    assert control.data.synth.temporal_scale == 0.0
    with pytest.raises(ConfigError, match="unknown experiment"):
        grid("table9", micro_profile)


def test_diagnose_grid_table(micro_profile, tmp_path):
    micro_profile.experiments["table2_models"] = ["ftcn"]
    result = run_diagnostic(micro_profile, tmp_path / "d", progress=False)
    row = result.table.iloc[0]
    assert row["method"] == "ftcn"
    assert list(result.table.columns) == [
        "method",
        "clean",
        "drop temporal_shuffle",
        "drop frame_repeat",
        "drop appearance_remap",
        "drop blur",
    ]
    assert set(result.videos["condition"]) == {"clean", "temporal_shuffle", "frame_repeat", "appearance_remap", "blur"}


def test_temporal_destructions():
    x = torch.rand(3, 3, 6, 8, 8)
    shuffled = temporal_shuffle(x, torch.Generator().manual_seed(0))
    for b in range(3):  # every clip's frames are a permutation of the original frames
        orig = sorted(x[b].sum(dim=(0, 2, 3)).tolist())
        assert sorted(shuffled[b].sum(dim=(0, 2, 3)).tolist()) == pytest.approx(orig)
    assert not torch.equal(shuffled, x)
    static = frame_repeat(x)
    assert torch.equal(static[:, :, 0], x[:, :, 3]) and (static.diff(dim=2) == 0).all()


def test_grid_overrides_apply_to_one_grid_only(micro_profile):
    micro_profile.experiments["grid_overrides"] = {"table1": {"train": {"steps": 1}}}
    t1 = grid("table1", micro_profile)[0].config(micro_profile, 0)
    t2 = grid("table2", micro_profile)[0].config(micro_profile, 0)
    assert t1.train.steps == 1 and t2.train.steps == 2


def test_model_overrides_give_a_model_its_own_training_settings(micro_profile):
    micro_profile.experiments["model_overrides"] = {"ftcn": {"train": {"steps": 7}, "optim": {"lr": 0.01}}}
    runs = {s.model: s.config(micro_profile, 0) for s in grid("table2", micro_profile)}
    assert runs["ftcn"].train.steps == 7 and runs["ftcn"].optim.lr == 0.01
    assert runs["sdr"].train.steps == 2  # other models keep the profile's settings
    table3 = {s.row: s.config(micro_profile, 0) for s in grid("table3", micro_profile)}
    assert table3["SDR (full)"].fingerprint() == runs["sdr"].fingerprint()
    micro_profile.experiments["model_overrides"] = {"ftcnn": {}}
    with pytest.raises(ConfigError, match="unknown model"):
        grid("table2", micro_profile)[0].config(micro_profile, 0)


def test_every_grid_uses_the_profiles_seeds(micro_profile, tmp_path):
    micro_profile.experiments["table2_models"] = ["ftcn"]
    micro_profile.experiments["seeds"] = [0, 1]
    assert grid_seeds("baselines", micro_profile) == grid_seeds("table3", micro_profile) == [0, 1]
    result = run_experiment("baselines", micro_profile, tmp_path / "b", progress=False)
    assert sorted(result.long["seed"].unique()) == [0, 1] and len(result.runs) == 2
    assert " [" in result.table.loc[0, "CDF"]  # mean [95 % interval] over videos and the two seeds
    micro_profile.experiments["seeds"] = [1, 1]
    with pytest.raises(ConfigError, match="repeat"):
        grid_seeds("baselines", micro_profile)
    micro_profile.experiments["seeds"] = [0]
    micro_profile.experiments["grid_seeds"] = {"table2": [0, 1]}
    with pytest.raises(ConfigError, match="every grid uses experiments.seeds"):
        grid_seeds("table2", micro_profile)

