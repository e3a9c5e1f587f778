"""Results tables and figures: numbers read from the long tables, the paper beside ours, demo video."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch

from sdrlib.engine import report
from sdrlib.engine.experiments import Profile, grid
from sdrlib.engine.predict import TrackPrediction, VideoPrediction

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
    summary = report.auc_summary(long).set_index(["method", "column"])
    assert summary.loc[("ftcn", "FF++ (avg)"), "mean"] == pytest.approx(75.0)  # seeds: 80 and 70
    assert summary.loc[("ftcn", "FF++ (avg)"), "std"] == pytest.approx(np.std([80, 70], ddof=1))
    assert summary.loc[("ftcn", "CDF"), "mean"] == pytest.approx(70.0)
    assert np.isnan(summary.loc[("sdr", "CDF"), "std"]) and summary.loc[("sdr", "CDF"), "n_seeds"] == 1
    wide = report.wide(report.auc_summary(long))
    assert list(wide.columns) == ["method", "FF++ (avg)", "CDF", "DFDC"]
    assert list(wide["method"]) == ["ftcn", "sdr"]
    cells = report.with_std(report.auc_summary(long)).set_index("method")
    assert cells.loc["ftcn", "FF++ (avg)"] == "75.0 ± 7.1" and cells.loc["sdr", "DFDC"] == "55.0"


def test_in_domain_summary_keeps_only_runs_tested_on_their_training_domain():
    long = pd.concat(
        [
            _long({"sdr": {"ffpp-df": [0.9], "all": [0.1]}}, train="ffpp-df"),
            _long({"sdr": {"ffpp-nt": [0.7]}}, train="ffpp-nt"),
        ]
    )
    summary = report.auc_summary(long, report.TABLE1_COLUMNS, in_domain=True).set_index("column")
    assert summary.loc["DF", "mean"] == pytest.approx(90.0)
    assert summary.loc["avg", "mean"] == pytest.approx(80.0)
    assert np.isnan(summary.loc["F2F", "mean"])


def test_table2_beside_paper_labels_every_row_with_its_data():
    long = _long({"sdr": {d: [0.6] for d in DOMAINS}})
    table = report.table2_beside_paper(report.auc_summary(long), "smoke")
    paper = table[table["numbers from"].str.startswith("published")]
    ours = table[table["numbers from"].str.startswith("ours")]
    assert len(paper) == 5 and list(ours["method"]) == ["sdr"]
    sdr_paper = paper[paper["method"].str.startswith("SDR")].iloc[0]
    assert (sdr_paper["CDF"], sdr_paper["DFDC"], sdr_paper["FF++ (avg)"]) == ("88.5", "76.2", "99.6")
    assert paper[paper["method"].str.startswith("AltFreezing")].iloc[0]["DFDC"] == "–"  # not reported
    assert ours.iloc[0]["numbers from"] == "ours (SynthDF, profile smoke)" and ours.iloc[0]["CDF"] == "60.0"
    assert report.is_synthetic("smoke") and not report.is_synthetic("paper")
    assert "Celeb-DF-v2" in report.data_label("paper")
    legend = report.column_legend(["CDF", "avg"], "smoke")
    assert list(legend["test data"]) == ["celebdf", "mean of the four in-domain columns"]


def test_figure2_default_k_is_the_table2_sdr_run():
    prof = Profile.load("smoke")
    figure2 = {s.row: prof.run_config(s, 0).fingerprint() for s in grid("figure2", prof)}
    table2 = {s.row: prof.run_config(s, 0).fingerprint() for s in grid("table2", prof)}
    table3 = {s.row: prof.run_config(s, 0).fingerprint() for s in grid("table3", prof)}
    assert figure2["K = 4"] == table2["sdr"] == table3["SDR (full)"]
    assert figure2["K = 1"] == table3["w/o SPB (K = 1)"]
    assert len(set(figure2.values())) == 5


def test_figure2_and_bar_plots_draw_one_line_or_bar_group_per_series():
    long = pd.concat(
        [_long({f"K = {k}": {d: [0.5 + 0.05 * k] for d in DOMAINS}}) for k in (1, 2, 3)], ignore_index=True
    )
    summary = report.figure2_summary(long)
    assert sorted(summary["K"].unique()) == [1, 2, 3]
    fig = report.plot_figure2(summary, "t")
    assert len(fig.axes[0].lines) == 3 + 1  # three test columns + the chance line
    plt.close(fig)
    fig = report.plot_auc_bars(report.auc_summary(long), "t")
    assert len(fig.axes[0].patches) == 3 * 3
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["chance", "K = 1", "K = 2", "K = 3"]
    plt.close(fig)


def test_diagnostic_drops_and_control_comparison():
    clean = _long({"ftcn": {"ffpp-df": [0.9]}, "frame2d": {"ffpp-df": [0.8]}})
    shuffled = _long(
        {"ftcn": {"ffpp-df": [0.6]}, "frame2d": {"ffpp-df": [0.8]}}, condition="temporal_shuffle"
    )
    drops = report.diagnostic_drops(pd.concat([clean, shuffled])).set_index(["method", "condition"])
    assert drops.loc[("ftcn", "temporal_shuffle"), "drop"] == pytest.approx(30.0)
    assert drops.loc[("frame2d", "temporal_shuffle"), "drop"] == pytest.approx(0.0)
    assert drops.loc[("ftcn", "temporal_shuffle"), "kind"] == "temporal"
    assert drops.loc[("ftcn", "blur"), "kind"] == "spatial" and np.isnan(drops.loc[("ftcn", "blur"), "drop"])
    fig = report.plot_diagnostic(drops.reset_index().dropna(subset=["drop"]), "t")
    plt.close(fig)
    with_t = report.auc_summary(_long({"sdr": {d: [0.8] for d in DOMAINS}}))
    without = report.auc_summary(_long({"sdr": {d: [0.5] for d in DOMAINS}}))
    both = report.control_beside_table2(without, with_t).set_index("method")
    assert both.loc["sdr", "CDF with"] == pytest.approx(80.0) and both.loc["sdr", "CDF without"] == 50.0


def test_robustness_plot_has_one_panel_per_perturbation():
    rows = []
    for model in ("ftcn", "sdr"):
        rows.append(
            {"model": model, "perturbation": "clean", "level": 0, "test_domain": "all", "video_auc": 0.8}
        )
        for name in ("blur", "noise", "compression"):
            for level in (1, 5):
                rows.append(
                    {
                        "model": model,
                        "perturbation": name,
                        "level": level,
                        "test_domain": "all",
                        "video_auc": 0.6,
                    }
                )
    fig = report.plot_robustness(pd.DataFrame(rows), "t")
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in titled] == ["blur", "noise", "compression"]
    assert len(titled[0].lines) == 2 + 1
    plt.close(fig)
    fig = report.plot_perturbations(torch.rand(3, 4, 16, 16), ["blur", "noise"])
    assert len(fig.axes) == 2 * 6
    plt.close(fig)


def test_demo_video_falls_back_to_a_synthdf_mp4(tmp_path, monkeypatch):
    monkeypatch.setenv("SDR_SHARED_VIDEOS", str(tmp_path / "absent"))
    path, description = report.demo_video(tmp_path, frames=8, size=64)
    assert path == tmp_path / "synthdf_demo.mp4" and "SynthDF" in description
    from sdrlib.data.video import read_frames

    assert read_frames(path).shape == (8, 64, 64, 3)


def _prediction(frames: np.ndarray | None) -> VideoPrediction:
    track = TrackPrediction(
        track_id=0,
        prob=0.4,
        verdict="real",
        threshold=0.5,
        n_clips=2,
        n_frames=8,
        clip_starts=[0, 4],
        clip_probs=[0.3, 0.5],
        frame_indices=list(range(8)),
        frame_scores=[0.3] * 4 + [0.5] * 4,
        padded=False,
        mean_face_size=80.0,
        frames=frames,
    )
    return VideoPrediction(video="v.mp4", tracks=[track], runtime_s=0.1)


def test_frame_views_show_crops_and_need_kept_frames():
    prediction = _prediction(np.zeros((8, 24, 24, 3), dtype=np.uint8))
    fig = report.plot_frame_score(prediction, 5)
    assert "p = 0.50" in fig.axes[0].get_title()
    plt.close(fig)
    fig = report.plot_frame_strip(prediction, count=4)
    assert len(fig.axes) == 4
    plt.close(fig)
    assert "frames" not in prediction.to_json()["tracks"][0]
    with pytest.raises(ValueError, match="keep_frames=True"):
        report.plot_frame_score(_prediction(None), 0)
    with pytest.raises(ValueError, match="position must be in 0..7"):
        report.plot_frame_score(prediction, 8)
