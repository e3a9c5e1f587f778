"""The MI-estimator playground (sdrlib.mi.playground)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from sdrlib.mi import CLUB, JSD, NWJ, CorrelatedGaussian, InfoNCE
from sdrlib.mi.playground import (
    ESTIMATORS,
    build_estimator,
    plot_estimate_curves,
    plot_estimate_sweep,
    run_estimator,
)
from sdrlib.utils import torch_threads


def test_build_every_estimator():
    kinds = {name: type(build_estimator(name, 3)) for name in ESTIMATORS}
    assert kinds == {"infonce": InfoNCE, "nwj": NWJ, "jsd": JSD, "club": CLUB}
    with pytest.raises(ValueError, match="unknown estimator"):
        build_estimator("mine", 2)


def test_run_is_seeded_and_restores_threads():
    threads = torch.get_num_threads()
    sampler = CorrelatedGaussian.from_mi(1.0, dim=2)
    a = run_estimator("infonce", sampler, steps=5, batch_size=16, eval_batches=3)
    b = run_estimator("infonce", sampler, steps=5, batch_size=16, eval_batches=3)
    assert torch.get_num_threads() == threads
    assert a.curve.shape == (5,) and a.values.shape == (3,)
    np.testing.assert_array_equal(a.curve, b.curve)
    assert a.kind == "lower" and (a.values <= math.log(16) + 1e-5).all()
    assert a.stderr > 0


def test_torch_threads_restores_on_error():
    threads = torch.get_num_threads()
    with pytest.raises(RuntimeError), torch_threads(1):
        assert torch.get_num_threads() == 1
        raise RuntimeError
    assert torch.get_num_threads() == threads


def test_plots():
    sampler = CorrelatedGaussian.from_mi(0.5, dim=2)
    runs = {
        name: run_estimator(name, sampler, steps=3, batch_size=8, eval_batches=2)
        for name in ("infonce", "club")
    }
    assert isinstance(plot_estimate_curves(runs, sampler, 8, smooth=2), Figure)
    assert isinstance(plot_estimate_sweep({"infonce": {0.5: runs["infonce"]}}, 2, 8), Figure)
    with pytest.raises(ValueError, match="at least one"):
        plot_estimate_curves({}, sampler, 8)
