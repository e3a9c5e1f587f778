"""Balanced real/fake batches, deterministic per (seed, epoch), shardable across DDP ranks.

Every training batch holds as many real as fake clips (the smaller class is oversampled), which
keeps BCE calibrated on data sets whose fakes outnumber reals four to one (FF++: four
manipulations per original). The batch list of an epoch is a pure function of the seed and the
epoch, so an interrupted run resumes at the exact batch it stopped at.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler


class BalancedBatchSampler(Sampler[list[int]]):
    """Yields lists of dataset indices; see the module docstring.

    Args:
        labels: label (0 real, 1 fake) of every dataset item.
        batch_size: items per batch (even when ``balanced``: half real, half fake).
        seed: base seed; the epoch's order comes from ``(seed, epoch)``.
        balanced: ``False`` gives plain shuffled batches.
        rank, world_size: DDP shard; each rank gets every ``world_size``-th batch and all ranks
            get the same number of batches.
    """

    def __init__(
        self,
        labels: Sequence[int],
        batch_size: int,
        seed: int = 0,
        balanced: bool = True,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        self.labels = np.asarray(labels, dtype=int)
        if self.labels.size == 0:
            raise ValueError("cannot sample batches from an empty training set")
        if balanced and not ({0, 1} <= set(self.labels.tolist())):
            raise ValueError(
                "balanced sampling needs both real (0) and fake (1) training clips; "
                f"found labels {sorted(set(self.labels.tolist()))}"
            )
        if balanced and (batch_size < 2 or batch_size % 2):
            raise ValueError(
                "balanced batches hold as many reals as fakes: batch_size must be even and >= 2, "
                f"got {batch_size}"
            )
        self.batch_size = batch_size
        self.seed = seed
        self.balanced = balanced
        self.rank, self.world_size = rank, world_size
        self.epoch = 0
        self.start = 0

    def set_epoch(self, epoch: int, start: int = 0) -> None:
        """Select the epoch and skip its first ``start`` batches (used when resuming)."""
        self.epoch, self.start = epoch, start

    def epoch_batches(self, epoch: int) -> list[list[int]]:
        """All batches of ``epoch`` for this rank."""
        rng = np.random.default_rng([self.seed, epoch])
        if self.balanced:
            half = self.batch_size // 2
            real = np.flatnonzero(self.labels == 0)
            fake = np.flatnonzero(self.labels == 1)
            n = max(len(real), len(fake))
            n = max(half, n - n % half)
            reals, fakes = _cycle_permutations(real, n, rng), _cycle_permutations(fake, n, rng)
            batches = []
            for i in range(0, n, half):
                batch = np.concatenate([reals[i : i + half], fakes[i : i + half]])
                batches.append(rng.permutation(batch).tolist())
        else:
            order = rng.permutation(len(self.labels))
            usable = max(self.batch_size, len(order) - len(order) % self.batch_size)
            order = _cycle_permutations(order, usable, rng)
            batches = [order[i : i + self.batch_size].tolist() for i in range(0, usable, self.batch_size)]
        per_rank = max(1, len(batches) // self.world_size)
        batches = (batches * self.world_size)[: per_rank * self.world_size]
        return batches[self.rank :: self.world_size]

    def __iter__(self) -> Iterator[list[int]]:
        yield from self.epoch_batches(self.epoch)[self.start :]

    def __len__(self) -> int:
        return len(self.epoch_batches(self.epoch)) - self.start


def _cycle_permutations(items: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` items drawn by concatenating fresh permutations of ``items`` (oversampling)."""
    out = []
    total = 0
    while total < n:
        perm = rng.permutation(items)
        out.append(perm)
        total += len(perm)
    return np.concatenate(out)[:n]
