"""Results tables and figures of the book: numbers with intervals, the paper beside ours."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from engine_helpers import DOMAINS, synthetic_videos
from sklearn.metrics import roc_auc_score

from sdrlib.book import reading, results
from sdrlib.experiments import TABLE1_COLUMNS, Profile, grid, interval_summary, with_intervals


def _auc(videos: pd.DataFrame, method: str, domains: list[str]) -> float:
    sub = videos[(videos["row"] == method) & videos["domain"].isin(domains)]
    per_seed = [
        np.mean([roc_auc_score(g["label"], g["prob"]) for _, g in s.groupby("domain")]) for _, s in sub.groupby("seed")
    ]
    return 100 * float(np.mean(per_seed))


def test_summary_cells_are_means_over_seeds_with_intervals():
    videos = synthetic_videos({"ftcn": {"ffpp-df": 2.0, "ffpp-f2f": 1.0, "celebdf": 0.5, "dfdc": 0.0}, "sdr": {d: 1.0 for d in DOMAINS}})
    summary = interval_summary(videos, n_boot=200).set_index(["method", "column"])
    assert summary.loc[("ftcn", "FF++ (avg)"), "mean"] == pytest.approx(_auc(videos, "ftcn", ["ffpp-df", "ffpp-f2f"]))
    assert summary.loc[("ftcn", "CDF"), "mean"] == pytest.approx(_auc(videos, "ftcn", ["celebdf"]))
    assert (summary["low"] <= summary["mean"]).all() and (summary["mean"] <= summary["high"]).all()
    wide = results.wide(summary.reset_index())
    assert list(wide.columns) == ["method", "FF++ (avg)", "CDF", "DFDC"] and list(wide["method"]) == ["ftcn", "sdr"]
    cells = with_intervals(summary.reset_index()).set_index("method")
    assert cells.loc["ftcn", "CDF"].startswith(f"{summary.loc[('ftcn', 'CDF'), 'mean']:.1f} [")


def test_in_domain_summary_keeps_only_runs_tested_on_their_training_domain():
    videos = pd.concat(
        [
            synthetic_videos({"sdr": {"ffpp-df": 3.0}}, train="ffpp-df"),
            synthetic_videos({"sdr": {"ffpp-nt": 0.0}}, train="ffpp-nt"),
            synthetic_videos({"sdr": {"ffpp-nt": 3.0}}, train="ffpp-df"),  # tested off its domain: not in Table 1
        ]
    )
    summary = interval_summary(videos, TABLE1_COLUMNS, in_domain=True, n_boot=200).set_index("column")
    df = _auc(videos[videos["train_domains"] == "ffpp-df"], "sdr", ["ffpp-df"])
    nt = _auc(videos[videos["train_domains"] == "ffpp-nt"], "sdr", ["ffpp-nt"])
    assert summary.loc["DF", "mean"] == pytest.approx(df) and summary.loc["NT", "mean"] == pytest.approx(nt)
    assert summary.loc["avg", "mean"] == pytest.approx((df + nt) / 2)
    assert np.isnan(summary.loc["F2F", "mean"])


def test_table2_beside_paper_labels_every_row_with_its_data():
    summary = interval_summary(synthetic_videos({"sdr": {d: 1.0 for d in DOMAINS}}), n_boot=100)
    table = results.table2_beside_paper(summary, "smoke")
    paper = table[table["numbers from"].str.startswith("published")]
    ours = table[table["numbers from"].str.startswith("ours")]
    assert len(paper) == 5 and list(ours["method"]) == ["sdr"]
    sdr_paper = paper[paper["method"].str.startswith("SDR")].iloc[0]
    assert (sdr_paper["CDF"], sdr_paper["DFDC"], sdr_paper["FF++ (avg)"]) == ("88.5", "76.2", "99.6")
    assert paper[paper["method"].str.startswith("AltFreezing")].iloc[0]["DFDC"] == "–"  # not reported
    assert ours.iloc[0]["numbers from"] == "ours (SynthDF, profile smoke)" and " [" in ours.iloc[0]["CDF"]
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
    videos = pd.concat([synthetic_videos({f"K = {k}": {d: 0.5 * k for d in DOMAINS}}) for k in (1, 2, 3)], ignore_index=True)
    summary = results.figure2_summary(videos)
    assert sorted(summary["K"].unique()) == [1, 2, 3]
    fig = results.plot_figure2(summary, "t")
    assert len(fig.axes[0].lines) == 3 + 1  # three test columns + the chance line
    assert len(fig.axes[0].collections) == 3  # an interval band per column
    plt.close(fig)
    fig = results.plot_auc_bars(summary, "t")
    ax = fig.axes[0]
    assert len(ax.patches) == 3 * 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["chance", "K = 1", "K = 2", "K = 3"]
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.get_window_extent().x1 - 1  # legend outside the bars
    plt.close(fig)


def test_control_beside_table2_puts_each_column_with_and_without():
    with_t = interval_summary(synthetic_videos({"sdr": {d: 3.0 for d in DOMAINS}}), n_boot=100)
    without = interval_summary(synthetic_videos({"sdr": {d: 0.0 for d in DOMAINS}}), n_boot=100)
    both = results.control_beside_table2(without, with_t).set_index("method")
    assert both.loc["sdr", "CDF with"] > 85 and both.loc["sdr", "CDF without"] < 70


def test_test_video_counts_count_shared_reals_once_per_domain():
    """Issue 11, item 15: counts are counted, never halved: FF++'s 140 real test videos (family
    domain ``ffpp``) face 140 fakes in each manipulation's AUC."""
    rows = [{"video_id": f"ffpp/{i}", "domain": "ffpp", "label": 0} for i in range(140)]
    for domain in ("ffpp-df", "ffpp-nt"):
        rows += [{"video_id": f"{domain}/{i}", "domain": domain, "label": 1} for i in range(140)]
    rows += [{"video_id": f"dfdc/{i}", "domain": "dfdc", "label": int(i >= 10)} for i in range(50)]
    videos = pd.DataFrame(rows).assign(row="ftcn", seed=0, condition="clean", prob=0.5)
    counts = reading.test_video_counts(videos)
    assert counts == {"dfdc": {"real": 10, "fake": 40}, "ffpp-df": {"real": 140, "fake": 140}, "ffpp-nt": {"real": 140, "fake": 140}}


def test_synth_test_videos_is_what_the_profile_generates():
    assert results.synth_test_videos("smoke") == 2 and results.synth_test_videos("tiny") == 50
    assert results.synth_test_videos("paper") is None  # real data: counts come from the prepared sets
