"""Interrupted and damaged runs: mid-epoch resume, a non-finite step, what ``last.json`` describes.

The micro data has 6 real and 6 fake training clips and a batch of 4 (2 + 2): 3 batches per
epoch, so stopping after step 4 interrupts the second epoch after its first batch.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch
from engine_helpers import micro_config
from safetensors.torch import load_file

from sdrlib.config import ConfigError
from sdrlib.engine import trainer
from sdrlib.engine.checkpoint import load_resume_state
from sdrlib.engine.trainer import train


def _same(a, b, where: str = "") -> None:
    """Exact equality of nested states (tensors, arrays, dicts, lists, numbers)."""
    if torch.is_tensor(a):
        assert torch.is_tensor(b) and torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def test_mid_epoch_resume_matches_the_uninterrupted_run(tmp_path):
    """Weights, optimizer, RNG, critic, both logs and the best checkpoint (issue 18, item 7); the
    critic of ``loss.mi_loss=jsd`` trains (issue 11, item 9: ``model.config`` raised ConfigError)."""
    config = micro_config("sdr", ("train.steps=7", "train.eval_every=3", "loss.mi_loss=jsd"))
    train(config, tmp_path / "full", progress=False)
    part = train(config, tmp_path / "split", progress=False, stop_after=4)
    assert not part.finished and part.steps_done == 4
    interrupted = load_resume_state(tmp_path / "split" / "checkpoints" / "last.resume.pt")
    assert (interrupted["epoch"], interrupted["pos"]) == (1, 1), "not mid-epoch: the test lost its point"
    with pytest.raises(ConfigError, match="resume"):
        train(config, tmp_path / "split", progress=False)
    resumed = train(config, tmp_path / "split", resume=True, progress=False)
    assert resumed.finished and resumed.best_step == train_result_best(tmp_path / "full")

    full, split = (
        load_resume_state(tmp_path / run / "checkpoints" / "last.resume.pt") for run in ("full", "split")
    )
    for key in ("model", "criterion", "optimizer", "scheduler", "rng", "step", "epoch", "pos", "best_step"):
        _same(full[key], split[key], key)
    critic = [k for k in full["criterion"] if "critic" in k]
    assert critic and any(not torch.equal(full["criterion"][k], interrupted["criterion"][k]) for k in critic)
    for name in ("last", "best"):
        a = load_file(tmp_path / "full" / "checkpoints" / f"{name}.safetensors")
        b = load_file(tmp_path / "split" / "checkpoints" / f"{name}.safetensors")
        _same(a, b, name)
        meta_a, meta_b = (
            json.loads((tmp_path / run / "checkpoints" / f"{name}.json").read_text())
            for run in ("full", "split")
        )
        meta_a.pop("created"), meta_b.pop("created")
        assert meta_a == meta_b, name
    for log in ("train_log.csv", "val_log.csv"):
        a, b = pd.read_csv(tmp_path / "full" / log), pd.read_csv(tmp_path / "split" / log)
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert list(pd.read_csv(tmp_path / "split" / "val_log.csv")["step"]) == [3, 6, 7]
    assert (pd.read_csv(tmp_path / "full" / "train_log.csv")["mi"] != 0).all()


def train_result_best(run_dir) -> int:
    return json.loads((run_dir / "summary.json").read_text())["best_step"]


def test_a_non_finite_step_never_reaches_the_weights(tmp_path, monkeypatch):
    """Issue 11, item 12: the update of a NaN step is skipped, then the run stops naming the step."""
    config = micro_config("ftcn", ("train.steps=4", "train.eval_every=2", "train.log_every=1"))
    train(config, tmp_path / "clean", progress=False, stop_after=2)
    built: list[torch.nn.Module] = []
    calls = {"n": 0}

    def create_model(*args, **kwargs):
        built.append(trainer_create(*args, **kwargs))
        return built[-1]

    class NaNAtStepThree(trainer.SDRLoss):
        def forward(self, output, labels, progress):
            losses = super().forward(output, labels, progress)
            calls["n"] += 1
            if calls["n"] == 3:
                losses["loss"] = losses["loss"] * float("nan")
            return losses

    trainer_create = trainer.create_start_model
    monkeypatch.setattr(trainer, "create_start_model", create_model)
    monkeypatch.setattr(trainer, "SDRLoss", NaNAtStepThree)
    with pytest.raises(FloatingPointError, match="non-finite at step 3"):
        train(config, tmp_path / "nan", progress=False)
    before = load_file(tmp_path / "clean" / "checkpoints" / "last.safetensors")
    params = dict(built[0].named_parameters())
    assert params
    for name, param in params.items():  # the BatchNorm buffers did see step 3's forward pass
        torch.testing.assert_close(param.detach(), before[name], rtol=0, atol=0, msg=name)


def test_last_checkpoint_describes_its_own_step(tmp_path, monkeypatch):
    """Issue 11, item 16: ``last.json`` held the best step's metrics and threshold."""
    monkeypatch.setattr(trainer, "_better", lambda candidate, best: best is None)  # best = first validation
    config = micro_config("ftcn", ("train.steps=5", "train.eval_every=2"))
    part = train(config, tmp_path / "run", progress=False, stop_after=3)
    last = json.loads((tmp_path / "run" / "checkpoints" / "last.json").read_text())
    val = pd.read_csv(tmp_path / "run" / "val_log.csv").set_index("step")
    # interrupted between validations: no metrics of its own, the threshold of the latest one
    assert last["step"] == 3 and last["metrics"] == {"val_step": 2}
    assert last["threshold"] == pytest.approx(val.loc[2, "threshold"])
    train(config, tmp_path / "run", resume=True, progress=False)
    assert part.steps_done == 3
    last = json.loads((tmp_path / "run" / "checkpoints" / "last.json").read_text())
    best = json.loads((tmp_path / "run" / "checkpoints" / "best.json").read_text())
    val = pd.read_csv(tmp_path / "run" / "val_log.csv").set_index("step")
    assert list(val.index) == [2, 4, 5] and best["step"] == 2 and last["step"] == 5
    assert last["metrics"]["val_step"] == 5
    for key in ("video_auc", "bce", "video_acc"):
        assert last["metrics"][key] == pytest.approx(val.loc[5, key], nan_ok=True), key
        assert best["metrics"][key] == pytest.approx(val.loc[2, key], nan_ok=True), key
    assert last["threshold"] == pytest.approx(val.loc[5, "threshold"])
    assert last["metrics"]["bce"] != pytest.approx(best["metrics"]["bce"])
