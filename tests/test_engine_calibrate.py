"""``sdr calibrate``: the training rule on a validation split, its provenance, and what refuses.

A checkpoint without a threshold is simulated by removing the threshold of a micro training run:
calibrating it on the run's own validation split must give back exactly the threshold training
chose (same rule, same videos, same weights).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from engine_helpers import micro_config

from sdrlib.cli import main as sdr_main
from sdrlib.engine.calibrate import RULE, calibrate_checkpoint
from sdrlib.engine.checkpoint import load_checkpoint
from sdrlib.engine.data import resolve_roots
from sdrlib.engine.trainer import train

DOMAINS = "ffpp-df,ffpp-nt"  # the micro run's train_domains: its validation videos


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    config = micro_config("ftcn", ("train.steps=2", "train.eval_every=2"))
    out = tmp_path_factory.mktemp("calibrate") / "run"
    result = train(config, out, progress=False)
    return out, result.threshold, ",".join(str(r) for r in resolve_roots(config.data))


def _without_threshold(run, folder):
    """A copy of ``run``'s best checkpoint as ``sdr convert`` leaves one: no threshold."""
    target = folder / "checkpoints"
    target.mkdir(parents=True)
    for suffix in (".json", ".safetensors"):
        shutil.copy(run / "checkpoints" / f"best{suffix}", target / f"best{suffix}")
    data = json.loads((target / "best.json").read_text())
    data["threshold"] = None
    (target / "best.json").write_text(json.dumps(data))
    return folder


def test_calibration_reproduces_the_training_threshold_and_records_its_source(trained, tmp_path, capsys):
    run, trained_threshold, data = trained
    bare = _without_threshold(run, tmp_path / "bare")
    argv = ["calibrate", "--checkpoint", str(bare), "--data", data, "--domains", DOMAINS, "--no-progress"]
    assert sdr_main([*argv, "--dry-run"]) == 0
    assert "dry run" in capsys.readouterr().out and load_checkpoint(bare)[1].threshold is None
    assert sdr_main(argv) == 0
    out = capsys.readouterr().out
    assert "val videos" in out and "written to" in out
    _, meta = load_checkpoint(bare)
    assert meta.threshold == pytest.approx(trained_threshold, abs=1e-12)
    record = meta.calibration
    assert record["split"] == "val" and record["rule"] == RULE and record["previous_threshold"] is None
    assert record["data"] == [str(Path(p).resolve()) for p in data.split(",")]
    assert (
        record["n_videos"] == record["n_real"] + record["n_fake"]
        and record["n_real"] > 0
        and record["n_fake"] > 0
    )
    assert record["domains"] and record["date"][:2] == "20"
    assert meta.source == {}  # the weights' provenance is untouched
    # a calibrated checkpoint gives verdicts, and says where its threshold came from
    from sdrlib.cli.predict import threshold_source

    assert threshold_source(meta, None).startswith("calibrated on val of ")


def test_calibration_refuses_what_it_cannot_do(trained, tmp_path, capsys):
    run, trained_threshold, data = trained
    copy = tmp_path / "trained"
    shutil.copytree(run / "checkpoints", copy / "checkpoints")
    base = ["calibrate", "--checkpoint", str(copy), "--data", data, "--no-progress"]
    assert sdr_main(base) == 2  # a threshold training chose is not replaced silently
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pass --force" in err
    assert sdr_main([*base, "--domains", DOMAINS, "--force"]) == 0
    assert load_checkpoint(copy)[1].calibration["previous_threshold"] == pytest.approx(trained_threshold)
    bare = _without_threshold(run, tmp_path / "bare")
    reals = tmp_path / "reals"  # the same data set without its fakes
    shutil.copytree(data, reals)
    manifest = pd.read_csv(reals / "manifest.csv")
    manifest[manifest["label"] == 0].to_csv(reals / "manifest.csv", index=False)
    assert sdr_main(["calibrate", "--checkpoint", str(bare), "--data", str(reals), "--no-progress"]) == 2
    assert "needs real and fake videos: the val split has 6 real and 0 fake" in capsys.readouterr().err
    with pytest.raises(ValueError, match="test split"):
        calibrate_checkpoint(bare, data.split(","), split="test")
    with pytest.raises(SystemExit):
        sdr_main(["calibrate", "--checkpoint", str(bare), "--data", data, "--split", "test"])
    assert sdr_main(["calibrate", "--checkpoint", str(tmp_path / "absent"), "--data", data]) == 2


def test_evaluate_and_diagnose_accept_a_checkpoint_without_threshold(trained, tmp_path, capsys):
    run, _, data = trained
    bare = _without_threshold(run, tmp_path / "bare")
    argv = [
        "evaluate",
        "--checkpoint",
        str(bare),
        "--data",
        data,
        "--out",
        str(tmp_path / "eval"),
        "--no-progress",
    ]
    assert sdr_main(argv) == 0
    assert "no threshold" in capsys.readouterr().out
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    overall = metrics["per_domain"][0]
    assert metrics["threshold"] is None and overall["video_acc"] != overall["video_acc"]  # nan
    assert 0.0 <= overall["video_auc"] <= 1.0
    assert sdr_main(["diagnose", "--checkpoint", str(bare), "--data", data, "--no-progress"]) == 0
    assert "spatial reliance" in capsys.readouterr().out
