"""What each rank of the two-process DDP test runs (``torch.multiprocessing.spawn`` imports it).

The rank joins a gloo group on localhost, checks :func:`average_gradients` on hand-made gradients,
then trains the micro SDR config with the trainer's DDP path, recording what the test compares
across ranks: the initial weights, the weights and critic after training, and the global RNG
state when TPA first draws.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.distributed as dist
from engine_helpers import micro_config

DDP_OVERRIDES = ("train.steps=2", "train.eval_every=2", "loss.mi_loss=jsd")


def ddp_config():
    return micro_config("sdr", DDP_OVERRIDES)


def run_rank(rank: int, world_size: int, out: str, port: int) -> None:
    os.environ.update(
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world_size),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
    )
    torch.set_num_threads(1)
    import sdrlib.engine.trainer as trainer
    from sdrlib.engine.distributed import average_gradients
    from sdrlib.models.sdr import SDR

    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    # average_gradients on gradients that differ by rank; the bias gets none on rank 1
    torch.manual_seed(0)
    critic = torch.nn.Linear(3, 2)
    critic(torch.full((4, 3), float(rank + 1))).sum().backward()
    if rank == 1:
        critic.bias.grad = None
    local = [None if p.grad is None else p.grad.clone() for p in critic.parameters()]
    average_gradients(critic.parameters())
    averaged = [p.grad.clone() for p in critic.parameters()]

    record: dict = {}
    create = trainer.create_start_model

    def recording_create(*args, **kwargs):
        model = create(*args, **kwargs)
        record["model"], record["init"] = model, {k: v.clone() for k, v in model.state_dict().items()}
        return model

    class RecordingLoss(trainer.SDRLoss):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            record["criterion"] = self
            record["critic_init"] = {k: v.clone() for k, v in self.state_dict().items()}

    make_views = SDR.make_views

    def recording_views(self, x, generator=None):
        if self.training and "rng" not in record:
            record["rng"] = torch.get_rng_state()
        return make_views(self, x, generator)

    trainer.create_start_model, trainer.SDRLoss, SDR.make_views = recording_create, RecordingLoss, recording_views
    result = trainer.train(ddp_config(), Path(out) / "run", progress=False)
    torch.save(
        {
            "finished": result.finished,
            "local": local,
            "averaged": averaged,
            "init": record["init"],
            "params": {k: v.detach().clone() for k, v in record["model"].named_parameters()},
            "critic_init": record["critic_init"],
            "critic": record["criterion"].state_dict(),
            "rng_at_first_tpa": record["rng"],
        },
        Path(out) / f"rank{rank}.pt",
    )
    dist.destroy_process_group()
