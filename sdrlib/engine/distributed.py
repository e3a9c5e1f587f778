"""DDP without code changes: ``torchrun --nproc_per_node N -m sdrlib.cli train ...`` just works.

torchrun sets ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE``; when they are present the trainer
joins the process group (NCCL on GPUs, gloo on the CPU), wraps the model in
``DistributedDataParallel`` and gives each rank its share of every epoch's batches. Only rank 0
writes files. With no such variables everything runs in one process.

Each rank draws its own random streams (:func:`rank_seed`: TPA parameters, posterior noise,
dropout), while the weights start equal on every rank (seeded before the rank offset, then
broadcast by DDP). Modules outside the DDP wrapper that train with the model, such as the critic
of a critic-based MI loss, have their gradients averaged by :func:`average_gradients`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

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

    def all_gather(self, obj: Any) -> list[Any]:
        """``obj`` of every rank, in rank order (``[obj]`` without a process group)."""
        if not dist.is_initialized():
            return [obj]
        out: list[Any] = [None] * dist.get_world_size()
        dist.all_gather_object(out, obj)
        return out

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


#: Spacing of the per-rank seeds: far apart, so that no two ranks of one job share a stream.
RANK_SEED_STRIDE = 1_000_003


def rank_seed(seed: int, rank: int) -> int:
    """The seed of ``rank``'s random streams; rank 0 keeps ``seed`` (a one-process run is unchanged)."""
    return seed + rank * RANK_SEED_STRIDE


def average_gradients(params: Iterable[torch.nn.Parameter]) -> None:
    """Average the gradients of ``params`` over the ranks (one all-reduce of one flat buffer).

    For trainable modules the DDP wrapper does not hold (the critic of ``loss.mi_loss=jsd``);
    a missing gradient counts as zero, so every rank joins the collective. No-op without a
    process group.
    """
    if not dist.is_initialized():
        return
    params = [p for p in params if p.requires_grad]
    if not params:
        return
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= dist.get_world_size()
    offset = 0
    for p, g in zip(params, grads, strict=True):
        g.copy_(flat[offset : offset + g.numel()].view(g.shape))
        p.grad = g
        offset += g.numel()
