"""DDP with two CPU processes (gloo on localhost): what the ranks share and what they must not.

Issue 11, item 9 (the critic's gradients were never averaged) and item 10 (every rank drew the
same random streams); issue 18, item 8 (the DDP path ran with one process only). The ranks start
from an empty cache, so they also meet a SynthDF set that is not generated yet (rank 0 makes it).
"""

from __future__ import annotations

import os
import socket

import pytest
import torch
import torch.multiprocessing as mp
from ddp_helpers import ddp_config, run_rank

from sdrlib.engine.checkpoint import load_resume_state
from sdrlib.engine.run_state import load_result
from sdrlib.models import create_model
from sdrlib.utils import seed_everything

WORLD = 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    cache = os.environ.get("SDR_CACHE")
    os.environ["SDR_CACHE"] = str(out / "cache")  # empty: the ranks start without their SynthDF set
    try:
        mp.spawn(run_rank, args=(WORLD, str(out), _free_port()), nprocs=WORLD, join=True)
    finally:
        if cache is None:
            os.environ.pop("SDR_CACHE")
        else:
            os.environ["SDR_CACHE"] = cache
    return out, [torch.load(out / f"rank{r}.pt", weights_only=False) for r in range(WORLD)]


def test_gradients_outside_the_ddp_wrapper_are_averaged(ranks):
    _, states = ranks
    weight = [s["local"][0] for s in states]
    bias = [states[0]["local"][1], torch.zeros_like(states[0]["local"][1])]  # rank 1 had none
    for state in states:
        torch.testing.assert_close(state["averaged"][0], (weight[0] + weight[1]) / 2)
        torch.testing.assert_close(state["averaged"][1], (bias[0] + bias[1]) / 2)
    assert not torch.equal(weight[0], weight[1])


def test_ranks_start_equal_to_one_process_and_stay_equal(ranks):
    out, states = ranks
    assert all(s["finished"] for s in states)
    config = ddp_config()
    seed_everything(config.train.seed)
    single = create_model(config.model.name, **config.model.options).state_dict()
    for state in states:
        for key, value in single.items():
            torch.testing.assert_close(state["init"][key], value, rtol=0, atol=0, msg=key)
    # after training: the model (DDP) and the critic (averaged by hand) are the same on both ranks
    for key, value in states[0]["params"].items():
        torch.testing.assert_close(states[1]["params"][key], value, rtol=0, atol=0, msg=key)
    critic = [k for k in states[0]["critic"] if "critic" in k]
    assert critic
    for key in critic:
        torch.testing.assert_close(
            states[1]["critic"][key], states[0]["critic"][key], rtol=0, atol=0, msg=key
        )
    assert any(not torch.equal(states[0]["critic"][k], states[0]["critic_init"][k]) for k in critic), (
        "trained"
    )
    # only rank 0 writes: one summary, saying two ranks trained
    assert load_result(out / "run").steps_done == config.train.steps
    assert '"world_size": 2' in (out / "run" / "summary.json").read_text()


def test_each_rank_draws_its_own_tpa_parameters(ranks):
    out, states = ranks
    config = ddp_config()
    model = create_model(config.model.name, **config.model.options).train()
    probe = torch.zeros(2, 3, 4, 16, 16)
    views = []
    for state in states:
        torch.set_rng_state(state["rng_at_first_tpa"])
        views.append(model.tpa.views(probe))
    assert not torch.equal(views[0], views[1])
    # and each rank resumes its own streams: the resume file keeps one state per rank
    saved = load_resume_state(out / "run" / "checkpoints" / "last.resume.pt")["rng"]
    assert isinstance(saved, list) and len(saved) == WORLD
    assert not torch.equal(saved[0]["torch"], saved[1]["torch"])
