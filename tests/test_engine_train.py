"""The training engine end to end on the CPU: smoke run, DDP path, validation threshold (resume,
non-finite steps and the last checkpoint: test_engine_resume.py; two DDP ranks: test_engine_ddp.py)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from engine_helpers import micro_config
from safetensors.torch import load_file

from sdrlib.cli import main as sdr_main
from sdrlib.engine.checkpoint import load_checkpoint
from sdrlib.engine.data import open_split
from sdrlib.engine.inference import predict_clips
from sdrlib.engine.metrics import choose_threshold, video_scores
from sdrlib.engine.trainer import train


@pytest.fixture(scope="module")
def sdr_run(tmp_path_factory):
    config = micro_config("sdr")
    out = tmp_path_factory.mktemp("run") / "sdr"
    return config, train(config, out, progress=False)


def test_training_writes_checkpoints_logs_and_summary(sdr_run):
    config, result = sdr_run
    run = result.run_dir
    assert result.finished and result.steps_done == config.train.steps
    for name in [
        "config.yaml",
        "summary.json",
        "train_log.csv",
        "val_log.csv",
        "checkpoints/best.safetensors",
        "checkpoints/best.json",
        "checkpoints/last.resume.pt",
    ]:
        assert (run / name).exists(), name
    assert any((run / "tb").iterdir())
    meta = json.loads((run / "checkpoints" / "best.json").read_text())
    assert meta["model_name"] == "sdr" and meta["clip_len"] == config.data.clip_len
    log = pd.read_csv(run / "train_log.csv")
    assert list(log["step"]) == list(range(1, config.train.steps + 1))
    assert {"loss", "bce", "mi", "con", "lr"} <= set(log.columns)
    assert np.isfinite(log["loss"]).all()


def test_learning_rate_follows_the_known_schedule(sdr_run):
    config, result = sdr_run
    lr = result.train_log["lr"].to_numpy()
    # by hand: 4 steps, warm-up fraction 0.25 (one step at 1/2), then cosine from 1e-3 to 1e-5
    # over 3 steps: 1e-3 (1 + cos 0)/2, 1e-5 + 0.99e-3 (1 + cos pi/3)/2, ... (1 + cos 2pi/3)/2
    assert (config.train.steps, config.optim.warmup_frac, config.optim.lr) == (4, 0.25, 1e-3)
    np.testing.assert_allclose(lr, [5e-4, 1e-3, 7.525e-4, 2.575e-4], rtol=1e-9)


def test_threshold_comes_from_validation(sdr_run):
    config, result = sdr_run
    model, meta = load_checkpoint(result.best_checkpoint)
    val = open_split(config.data, "val", "eval", config.data.train_domains)
    videos = video_scores(predict_clips(model, val, torch.device("cpu"), progress=False))
    expected = choose_threshold(videos["label"].to_numpy(), videos["prob"].to_numpy())
    assert meta.threshold == pytest.approx(expected, abs=1e-6)
    assert meta.step == result.best_step
    assert meta.metrics["video_auc"] == pytest.approx(result.val_metrics["video_auc"])


# channels_last_3d weights whose gradients come back with other strides make DDP copy them
@pytest.mark.filterwarnings("error:Grad strides do not match")
def test_ddp_code_path_world_size_one(tmp_path, monkeypatch):
    monkeypatch.setenv("MASTER_PORT", str(29500 + (hash(str(tmp_path)) % 500)))
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    monkeypatch.setenv("LOCAL_RANK", "0")
    config = micro_config("ftcn", ("train.steps=2",))
    result = train(config, tmp_path / "ddp", progress=False, force_ddp=True)
    assert result.finished
    assert not torch.distributed.is_initialized()  # the process group was closed again
    train(config, tmp_path / "plain", progress=False)
    a = load_file(tmp_path / "ddp" / "checkpoints" / "last.safetensors")
    b = load_file(tmp_path / "plain" / "checkpoints" / "last.safetensors")
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6, msg=key)


def test_cli_train_evaluate_diagnose(tmp_path, capsys, monkeypatch):
    config = micro_config("ftcn", ("train.steps=2",))
    from sdrlib.engine.data import resolve_roots

    root = resolve_roots(config.data)[0]
    cfg_path = tmp_path / "run.yaml"
    import yaml

    cfg_path.write_text(yaml.safe_dump({"run": config.to_dict()}))
    assert sdr_main(["train", "--config", str(cfg_path), "--out", str(tmp_path / "r"), "--no-progress"]) == 0
    assert sdr_main(["train", "--config", str(cfg_path), "--out", str(tmp_path / "r"), "--no-progress"]) == 2
    assert "already holds a run" in capsys.readouterr().err
    code = sdr_main(
        [
            "evaluate",
            "--checkpoint",
            str(tmp_path / "r"),
            "--data",
            str(root),
            "--out",
            str(tmp_path / "ev"),
            "--roc",
            "--no-progress",
        ]
    )
    assert code == 0
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    domains = {row["domain"] for row in metrics["per_domain"]}
    assert {"all", "ffpp-df", "ffpp-nt", "celebdf"} <= domains
    assert (tmp_path / "ev" / "roc.png").stat().st_size > 1000
    assert (
        sdr_main(
            [
                "diagnose",
                "--checkpoint",
                str(tmp_path / "r"),
                "--data",
                str(root),
                "--out",
                str(tmp_path / "dg"),
                "--no-progress",
            ]
        )
        == 0
    )
    table = pd.read_csv(tmp_path / "dg" / "diagnose.csv")
    assert {
        "clean",
        "temporal_shuffle",
        "frame_repeat",
        "appearance_remap",
        "blur",
        "temporal reliance",
        "spatial reliance",
    } <= set(table["condition"])
    assert sdr_main(["evaluate", "--checkpoint", str(tmp_path / "missing"), "--data", str(root)]) == 2


def test_validation_and_evaluation_use_the_profiles_eval_workers(tmp_path, monkeypatch):
    """Validation during training and ``evaluate_checkpoint`` (the cached evaluation of the
    experiments) decode with worker processes: ``data.eval_workers``, else ``data.num_workers``."""
    import sdrlib.engine.inference as inference
    from sdrlib.engine.config import DataConfig
    from sdrlib.engine.data import eval_workers, resolve_roots
    from sdrlib.engine.evaluate import evaluate_checkpoint

    assert eval_workers(DataConfig(num_workers=3)) == 3
    assert eval_workers(DataConfig(num_workers=3, eval_workers=0)) == 0
    assert eval_workers({"num_workers": 5}) == 5 and eval_workers({}) == 0
    seen = []

    class Recording(inference.DataLoader):
        def __init__(self, *args, **kwargs):
            seen.append(kwargs["num_workers"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(inference, "DataLoader", Recording)
    config = micro_config("ftcn", ("train.steps=2", "train.eval_every=2", "data.eval_workers=2"))
    train(config, tmp_path / "r", progress=False)
    assert seen == [2], "one validation, with the profile's two workers"
    result = evaluate_checkpoint(tmp_path / "r", resolve_roots(config.data), device="cpu", progress=False)
    assert seen == [2, 2] and len(result.clips) > 0
    evaluate_checkpoint(
        tmp_path / "r", resolve_roots(config.data), device="cpu", num_workers=0, progress=False
    )
    assert seen[-1] == 0
