"""Robustness perturbations: each one's invariants, reproducibility, and the cached evaluation grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from engine_helpers import MICRO_MODELS, MICRO_RUN

from sdrlib.config import ConfigError
from sdrlib.engine import runs as engine_runs
from sdrlib.engine.profiles import Profile
from sdrlib.engine.runs import Condition, cached_evaluation
from sdrlib.experiments import RunSpec
from sdrlib.studies.perturbations import (
    PERTURBATIONS,
    block_wise,
    blur,
    color_noise,
    compression,
    contrast,
    perturb,
    perturbation_condition,
    perturbation_transform,
    pixelation,
    saturation,
)
from sdrlib.studies.robustness import run_robustness


def _clips(b: int = 2, t: int = 4, size: int = 32, seed: int = 0) -> torch.Tensor:
    """Smooth random clips (low-pass noise) in [0.1, 0.9]."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand((b * t, 3, size // 4, size // 4), generator=g)
    frames = torch.nn.functional.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)
    return (0.1 + 0.8 * frames).reshape(b, t, 3, size, size).transpose(1, 2).contiguous()


def _high_freq(x: torch.Tensor) -> float:
    """Mean squared difference between horizontal neighbours: texture energy."""
    return float((x[..., 1:] - x[..., :-1]).pow(2).mean())


@pytest.mark.parametrize("name", list(PERTURBATIONS))
def test_every_perturbation_keeps_shape_range_and_level_zero_is_identity(name):
    x = _clips()
    assert perturb(x, name, 0) is x
    for level in (1, 5):
        y = perturb(x, name, level, torch.Generator().manual_seed(0))
        assert y.shape == x.shape and y.dtype == x.dtype
        assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0
        assert not torch.equal(y, x) or name == "blur"  # blur of 32-px clips at level 1 is sub-pixel


@pytest.mark.parametrize("name", list(PERTURBATIONS))
def test_perturbations_get_stronger_with_the_level(name):
    x = _clips(size=64)
    errors = [
        float((perturb(x, name, lvl, torch.Generator().manual_seed(1)) - x).pow(2).mean()) for lvl in (1, 5)
    ]
    assert errors[1] > errors[0]


def test_saturation_keeps_luma_and_zero_gives_grey():
    x = _clips()
    weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1, 1)
    grey = saturation(x, 0.0)
    torch.testing.assert_close(grey[:, 0], grey[:, 1])
    torch.testing.assert_close(grey[:, 1], grey[:, 2])
    torch.testing.assert_close((saturation(x, 0.4) * weights).sum(1), (x * weights).sum(1))


def test_contrast_scales_values():
    x = _clips()
    torch.testing.assert_close(contrast(x, 0.6), x * 0.6)


def test_blocks_are_grey_squares_in_new_places_every_frame():
    x = torch.zeros(1, 3, 3, 224, 224)
    y = block_wise(x, 16, torch.Generator().manual_seed(0))
    grey = (y[0, 0] - 128 / 255).abs() < 1e-6  # (T, H, W)
    assert 0 < grey[0].sum() <= 16 * 64  # up to 16 blocks of 8 x 8 pixels
    assert not torch.equal(grey[0], grey[1])
    more = block_wise(x, 80, torch.Generator().manual_seed(0))
    assert ((more[0, 0] - 128 / 255).abs() < 1e-6).sum() > grey.sum()


def test_noise_is_zero_mean_fresh_per_frame_and_seeded():
    x = torch.full((2, 3, 4, 32, 32), 0.5)
    a = color_noise(x, 0.005, torch.Generator().manual_seed(3))
    b = color_noise(x, 0.005, torch.Generator().manual_seed(3))
    c = color_noise(x, 0.005, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert abs(float((a - x).mean())) < 0.01
    # luma noise std is sqrt(variance) * 255 / 219 (DeeperForensics' studio-range YCbCr)
    luma = (a - x).mul(torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1, 1)).sum(1)
    assert float(luma.std()) == pytest.approx(0.005**0.5 * 255 / 219, rel=0.1)
    assert not torch.equal(a[:, :, 0], a[:, :, 1])


def test_blur_and_pixelation_remove_texture_and_keep_flat_images():
    flat = torch.full((1, 3, 2, 32, 32), 0.3)
    torch.testing.assert_close(blur(flat, 21), flat)
    torch.testing.assert_close(pixelation(flat, 4), flat)
    x = _clips(size=224)
    for fn, weak, strong in ((blur, 7, 21), (pixelation, 2, 6)):
        assert _high_freq(x) > _high_freq(fn(x, weak)) > _high_freq(fn(x, strong))


