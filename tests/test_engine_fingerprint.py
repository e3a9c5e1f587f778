"""Cache keys that follow the data: runs on prepared directories and cached evaluations.

Issue 11, item 17 (the run key hashed dataset paths, not their content) and issue 18, item 9
(cached evaluations were keyed by domains and condition only).
"""

from __future__ import annotations

import csv
import shutil

import numpy as np
import pytest
import torch
from engine_helpers import micro_config
from safetensors.torch import load_file, save_file

from sdrlib.engine import runs as engine_runs
from sdrlib.engine.data import resolve_roots
from sdrlib.engine.fingerprint import data_fingerprint
from sdrlib.engine.runs import CLEAN, cached_evaluation
from sdrlib.engine.trainer import train


@pytest.fixture
def prepared(tmp_path):
    """A copy of the micro SynthDF set as a prepared directory, and a config that trains on it."""
    root = tmp_path / "data"
    shutil.copytree(resolve_roots(micro_config().data)[0], root)
    config = micro_config("ftcn", ("train.steps=1",))
    config.data.roots, config.data.synth = [str(root)], None
    return root, config


def _rewrite_track(root, split: str) -> None:
    """Prepare one track of ``split`` again: same shape, new pixels, a later write."""
    with (root / "manifest.csv").open() as handle:
        row = next(r for r in csv.DictReader(handle) if r["split"] == split)
    path = root / row["path"]
    before = path.stat().st_mtime_ns
    np.save(path, 255 - np.load(path))
    assert path.stat().st_mtime_ns != before


def test_run_key_follows_the_prepared_data(prepared):
    root, config = prepared
    key = config.fingerprint()
    assert config.fingerprint() == key and data_fingerprint([root]) == data_fingerprint([root])
    _rewrite_track(root, "train")
    assert config.fingerprint() != key  # re-prepared: a new run, never the old data's
    key = config.fingerprint()
    manifest = root / "manifest.csv"
    manifest.write_text(manifest.read_text().replace("\n", "\r\n"))
    assert config.fingerprint() != key
    assert data_fingerprint([root / "absent"]) != data_fingerprint([root])


def test_cached_evaluation_is_keyed_by_the_checkpoint_and_the_test_data(prepared, tmp_path, monkeypatch):
    root, config = prepared
    run_dir = tmp_path / "run"
    train(config, run_dir, progress=False)
    calls = []
    evaluate = engine_runs.evaluate_checkpoint

    def counting(*args, **kwargs):
        calls.append(1)
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(engine_runs, "evaluate_checkpoint", counting)
    first = cached_evaluation(run_dir, config, None, CLEAN, progress=False)
    cached_evaluation(run_dir, config, None, CLEAN, progress=False)
    assert len(calls) == 1
    weights = run_dir / "checkpoints" / "best.safetensors"
    state = load_file(weights)
    name = next(k for k, v in state.items() if v.is_floating_point() and v.ndim > 1)
    state[name] = state[name] + 0.5
    save_file(state, weights)  # e.g. the run retrained in place
    cached_evaluation(run_dir, config, None, CLEAN, progress=False)
    assert len(calls) == 2
    _rewrite_track(root, "test")
    again = cached_evaluation(run_dir, config, None, CLEAN, progress=False)
    assert len(calls) == 3
    assert list(again.table.columns) == list(first.table.columns)
    assert torch.isfinite(torch.tensor(again.table["clip_auc"].to_numpy(dtype=float))).all()
