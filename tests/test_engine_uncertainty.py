"""Bootstrap intervals of AUCs: known answers, coverage, pairing (sdrlib.engine.uncertainty and
sdrlib.experiments.intervals)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from sklearn.metrics import roc_auc_score

from sdrlib.engine.uncertainty import (
    Interval,
    describe_difference,
    format_interval,
    mean_over_drawn_seeds,
    percentile_interval,
    stratified_counts,
    weighted_auc,
)
from sdrlib.experiments.intervals import (
    condition_drops,
    difference_table,
    interval_summary,
    paired_differences,
    with_intervals,
)


def test_weighted_auc_is_the_mann_whitney_auc_with_ties_and_multiplicities():
    scores = np.array([0.1, 0.4, 0.4, 0.35, 0.8, 0.4])
    labels = np.array([0, 0, 1, 1, 1, 0])
    assert weighted_auc(scores, labels)[0] == pytest.approx(roc_auc_score(labels, scores))
    counts = np.array([[2, 1, 1, 0, 3, 1]])
    expanded = np.repeat(np.arange(6), counts[0])
    assert weighted_auc(scores, labels, counts)[0] == pytest.approx(roc_auc_score(labels[expanded], scores[expanded]))
    assert np.isnan(weighted_auc(scores, labels, np.array([[1, 1, 0, 0, 0, 1]]))[0])  # no fake drawn


def test_stratified_counts_keep_every_stratum_size():
    strata = np.array(["a|0"] * 3 + ["a|1"] * 5 + ["b|1"] * 2)
    counts = stratified_counts(strata, 50, np.random.default_rng(0))
    assert counts.shape == (50, 10)
    assert (counts[:, :3].sum(1) == 3).all() and (counts[:, 3:8].sum(1) == 5).all() and (counts[:, 8:].sum(1) == 2).all()
    assert counts[:, :3].std() > 0  # really resampled


def test_drawn_seeds_average():
    per_seed = np.array([[1.0, 1.0], [3.0, 3.0]])  # (S = 2, B = 2)
    positions = np.array([[0, 0], [0, 1]])
    assert mean_over_drawn_seeds(per_seed, positions).tolist() == [1.0, 2.0]


def test_intervals_cover_the_population_auc_about_95_percent_of_the_time():
    """Binormal scores with a known population AUC: the stratified percentile interval of 40 reals
    and 40 fakes covers it in about 95 % of 200 simulated test sets (a collapsed or a far too wide
    interval would not)."""
    rng = np.random.default_rng(1)
    shift = 1.0
    truth = norm.cdf(shift / np.sqrt(2))
    labels = np.array([0] * 40 + [1] * 40)
    covered, widths = 0, []
    for _ in range(200):
        scores = rng.normal(size=80) + shift * labels
        reps = weighted_auc(scores, labels, stratified_counts(labels, 800, rng))
        interval = percentile_interval(float(weighted_auc(scores, labels)[0]), reps)
        covered += interval.covers(truth)
        widths.append(interval.high - interval.low)
    assert 0.88 <= covered / 200 <= 0.99
    # the width of a 95 % interval: about 2 x 1.96 x the AUC's standard error (Hanley & McNeil)
    assert 0.15 < np.mean(widths) < 0.25


def _videos(methods: dict[str, float], seeds=(0, 1, 2), n=30, seed=0) -> pd.DataFrame:
    """Per-video scores of a made-up grid: method -> separation of its fakes in each domain."""
    rng = np.random.default_rng(seed)
    rows = []
    for domain in ("ffpp-df", "ffpp-nt", "celebdf"):
        base = rng.normal(size=2 * n)
        for method, shift in methods.items():
            for s in seeds:
                jitter = np.random.default_rng(hash((method, s, domain)) % 2**32).normal(scale=0.3, size=2 * n)
                for i in range(2 * n):
                    label = int(i >= n)
                    rows.append(
                        {
                            "row": method,
                            "seed": s,
                            "condition": "clean",
                            "train_domains": "ffpp-df,ffpp-nt",
                            "video_id": f"{domain}/{i}",
                            "domain": domain,
                            "label": label,
                            "prob": base[i] + jitter[i] + shift * label,
                            "ffpp": domain.startswith("ffpp"),
                        }
                    )
    return pd.DataFrame(rows)


def test_interval_summary_contains_its_point_and_counts_videos():
    videos = _videos({"ftcn": 1.0, "sdr": 1.5})
    summary = interval_summary(videos, ["FF++ (avg)", "CDF"], n_boot=300).set_index(["method", "column"])
    for _, row in summary.iterrows():
        assert row["low"] <= row["mean"] <= row["high"] and row["high"] - row["low"] > 1
    cdf = videos[(videos["row"] == "ftcn") & (videos["domain"] == "celebdf")]
    expected = np.mean([roc_auc_score(g["label"], g["prob"]) for _, g in cdf.groupby("seed")])
    assert summary.loc[("ftcn", "CDF"), "mean"] == pytest.approx(100 * expected)
    assert summary.loc[("ftcn", "CDF"), ["n_real", "n_fake", "n_seeds"]].tolist() == [30, 30, 3]
    assert summary.loc[("ftcn", "FF++ (avg)"), "n_fake"] == 60
    table = with_intervals(summary.reset_index())
    assert list(table.columns) == ["method", "FF++ (avg)", "CDF"] and " [" in table.iloc[0]["CDF"]


def test_a_method_against_itself_differs_by_exactly_zero_and_a_better_one_is_distinguishable():
    videos = _videos({"ftcn": 0.5, "copy": 0.5, "sdr": 3.0})
    videos.loc[videos["row"] == "copy", "prob"] = videos.loc[videos["row"] == "ftcn", "prob"].to_numpy()
    diffs = paired_differences(videos, "ftcn", ["FF++ (avg)", "CDF"], n_boot=300).set_index(["method", "column"])
    same = diffs.loc[("copy", "CDF")]
    assert (same["diff"], same["low"], same["high"]) == (0.0, 0.0, 0.0) and not same["distinguishable"]
    assert diffs.loc[("sdr", "CDF"), "low"] > 0 and diffs.loc[("sdr", "CDF"), "distinguishable"]
    text = difference_table(diffs.reset_index()).set_index("method")
    assert text.loc["copy", "CDF"].endswith("(n.d.)") and not text.loc["sdr", "CDF"].endswith("(n.d.)")


def test_condition_drops_are_paired_with_the_clean_scores():
    clean = _videos({"ftcn": 2.0})
    shuffled = clean.assign(condition="temporal_shuffle", prob=clean["prob"] - 2.0 * clean["label"])
    same = clean.assign(condition="blur")
    drops = condition_drops(pd.concat([clean, shuffled, same]), ["temporal_shuffle", "blur"], n_boot=300)
    drops = drops.set_index("condition")
    assert drops.loc["blur", ["drop", "low", "high"]].tolist() == [0.0, 0.0, 0.0]
    assert drops.loc["temporal_shuffle", "low"] > 10


def test_text_forms():
    assert format_interval(Interval(0.843, 0.781, 0.902)) == "84.3 [78.1, 90.2]"
    assert format_interval(Interval(float("nan"), 0, 1)) == "n/a"
    assert describe_difference(Interval(0.03, -0.01, 0.07)) == "+3.0 [-1.0, +7.0]: not distinguishable from zero"
    assert describe_difference(Interval(0.03, 0.01, 0.07)) == "+3.0 [+1.0, +7.0]"