def test_h264_is_close_at_low_crf_worse_at_high_crf_and_deterministic():
    x = _clips(b=1, t=6, size=30)
    low, high = compression(x, 18), compression(x, 40)
    # 4:2:0 chroma alone costs about 0.03 on these random colours, whatever the CRF
    assert float((low - x).abs().mean()) < 0.04
    assert float((high - x).abs().mean()) > float((low - x).abs().mean()) + 0.02
    assert torch.equal(compression(x, 30), compression(x, 30))
    odd = _clips(b=1, t=3, size=31)  # 4:2:0 needs even sides: padded, then cropped
    assert compression(odd, 30).shape == odd.shape


def test_transform_is_reproducible_over_a_sequence_of_batches():
    batches = [_clips(seed=s) for s in range(2)]
    first = perturbation_transform("noise", 3, seed=7)
    second = perturbation_transform("noise", 3, seed=7)
    outs = [first(b) for b in batches]
    assert all(torch.equal(o, second(b)) for o, b in zip(outs, batches, strict=True))
    assert not torch.equal(outs[0], perturbation_transform("noise", 3, seed=8)(batches[0]))


def test_bad_inputs_fail_with_clear_errors():
    with pytest.raises(ValueError, match="unknown perturbation"):
        perturb(_clips(), "fog", 1)
    with pytest.raises(ValueError, match="level must be an integer in 0..5"):
        perturbation_transform("blur", 6)
    with pytest.raises(ValueError, match=r"shape \(B, 3, T, H, W\)"):
        perturb(torch.rand(3, 4, 8, 8), "blur", 1)
    with pytest.raises(TypeError, match="float tensor"):
        perturb(torch.zeros(1, 3, 2, 8, 8, dtype=torch.uint8), "contrast", 1)


def test_cached_evaluation_refuses_a_transform_without_its_own_label(tmp_path):
    profile = Profile(name="micro", run=MICRO_RUN, models=MICRO_MODELS, experiments={})
    config = RunSpec("ftcn", "ftcn").config(profile, 0)
    with pytest.raises(ConfigError, match="'clean' means no transform"):
        cached_evaluation(tmp_path, config, None, Condition("clean", lambda x: x))
    with pytest.raises(ConfigError, match="'clean' means no transform"):
        cached_evaluation(tmp_path, config, None, Condition("blur", None))
    with pytest.raises(ConfigError, match="plain label"):
        cached_evaluation(tmp_path, config, None, Condition("a/b", lambda x: x))


def test_run_robustness_scores_the_table2_runs_and_then_reads_the_cache(tmp_path, monkeypatch):
    run = dict(MICRO_RUN)
    run["train"] = {"steps": 2, "eval_every": 0, "log_every": 1}
    profile = Profile(
        name="micro",
        run=run,
        models=MICRO_MODELS,
        experiments={
            "table2_models": ["ftcn"],
            "table1_models": ["ftcn"],
            "ffpp_domains": ["ffpp-df", "ffpp-nt"],
            "cross_domains": [],
        },
    )
    seen = []  # (transform, clip scores) of every evaluation, in the order of the conditions
    evaluate = engine_runs.evaluate_checkpoint

    def recording(*args, **kwargs):
        result = evaluate(*args, **kwargs)
        seen.append((kwargs["transform"], result.clips))
        return result

    monkeypatch.setattr(engine_runs, "evaluate_checkpoint", recording)
    result = run_robustness(
        profile, tmp_path / "r", perturbations=["contrast", "noise"], levels=[1, 5], progress=False
    )
    long = result.long
    # the perturbations reach the model: contrast multiplies by its level's factor, noise adds
    # something, and every perturbed evaluation scores the clips differently from the clean one
    assert [t is None for t, _ in seen] == [True, False, False, False, False]
    probe = _clips()
    torch.testing.assert_close(seen[1][0](probe), probe * 0.85)
    torch.testing.assert_close(seen[2][0](probe), probe * 0.35)
    assert all(not torch.equal(t(probe), probe) for t, _ in seen[3:])
    clean = seen[0][1]["prob"].to_numpy()
    for _, clips in seen[1:]:
        assert clips["video_id"].tolist() == seen[0][1]["video_id"].tolist()
        assert np.abs(clips["prob"].to_numpy() - clean).max() > 1e-6, "a perturbation left every score as clean"
    assert set(long["perturbation"]) == {"clean", "contrast", "noise"}
    assert set(long.loc[long["perturbation"] != "clean", "level"]) == {1, 5}
    assert set(long["test_domain"]) == {"all", "ffpp-df", "ffpp-nt"}
    assert list(result.table.columns) == ["method", "clean", "contrast", "noise", "avg"]
    assert (tmp_path / "r" / "table.md").is_file()
    assert pd.read_csv(tmp_path / "r" / "results.csv").shape[0] == len(long)
    # contrast at level 1 leaves a ranking nearly intact; the AUC is a valid number either way
    assert long["video_auc"].between(0, 1).all()

    # the seeds are the profile's experiments.seeds, those of the table2 runs, as for every grid
    profile.experiments["seeds"] = [1]
    seeded = run_robustness(profile, tmp_path / "r4", perturbations=["contrast"], levels=[1], progress=False)
    assert set(seeded.long["seed"]) == {1}
    del profile.experiments["seeds"]

    def no_work(*args, **kwargs):
        raise AssertionError("a cached run or evaluation was recomputed")

    monkeypatch.setattr(engine_runs, "train", no_work)
    monkeypatch.setattr(engine_runs, "evaluate_checkpoint", no_work)
    again = run_robustness(
        profile, tmp_path / "r2", perturbations=["contrast", "noise"], levels=[1, 5], progress=False
    )
    pd.testing.assert_frame_equal(again.table, result.table)
    with pytest.raises(ValueError, match="not in the table2 grid"):
        run_robustness(profile, tmp_path / "r3", models=["sdr"], progress=False)
    with pytest.raises(ValueError, match="levels are 1..5"):
        run_robustness(profile, tmp_path / "r3", levels=[0], progress=False)


