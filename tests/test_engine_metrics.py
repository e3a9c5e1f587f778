"""Metrics against scikit-learn on hand-made cases; video-level aggregation; thresholds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from sdrlib.engine.metrics import (
    choose_threshold,
    detection_metrics,
    domain_rows,
    equal_error_rate,
    per_domain_metrics,
    video_probabilities,
    video_probability,
    video_scores,
)


def _clips(rows):
    return pd.DataFrame(rows, columns=["video_id", "label", "domain", "prob"])


def test_video_with_many_clips_counts_once():
    # video "a" (real) has 10 clips with high scores, the others one clip each.
    rows = [("a", 0, "d", 0.9)] * 10 + [("b", 0, "d", 0.1), ("c", 1, "d", 0.8), ("e", 1, "d", 0.95)]
    clips = _clips(rows)
    m = detection_metrics(clips)
    videos = video_scores(clips)
    assert m.n_videos == 4 and m.n_clips == 13
    assert m.video_auc == pytest.approx(roc_auc_score([0, 0, 1, 1], [0.9, 0.1, 0.8, 0.95]))
    assert m.video_auc == pytest.approx(0.75)
    # clip AUC weighs video "a" ten times: it differs from the video AUC
    assert m.clip_auc == pytest.approx(roc_auc_score(clips["label"], clips["prob"]))
    assert m.clip_auc != pytest.approx(m.video_auc)
    assert videos.set_index("video_id").loc["a", "n_clips"] == 10


def test_mean_of_clip_probabilities_and_sklearn_agreement():
    rng = np.random.default_rng(0)
    rows = []
    for v in range(30):
        label = v % 2
        for _ in range(rng.integers(1, 5)):
            rows.append((f"v{v}", label, "d", float(np.clip(rng.normal(0.4 + 0.2 * label, 0.2), 0, 1))))
    clips = _clips(rows)
    videos = clips.groupby("video_id").agg(label=("label", "first"), prob=("prob", "mean"))
    m = detection_metrics(clips, threshold=0.5)
    assert m.video_auc == pytest.approx(roc_auc_score(videos["label"], videos["prob"]))
    assert m.video_ap == pytest.approx(average_precision_score(videos["label"], videos["prob"]))
    assert m.video_acc == pytest.approx(((videos["prob"] >= 0.5).astype(int) == videos["label"]).mean())


def test_ids_that_collide_across_labels_are_rejected():
    # FF++ "000_003" under two folders must never be merged into one video
    clips = _clips([("000_003", 1, "df", 0.9), ("000_003", 0, "real", 0.1)])
    with pytest.raises(ValueError, match="unique"):
        video_scores(clips)


def test_eer_known_values():
    assert equal_error_rate(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])) == pytest.approx(0.0)
    # one real above one fake: FPR = FNR = 0.5 at the crossing
    assert equal_error_rate(np.array([0, 0, 1, 1]), np.array([0.1, 0.7, 0.6, 0.9])) == pytest.approx(0.5)
    assert np.isnan(equal_error_rate(np.array([1, 1]), np.array([0.3, 0.4])))


def test_threshold_separates_validation_scores():
    labels = np.array([0, 0, 0, 1, 1, 1])
    scores = np.array([0.01, 0.02, 0.03, 0.04, 0.05, 0.06])
    t = choose_threshold(labels, scores)
    assert 0.03 < t < 0.04
    assert ((scores >= t) == labels.astype(bool)).all()
    assert choose_threshold(np.array([1, 1]), np.array([0.2, 0.3])) == 0.5


def test_per_domain_uses_own_reals_or_the_family_reals():
    rows = [
        ("r1", 0, "synth-a", 0.1),
        ("f1", 1, "synth-a", 0.9),  # domain with its own reals
        ("r2", 0, "ffpp", 0.2),
        ("r3", 0, "ffpp", 0.6),  # FF++ shared reals (family domain)
        ("f2", 1, "ffpp-df", 0.7),
        ("f3", 1, "ffpp-nt", 0.3),
    ]
    table = per_domain_metrics(_clips(rows)).set_index("domain")
    assert table.loc["synth-a", "video_auc"] == pytest.approx(1.0)
    assert table.loc["synth-a", "n_videos"] == 2
    # ffpp-df has no reals of its own: scored against the two FF++ reals, never synth-a's
    assert table.loc["ffpp-df", "n_real"] == 2
    assert table.loc["ffpp-df", "video_auc"] == pytest.approx(1.0)
    assert table.loc["ffpp-nt", "video_auc"] == pytest.approx(roc_auc_score([0, 0, 1], [0.2, 0.6, 0.3]))
    assert "all" in table.index and "ffpp" not in table.index


# A hand-made validation set that no threshold separates: reals 0.1 0.2 0.45 0.6, fakes 0.3 0.5
# 0.55 0.7 0.9. "fake if score >= t", t over the scores from the top: J = TPR - FPR is 0.2 (t=0.9),
# 0.4 (0.7), 0.15 (0.6), 0.35 (0.55), 0.55 (0.5), 0.3 (0.45), 0.5 (0.3), 0.25 (0.2): the best cut is
# between 0.45 and 0.5, so the threshold is their midpoint 0.475 (the highest TPR, t=0.3, is not
# the answer). AUC: 16 of the 20 real/fake pairs are ordered: 0.8. EER: the ROC runs up the vertical
# FPR = 1/4 from FNR = 0.6 to 0.2, crossing FNR = FPR there: 0.25. ACC at 0.475: 7 of 9.
HAND_LABELS = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1])
HAND_SCORES = np.array([0.1, 0.2, 0.45, 0.6, 0.3, 0.5, 0.55, 0.7, 0.9])


def test_youden_threshold_auc_and_eer_known_answers():
    assert choose_threshold(HAND_LABELS, HAND_SCORES) == pytest.approx(0.475)
    # order of the rows does not matter
    perm = np.random.default_rng(0).permutation(len(HAND_LABELS))
    assert choose_threshold(HAND_LABELS[perm], HAND_SCORES[perm]) == pytest.approx(0.475)
    clips = _clips([(f"v{i}", int(y), "d", float(s)) for i, (y, s) in enumerate(zip(HAND_LABELS, HAND_SCORES, strict=True))])
    m = detection_metrics(clips, threshold=0.475)
    assert m.video_auc == pytest.approx(0.8)
    assert m.video_eer == pytest.approx(0.25)
    assert m.video_acc == pytest.approx(7 / 9)  # the real at 0.6 and the fake at 0.3 are wrong
    assert (m.n_real, m.n_fake, m.n_videos) == (4, 5, 9)


def test_one_rule_turns_clips_into_a_video_score():
    """Mean of each face track's clips, then the highest track (issue 11, item 14)."""
    # video "m": track 0 (real face) clips 0.1 0.2 0.3, track 1 (swapped face) clips 0.8 0.6
    assert video_probability([0.1, 0.2, 0.3, 0.8, 0.6], [0, 0, 0, 1, 1]) == pytest.approx(0.7)
    assert video_probability([0.2, 0.4]) == pytest.approx(0.3)
    rows = [("m", 1, "dfdc", p, t) for p, t in [(0.1, 0), (0.2, 0), (0.3, 0), (0.8, 1), (0.6, 1)]]
    rows += [("s", 0, "dfdc", 0.5, 0)]
    clips = pd.DataFrame(rows, columns=["video_id", "label", "domain", "prob", "track"])
    videos = video_scores(clips).set_index("video_id")
    assert videos.loc["m", "prob"] == pytest.approx(0.7)  # not the mean of all five clips, 0.4
    assert videos.loc["m", "n_tracks"] == 2 and videos.loc["m", "n_clips"] == 5
    assert video_probabilities(clips["video_id"], clips["track"], clips["prob"]).to_dict() == pytest.approx(
        {"m": 0.7, "s": 0.5}
    )
    # without a track column every clip belongs to one track: the spec's mean clip probability
    assert video_scores(clips.drop(columns="track")).set_index("video_id").loc["m", "prob"] == pytest.approx(0.4)


def test_domain_rows_are_the_reals_a_domain_is_scored_against():
    table = _clips([("r1", 0, "ffpp", 0.1), ("r2", 0, "celebdf", 0.2), ("r3", 0, "ffpp-df", 0.3),
                    ("f1", 1, "ffpp-df", 0.9), ("f2", 1, "celebdf", 0.8), ("f3", 1, "dfdc", 0.7)])
    assert set(domain_rows(table, "ffpp-df")["video_id"]) == {"r1", "r3", "f1"}
    assert set(domain_rows(table, "celebdf")["video_id"]) == {"r2", "f2"}
    assert set(domain_rows(table, "dfdc")["video_id"]) == {"f3"}  # no reals: no AUC, never all reals
