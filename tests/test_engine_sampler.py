"""BalancedBatchSampler: balance, determinism, oversampling, DDP shards, resume offsets."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from engine_helpers import micro_config

from sdrlib.config import ConfigError
from sdrlib.engine.sampler import BalancedBatchSampler

LABELS = [0, 0, 0] + [1] * 7  # 3 reals, 7 fakes (FF++-like imbalance)


def test_every_batch_is_half_real_half_fake_and_the_minority_is_oversampled():
    sampler = BalancedBatchSampler(LABELS, batch_size=4, seed=0)
    batches = sampler.epoch_batches(0)
    # 7 fakes, 2 per batch: 3 batches (the 7th fake waits for another epoch)
    assert len(batches) == len(sampler) == 3
    labels = np.asarray(LABELS)
    for batch in batches:
        assert len(batch) == 4 and sorted(labels[batch].tolist()) == [0, 0, 1, 1]
    fakes = Counter(i for b in batches for i in b if labels[i] == 1)
    reals = Counter(i for b in batches for i in b if labels[i] == 0)
    assert max(fakes.values()) == 1 and len(fakes) == 6  # no fake twice in an epoch
    assert sorted(reals.values()) == [2, 2, 2]  # each real exactly twice


def test_order_is_a_function_of_seed_and_epoch():
    a, b = BalancedBatchSampler(LABELS, 4, seed=1), BalancedBatchSampler(LABELS, 4, seed=1)
    assert a.epoch_batches(3) == b.epoch_batches(3)
    assert a.epoch_batches(3) != a.epoch_batches(4)
    assert a.epoch_batches(3) != BalancedBatchSampler(LABELS, 4, seed=2).epoch_batches(3)


def test_resume_offset_skips_the_batches_already_done():
    sampler = BalancedBatchSampler(LABELS, 4, seed=0)
    full = sampler.epoch_batches(2)
    sampler.set_epoch(2, start=1)
    assert list(sampler) == full[1:] and len(sampler) == len(full) - 1


def test_ranks_get_disjoint_equal_shares_of_the_same_epoch():
    labels = [0] * 8 + [1] * 8
    whole = BalancedBatchSampler(labels, 4, seed=5).epoch_batches(0)
    shares = [BalancedBatchSampler(labels, 4, 5, rank=r, world_size=2).epoch_batches(0) for r in (0, 1)]
    assert shares[0] == whole[0::2] and shares[1] == whole[1::2]
    assert len(shares[0]) == len(shares[1]) == 2
    # an odd number of batches: ranks still agree on the count (a collective per step)
    odd = [BalancedBatchSampler(LABELS, 4, 0, rank=r, world_size=2).epoch_batches(0) for r in (0, 1)]
    assert len(odd[0]) == len(odd[1]) == 1


def test_plain_shuffle_covers_every_item_once_per_epoch():
    sampler = BalancedBatchSampler(LABELS, batch_size=5, seed=0, balanced=False)
    batches = sampler.epoch_batches(0)
    assert [len(b) for b in batches] == [5, 5] and sorted(i for b in batches for i in b) == list(range(10))


def test_odd_balanced_batch_size_is_refused_not_silently_shrunk():
    with pytest.raises(ValueError, match="even"):
        BalancedBatchSampler(LABELS, batch_size=5)
    with pytest.raises(ConfigError, match="even"):
        micro_config("ftcn", ("data.batch_size=5",))
    assert micro_config("ftcn", ("data.batch_size=5", "train.balanced=false")).data.batch_size == 5
    with pytest.raises(ValueError, match="both real"):
        BalancedBatchSampler([1, 1], 2)