def test_perturbation_table_matches_deeperforensics_levels():
    # DeeperForensics-1.0 perturbation/add_distortion_to_video.py, levels 1..5
    assert PERTURBATIONS["saturation"].values == (0.4, 0.3, 0.2, 0.1, 0.0)
    assert PERTURBATIONS["contrast"].values == (0.85, 0.725, 0.6, 0.475, 0.35)
    assert PERTURBATIONS["block"].values == (16, 32, 48, 64, 80)
    assert PERTURBATIONS["noise"].values == (0.001, 0.002, 0.005, 0.01, 0.05)
    assert PERTURBATIONS["blur"].values == (7, 9, 13, 17, 21)
    assert PERTURBATIONS["pixelation"].values == (2, 3, 4, 5, 6)
    assert PERTURBATIONS["compression"].values == (30, 32, 35, 38, 40)
    condition = perturbation_condition("blur", 3, 0)
    assert condition.label == "robust-blur-3-s0" and condition.fields == {"perturbation": "blur", "level": 3, "value": 13}


def test_cli_rejects_bad_levels_and_names_before_any_training(capsys):
    from sdrlib.cli import main as sdr_main

    assert sdr_main(["robustness", "--levels", "1,x"]) == 2
    assert "comma-separated integers" in capsys.readouterr().err
    assert sdr_main(["robustness", "--levels", "7"]) == 2
    assert "level must be an integer in 0..5" in capsys.readouterr().err
    assert sdr_main(["robustness", "--perturbations", "fog"]) == 2
    assert "unknown perturbation 'fog'" in capsys.readouterr().err


def test_one_checkpoint_without_threshold_under_perturbations(tmp_path, capsys):
    """``--checkpoint``: any checkpoint directory (a converted one has no threshold) on a data set."""
    import json

    from engine_helpers import micro_config

    from sdrlib.cli import main as sdr_main
    from sdrlib.engine.checkpoint import CheckpointMeta, save_checkpoint
    from sdrlib.engine.data import resolve_roots
    from sdrlib.models import create_model

    config = micro_config("ftcn")
    data = ",".join(str(r) for r in resolve_roots(config.data))
    torch.manual_seed(0)
    model = create_model("ftcn", **MICRO_MODELS["ftcn"])
    meta = CheckpointMeta("ftcn", MICRO_MODELS["ftcn"], threshold=None, clip_len=4)
    save_checkpoint(tmp_path / "ckpt" / "checkpoints" / "best", model, meta)
    argv = ["robustness", "--checkpoint", str(tmp_path / "ckpt"), "--data", data, "--no-progress"]
    assert (
        sdr_main([*argv, "--perturbations", "contrast,blur", "--levels", "1,5", "--out", str(tmp_path / "r")])
        == 0
    )
    assert "| ckpt " in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "r" / "table.csv")
    assert list(table.columns) == ["method", "clean", "contrast", "blur", "avg"]
    means = {c: float(table.iloc[0][c].split(" [")[0]) for c in ("clean", "contrast", "blur", "avg")}
    assert 0 <= means["clean"] <= 100 and " [" in table.iloc[0]["avg"]
    assert means["avg"] == pytest.approx((means["contrast"] + means["blur"]) / 2, abs=0.11)
    long = pd.read_csv(tmp_path / "r" / "results.csv")
    assert len(long[long["test_domain"] == "all"]) == 1 + 2 * 2 and long["threshold"].isna().all()
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())["levels"] == [1, 5]
    assert sdr_main(["robustness", "--checkpoint", str(tmp_path / "ckpt")]) == 2  # no --data
    assert sdr_main([*argv, "--levels", "0"]) == 2
