"""DDP without code changes: ``torchrun --nproc_per_node N -m sdrlib.cli train ...`` just works.

torchrun sets ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE``; when they are present the trainer
joins the process group (NCCL on GPUs, gloo on the CPU), wraps the model in
``DistributedDataParallel`` and gives each rank its share of every epoch's batches. Only rank 0
writes files. With no such variables everything runs in one process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass
class DistContext:
    """Where this process sits in a (possibly single-process) job."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    initialized_here: bool = False

    @property
    def enabled(self) -> bool:
        return self.world_size > 1 or dist.is_initialized()

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if dist.is_initialized():
            dist.barrier()

    def close(self) -> None:
        if self.initialized_here and dist.is_initialized():
            dist.destroy_process_group()


def init_distributed(device_type: str, force: bool = False) -> DistContext:
    """Join the process group described by torchrun's environment variables.

    Args:
        device_type: ``"cuda"`` selects NCCL (and the local GPU), anything else gloo.
        force: join even with ``WORLD_SIZE=1`` (tests exercise the DDP path this way).
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if dist.is_initialized():
        return DistContext(dist.get_rank(), int(os.environ.get("LOCAL_RANK", "0")), dist.get_world_size())
    if world_size <= 1 and not force:
        return DistContext()
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29531")
    backend = "nccl" if device_type == "cuda" else "gloo"
    if device_type == "cuda":
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend=backend, rank=rank, world_size=world_size)
    return DistContext(rank, local_rank, world_size, initialized_here=True)
