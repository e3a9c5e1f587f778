"""Results tables and figures of the book: numbers read from the long tables, the paper beside ours."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sdrlib.book import results
from sdrlib.experiments import TABLE1_COLUMNS, Profile, auc_summary, grid, with_std

DOMAINS = ["ffpp-df", "ffpp-f2f", "ffpp-fs", "ffpp-nt", "celebdf", "dfdc"]


def _long(rows: dict[str, dict[str, list[float]]], condition: str = "clean", train: str | None = None):
    """A long table: ``rows[method][domain]`` = AUC per seed."""
    out = []
    for method, per_domain in rows.items():
        for domain, values in per_domain.items():
            for seed, auc in enumerate(values):
                out.append(
                    {
                        "row": method,
                        "seed": seed,
                        "condition": condition,
                        "test_domain": domain,
                        "train_domains": train or ",".join(DOMAINS[:4]),
                        "video_auc": auc,
                        "ffpp": domain.startswith("ffpp-"),
                    }
                )
    return pd.DataFrame(out)


def test_auc_summary_averages_ffpp_per_seed_and_reports_the_std():
    long = _long(
        {
            "ftcn": {
                "ffpp-df": [0.9, 0.7],
                "ffpp-f2f": [0.7, 0.7],
                "celebdf": [0.6, 0.8],
                "dfdc": [0.5, 0.5],
            },
            "sdr": {"ffpp-df": [1.0], "ffpp-f2f": [0.8], "celebdf": [0.7], "dfdc": [0.55]},
        }
    )
    summary = auc_summary(long).set_index(["method", "column"])
    assert summary.loc[("ftcn", "FF++ (avg)"), "mean"] == pytest.approx(75.0)  # seeds: 80 and 70
    assert summary.loc[("ftcn", "FF++ (avg)"), "std"] == pytest.approx(np.std([80, 70], ddof=1))
    assert summary.loc[("ftcn", "CDF"), "mean"] == pytest.approx(70.0)
    assert np.isnan(summary.loc[("sdr", "CDF"), "std"]) and summary.loc[("sdr", "CDF"), "n_seeds"] == 1
    wide = results.wide(auc_summary(long))
    assert list(wide.columns) == ["method", "FF++ (avg)", "CDF", "DFDC"]
    assert list(wide["method"]) == ["ftcn", "sdr"]
    cells = with_std(auc_summary(long)).set_index("method")
    assert cells.loc["ftcn", "FF++ (avg)"] == "75.0 ± 7.1" and cells.loc["sdr", "DFDC"] == "55.0"


def test_in_domain_summary_keeps_only_runs_tested_on_their_training_domain():
    long = pd.concat(
        [
            _long({"sdr": {"ffpp-df": [0.9], "all": [0.1]}}, train="ffpp-df"),
            _long({"sdr": {"ffpp-nt": [0.7]}}, train="ffpp-nt"),
        ]
    )
    summary = auc_summary(long, TABLE1_COLUMNS, in_domain=True).set_index("column")
    assert summary.loc["DF", "mean"] == pytest.approx(90.0)
    assert summary.loc["avg", "mean"] == pytest.approx(80.0)
    assert np.isnan(summary.loc["F2F", "mean"])


def test_table2_beside_paper_labels_every_row_with_its_data():
    long = _long({"sdr": {d: [0.6] for d in DOMAINS}})
    table = results.table2_beside_paper(auc_summary(long), "smoke")
    paper = table[table["numbers from"].str.startswith("published")]
    ours = table[table["numbers from"].str.startswith("ours")]
    assert len(paper) == 5 and list(ours["method"]) == ["sdr"]
    sdr_paper = paper[paper["method"].str.startswith("SDR")].iloc[0]
    assert (sdr_paper["CDF"], sdr_paper["DFDC"], sdr_paper["FF++ (avg)"]) == ("88.5", "76.2", "99.6")
    assert paper[paper["method"].str.startswith("AltFreezing")].iloc[0]["DFDC"] == "–"  # not reported
    assert ours.iloc[0]["numbers from"] == "ours (SynthDF, profile smoke)" and ours.iloc[0]["CDF"] == "60.0"
    assert results.is_synthetic("smoke") and not results.is_synthetic("paper")
    assert "Celeb-DF-v2" in results.data_label("paper")
    legend = results.column_legend(["CDF", "avg"], "smoke")
    assert list(legend["test data"]) == ["celebdf", "mean of the four in-domain columns"]


def test_figure2_default_k_is_the_table2_sdr_run():
    prof = Profile.load("smoke")
    figure2 = {s.row: s.config(prof, 0).fingerprint() for s in grid("figure2", prof)}
    table2 = {s.row: s.config(prof, 0).fingerprint() for s in grid("table2", prof)}
    table3 = {s.row: s.config(prof, 0).fingerprint() for s in grid("table3", prof)}
    assert figure2["K = 4"] == table2["sdr"] == table3["SDR (full)"]
    assert figure2["K = 1"] == table3["w/o SPB (K = 1)"]
    assert len(set(figure2.values())) == 5


def test_figure2_and_bar_plots_draw_one_line_or_bar_group_per_series():
    long = pd.concat(
        [_long({f"K = {k}": {d: [0.5 + 0.05 * k] for d in DOMAINS}}) for k in (1, 2, 3)], ignore_index=True
    )
    summary = results.figure2_summary(long)
    assert sorted(summary["K"].unique()) == [1, 2, 3]
    fig = results.plot_figure2(summary, "t")
    assert len(fig.axes[0].lines) == 3 + 1  # three test columns + the chance line
    plt.close(fig)
    fig = results.plot_auc_bars(auc_summary(long), "t")
    assert len(fig.axes[0].patches) == 3 * 3
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["chance", "K = 1", "K = 2", "K = 3"]
    plt.close(fig)


def test_control_beside_table2_puts_each_column_with_and_without():
    with_t = auc_summary(_long({"sdr": {d: [0.8] for d in DOMAINS}}))
    without = auc_summary(_long({"sdr": {d: [0.5] for d in DOMAINS}}))
    both = results.control_beside_table2(without, with_t).set_index("method")
    assert both.loc["sdr", "CDF with"] == pytest.approx(80.0) and both.loc["sdr", "CDF without"] == 50.0




def test_auc_resolution_counts_reals_and_fakes_instead_of_halving():
    """Issue 11, item 15: FF++'s 140 real test videos face 560 fakes in ``all``, 140 per manipulation."""
    long = pd.DataFrame(
        [
            {"condition": "clean", "test_domain": "all", "n_videos": 700, "n_real": 140, "n_fake": 560},
            {"condition": "clean", "test_domain": "ffpp-df", "n_videos": 280, "n_real": 140, "n_fake": 140},
            {"condition": "clean", "test_domain": "dfdc", "n_videos": 50, "n_real": 10, "n_fake": 40},
            {"condition": "clean", "test_domain": "dfdc", "n_videos": 50, "n_real": 12, "n_fake": 38},
            {"condition": "blur", "test_domain": "dfdc", "n_videos": 2, "n_real": 1, "n_fake": 1},
        ]
    )
    table = results.auc_resolution(long).set_index("test_domain")
    assert list(table.index) == ["ffpp-df", "dfdc"]
    assert table.loc["ffpp-df", "step"] == pytest.approx(100 / (140 * 140))
    # the fewest of each over the runs: 10 reals and 38 fakes (not 25 x 25, nor 10 x 40)
    assert table.loc["dfdc", "step"] == pytest.approx(100 / (10 * 38))
    assert (table.loc["dfdc", "n_real"], table.loc["dfdc", "n_fake"]) == (10, 38)


def test_synth_test_videos_is_what_the_profile_generates():
    assert results.synth_test_videos("smoke") == 2 and results.synth_test_videos("tiny") == 12
    assert results.synth_test_videos("paper") is None  # real data: counts come from the prepared sets
