"""The reference run beside this run (sdrlib.book.reference; chapters 'Table 2' to the diagnostic,
section 'what more compute changes')."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from test_engine_uncertainty import _videos

from sdrlib.book import reference
from sdrlib.experiments import interval_summary

COLUMNS = ["FF++ (avg)", "CDF"]


def _summarise(videos: pd.DataFrame) -> pd.DataFrame:
    return interval_summary(videos, COLUMNS, n_boot=200)


def test_compare_puts_each_column_of_both_runs_side_by_side():
    tiny, small = _videos({"ftcn": 0.5, "sdr": 0.6}), _videos({"ftcn": 2.0, "sdr": 2.5}, seed=1)
    both = reference.compare(tiny, small, _summarise, ("tiny", "small"), baseline="ftcn", columns=["CDF"])
    assert list(both.table.columns) == [
        "method",
        "FF++ (avg) (tiny)",
        "FF++ (avg) (small)",
        "CDF (tiny)",
        "CDF (small)",
    ]
    assert list(both.table["method"]) == ["ftcn", "sdr"]
    expected = _summarise(small).set_index(["method", "column"]).loc[("sdr", "CDF")]
    assert both.table.set_index("method").loc["sdr", "CDF (small)"].startswith(f"{expected['mean']:.1f} [")
    assert list(both.differences.columns) == ["method", "CDF (tiny)", "CDF (small)"]
    assert list(both.differences["method"]) == ["sdr"]  # the baseline is not a row of its own
    assert reference.compare(tiny, small, _summarise, ("tiny", "small")).differences is None


def test_a_method_missing_from_one_run_reads_n_a():
    tiny, small = _videos({"ftcn": 0.5}), _videos({"ftcn": 2.0, "sdr": 2.5}, seed=1)
    both = reference.compare(tiny, small, _summarise, ("tiny", "small"))
    assert both.table.set_index("method").loc["sdr", "CDF (tiny)"] == "n/a"


def test_load_reference_reads_the_committed_files_or_says_none(tmp_path):
    assert reference.load_reference(["table2"], root=tmp_path) is None
    folder = tmp_path / "small"
    (folder / "table2").mkdir(parents=True)
    info = {"command": "python scripts/reference_run.py", "commit": "0123456789", "machine": "x86_64 CPU, 2 cores",
            "total_wall_s": 5400.0}
    (folder / "run.json").write_text(json.dumps(info))
    assert reference.load_reference(["table2"], root=tmp_path) is None  # no scores yet
    _videos({"ftcn": 1.0}).to_csv(folder / "table2" / "videos.csv.gz", index=False)
    run = reference.load_reference(["table2"], root=tmp_path)
    assert run is not None and run.profile == "small" and len(run.videos["table2"]) == 540
    assert "90 min" in run.banner() and "`0123456`" in run.banner()
    assert reference.load_reference(["table2", "table3"], root=tmp_path) is None


@pytest.mark.skipif(not (reference.RESULTS_DIR / "small" / "run.json").is_file(), reason="no committed reference run")
def test_the_committed_reference_run_has_every_grid_it_lists():
    info = json.loads((reference.RESULTS_DIR / "small" / "run.json").read_text())
    assert info["profile"] == "small" and info["command"].startswith("python scripts/reference_run.py")
    run = reference.load_reference(info["grids"])
    assert run is not None
    for grid, videos in run.videos.items():
        assert videos.groupby("row")["seed"].nunique().min() >= 3, grid
        counts = videos[videos["condition"] == "clean"].groupby(["row", "seed", "domain", "label"]).size()
        assert counts.min() >= 50, grid


def test_unavailable_says_whether_the_run_is_absent_or_left_the_grid_out(tmp_path):
    assert "not in this installation" in reference.unavailable(["table3"], root=tmp_path)
    (tmp_path / "small").mkdir()
    (tmp_path / "small" / "run.json").write_text(json.dumps({"grids": ["table2", "diagnose"]}))
    text = reference.unavailable(["table3"], root=tmp_path)
    assert "did not include `table3`" in text and "`table2`, `diagnose`" in text
