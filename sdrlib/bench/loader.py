"""Throughput of the clip loader on a prepared directory: the ``sdr bench --data DIR`` command.

What feeds the GPU is :class:`~sdrlib.data.ClipDataset` in DataLoader worker processes: each item
reads a random window of ``clip_len`` consecutive frames from one face track (*decode*), pads and
resizes it when asked (*transform*: the loader's only per-clip work; TPA, the augmentation of SDR,
runs on the device inside the model, SDR_SPEC section 2.1), and the loader *collates* the clips
into a batch. The benchmark measures, on the given directory:

1. **windows**: the first window of a track against a random window of the same track (decode
   only), the figure random access is judged by (``docs/performance.md``);
2. **stages**: CPU milliseconds per clip of decode, transform and collation, timed in this process
   on one thread: ``1000 / total`` is what one CPU core delivers;
3. **workers**: clips/s through a DataLoader with 1, 2, ... all-cores worker processes, windows
   drawn as training draws them (one random window per track per epoch, epochs in sequence);
4. **needs**: how many workers feed a GPU target: the plain FTCN step on one H100 (158.5 clips/s,
   ``../shared/docs/PERFORMANCE.md``) divided by the trunk views per clip of the profile's model
   (K for ``sdr``).

CPU seconds of the process (``time.process_time``, decoder threads included) are used for the per-core figures because they hold on a shared
machine; the worker rows are wall-clock and need free cores. The book chapter 'Data' explains the
loader; ``docs/performance.md`` holds the measured tables.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler
from torch.utils.data._utils.collate import default_collate
from tqdm.auto import tqdm

from sdrlib.config import ConfigError
from sdrlib.data.clip_dataset import ClipDataset
from sdrlib.data.tracks import read_track
from sdrlib.engine.profiles import load_run_config
from sdrlib.models.sdr import SDRConfig
from sdrlib.utils.device import torch_threads

#: Clips/s of the plain-PyTorch FTCN training step (bf16 + channels_last_3d + torch.compile) on
#: one H100 80GB, ``../shared/docs/PERFORMANCE.md``: the fastest consumer the loader must feed.
H100_FTCN_CLIPS_PER_S = 158.5


@dataclass
class LoaderBenchConfig:
    """What to measure.

    Attributes:
        roots: prepared dataset directories (``manifest.csv`` beside the tracks).
        split: keep only this split (``None``: every track).
        clip_len: frames per clip.
        size: resize frames to ``size`` x ``size`` (``None``: as stored, what training does when
            the tracks already have the model's size).
        batch_size: clips per batch.
        workers: DataLoader worker counts to time (``None``: 1, 2 and all cores).
        batches: batches timed per worker count (at least 4 per worker are timed).
        stage_clips: clips timed stage by stage (and window pairs timed) in this process.
        profile: profile whose model and ``data.num_workers`` set the GPU target (``None``: the
            plain FTCN rate).
        target: clips/s to feed, overriding the profile's.
        seed: seed of the windows and of the order.
    """

    roots: list[str]
    split: str | None = None
    clip_len: int = 32
    size: int | None = None
    batch_size: int = 16
    workers: list[int] | None = None
    batches: int = 8
    stage_clips: int = 48
    profile: str | None = "paper"
    target: float | None = None
    seed: int = 0

    def validate(self) -> None:
        """Raise :class:`ConfigError` on an unusable setting."""
        if not self.roots:
            raise ConfigError("give at least one prepared dataset directory")
        for name in ("clip_len", "batch_size", "batches", "stage_clips"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.workers is not None and (not self.workers or min(self.workers) < 0):
            raise ConfigError(f"worker counts must be >= 0, got {self.workers}")
        if self.target is not None and not self.target > 0:
            raise ConfigError(f"target must be > 0 clips/s, got {self.target}")


def default_workers() -> list[int]:
    """1, 2 and all cores (each once)."""
    return sorted({1, min(2, os.cpu_count() or 1), os.cpu_count() or 1})


def gpu_target(profile: str | None) -> tuple[float, str, int | None]:
    """Clips/s the GPU consumes for ``profile``'s model, a description, and its ``num_workers``.

    SDR passes K perturbed views of each clip through the trunk, so it consumes clips at 1/K of
    the plain FTCN step's rate; the other models are given the FTCN rate (an upper bound).
    """
    if profile is None:
        return H100_FTCN_CLIPS_PER_S, "plain FTCN step on one H100", None
    config = load_run_config(profile)
    name = config.model.name
    views = int(config.model.options.get("K", SDRConfig.K)) if name == "sdr" else 1
    text = f"profile {profile}: {name}" + (f", K={views}" if name == "sdr" else "")
    text += f", H100 FTCN rate {H100_FTCN_CLIPS_PER_S} / {views} views per clip"
    return H100_FTCN_CLIPS_PER_S / views, text, config.data.num_workers


class EpochWindows(Dataset):
    """Item ``i`` is item ``i % n`` of a train-mode :class:`ClipDataset` in epoch ``i // n``: the
    windows training reads over many epochs, each track once per epoch."""

    def __init__(self, clips: ClipDataset) -> None:
        self.clips = clips

    def __len__(self) -> int:
        return 1 << 30  # endless: the sampler and the caller decide how many items are read

    def __getitem__(self, index: int) -> dict[str, Any]:
        epoch, item = divmod(int(index), len(self.clips))
        if self.clips.epoch != epoch:
            self.clips.set_epoch(epoch)
        return self.clips[item]


class EpochOrder(Sampler[int]):
    """Every item of each epoch once, in a seeded random order, epoch after epoch."""

    def __init__(self, items: int, seed: int) -> None:
        self.items, self.seed = items, seed

    def __iter__(self) -> Iterator[int]:
        epoch = 0
        while True:
            order = np.random.default_rng([self.seed, epoch]).permutation(self.items)
            yield from (epoch * self.items + order).tolist()
            epoch += 1


@dataclass
class WindowTimes:
    """Decode milliseconds (CPU, medians) of the first window and of a random window of the same
    track; ``ratio`` and ``ratio_p90``: median and 90th percentile of random / first per draw."""

    draws: int
    first_ms: float
    random_ms: float
    ratio: float
    ratio_p90: float


@dataclass
class StageTimes:
    """CPU milliseconds per clip of each stage, in this process (torch on one thread)."""

    clips: int
    decode_ms: float
    transform_ms: float
    collate_ms: float
    total_ms: float
    clips_per_core: float


@dataclass
class WorkerRow:
    """One DataLoader run: wall-clock clips/s after the first batch."""

    workers: int
    clips: int
    wall_s: float
    clips_per_s: float
    per_worker: float


@dataclass
class LoaderReport:
    """Everything one loader benchmark measured."""

    config: dict[str, Any]
    machine: str
    tracks: int
    frame_size: str
    windows: WindowTimes
    stages: StageTimes
    rows: list[WorkerRow]
    target: float
    target_text: str
    profile_workers: int | None
    workers_needed: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _cpu_ms(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """``fn(*args)`` and the CPU milliseconds of this process it took."""
    start = time.process_time()
    out = fn(*args)
    return out, (time.process_time() - start) * 1e3


def time_windows(clips: ClipDataset, count: int, seed: int) -> WindowTimes:
    """Median decode CPU ms of window 0 and of a window at a uniformly random start of the same
    track (any start, not only those training draws inside alignment windows: the harder case)."""
    rng = np.random.default_rng(seed)
    paths = clips.videos["path"].tolist()
    lengths = clips.videos["frames"].to_numpy()
    firsts, randoms = [], []
    for _ in range(count):
        track = int(rng.integers(len(paths)))
        frames = min(clips.clip_len, int(lengths[track]))
        start = int(rng.integers(0, int(lengths[track]) - frames + 1))
        firsts.append(_cpu_ms(read_track, paths[track], 0, frames)[1])
        randoms.append(_cpu_ms(read_track, paths[track], start, frames)[1])
    ratios = np.asarray(randoms) / np.maximum(np.asarray(firsts), 1e-6)
    return WindowTimes(
        draws=count,
        first_ms=round(statistics.median(firsts), 3),
        random_ms=round(statistics.median(randoms), 3),
        ratio=round(float(np.median(ratios)), 3),
        ratio_p90=round(float(np.quantile(ratios, 0.9)), 3),
    )


def time_stages(clips: ClipDataset, count: int, batch_size: int, seed: int) -> StageTimes:
    """CPU ms per clip: decode (``read_track``), the rest of ``__getitem__``, and collation."""
    data = EpochWindows(clips)
    order = iter(EpochOrder(len(clips), seed))
    indices = [next(order) for _ in range(count)]
    decode, whole, items = [], [], []
    for index in indices:
        epoch, item = divmod(index, len(clips))
        if clips.epoch != epoch:
            clips.set_epoch(epoch)
        row = clips.videos.iloc[clips.item_track[item]]
        start = int(clips.starts[item])
        n = clips.clip_len if int(row["frames"]) >= clips.clip_len else None
        decode.append(_cpu_ms(read_track, row["path"], start if n else 0, n)[1])
        out, ms = _cpu_ms(data.__getitem__, index)
        whole.append(ms)
        items.append(out)
    collate = []
    for i in range(0, len(items) - batch_size + 1, batch_size):
        collate.append(_cpu_ms(default_collate, items[i : i + batch_size])[1] / batch_size)
    if not collate:
        collate.append(_cpu_ms(default_collate, items)[1] / len(items))
    decode_ms = statistics.median(decode)
    transform_ms = max(0.0, statistics.median(whole) - decode_ms)
    collate_ms = statistics.median(collate)
    total = decode_ms + transform_ms + collate_ms
    return StageTimes(
        clips=count,
        decode_ms=round(decode_ms, 3),
        transform_ms=round(transform_ms, 3),
        collate_ms=round(collate_ms, 3),
        total_ms=round(total, 3),
        clips_per_core=round(1e3 / total, 1),
    )


def time_workers(clips: ClipDataset, workers: int, batch_size: int, batches: int, seed: int) -> WorkerRow:
    """Wall clips/s of a DataLoader with ``workers`` processes, after its first batch."""
    batches = max(batches, 4 * workers)
    loader = DataLoader(
        EpochWindows(clips),
        batch_size=batch_size,
        sampler=EpochOrder(len(clips), seed),
        num_workers=workers,
    )
    iterator = iter(loader)
    next(iterator)  # worker start-up and the first batch are not timed
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    wall = time.perf_counter() - start
    del iterator
    rate = batches * batch_size / wall
    return WorkerRow(
        workers=workers,
        clips=batches * batch_size,
        wall_s=round(wall, 3),
        clips_per_s=round(rate, 1),
        per_worker=round(rate / max(workers, 1), 1),
    )


def run_loader_bench(cfg: LoaderBenchConfig, progress: bool = True) -> LoaderReport:
    """Measure windows, stages and worker rows on ``cfg.roots`` (see the module docstring)."""
    cfg.validate()
    target, text, profile_workers = gpu_target(cfg.profile)
    if cfg.target is not None:
        target, text = cfg.target, "given with --target"
    clips = ClipDataset(
        [Path(r) for r in cfg.roots],
        split=cfg.split,
        clip_len=cfg.clip_len,
        mode="train",
        seed=cfg.seed,
        size=cfg.size,
    )
    workers = cfg.workers or default_workers()
    with torch_threads(1):
        sample = clips[0]["clip"]
        windows = time_windows(clips, cfg.stage_clips, cfg.seed)
        stages = time_stages(clips, cfg.stage_clips, cfg.batch_size, cfg.seed)
    rows = []
    for count in tqdm(workers, desc="loader workers", disable=not progress, leave=False):
        rows.append(time_workers(clips, count, cfg.batch_size, cfg.batches, cfg.seed + 1))
    notes = []
    if clips.videos["frames"].min() < cfg.clip_len:
        notes.append(f"some tracks are shorter than {cfg.clip_len} frames: they are read whole and mirrored")
    return LoaderReport(
        config=asdict(cfg),
        machine=f"{platform.machine()} CPU, {os.cpu_count()} cores, torch {torch.__version__}",
        tracks=len(clips.videos),
        frame_size="x".join(str(d) for d in sample.shape),
        windows=windows,
        stages=stages,
        rows=rows,
        target=round(target, 1),
        target_text=text,
        profile_workers=profile_workers,
        workers_needed=math.ceil(target / stages.clips_per_core),
        notes=notes,
    )


def format_loader_table(report: LoaderReport) -> str:
    """The report as Markdown tables and one-line findings."""
    s, w = report.stages, report.windows
    lines = [
        f"{report.tracks} tracks, clips {report.frame_size} (T, H, W, C); {report.machine}",
        "",
        "| stage (one core) | CPU ms/clip |",
        "|---|---|",
        f"| decode (read_track) | {s.decode_ms:.2f} |",
        f"| transform (padding, resize) | {s.transform_ms:.2f} |",
        f"| collation | {s.collate_ms:.2f} |",
        f"| **total** | **{s.total_ms:.2f}** ({s.clips_per_core:.1f} clips/s per core) |",
        "",
        f"windows ({w.draws} draws, decode CPU ms, medians): first {w.first_ms:.2f}, random "
        f"{w.random_ms:.2f}; random / first of the same track: median {w.ratio:.2f}, "
        f"90th percentile {w.ratio_p90:.2f}",
        "",
        "| workers | clips | wall s | clips/s | clips/s per worker |",
        "|---|---|---|---|---|",
    ]
    for row in report.rows:
        lines.append(
            f"| {row.workers} | {row.clips} | {row.wall_s:.2f} | {row.clips_per_s:.1f} | {row.per_worker:.1f} |"
        )
    lines.append("")
    lines.append(
        f"GPU target {report.target:.1f} clips/s ({report.target_text}): {report.workers_needed} "
        f"worker(s) at {s.clips_per_core:.1f} clips/s per core"
        + (
            f"; the profile sets data.num_workers = {report.profile_workers}"
            if report.profile_workers is not None
            else ""
        )
    )
    lines.extend(report.notes)
    return "\n".join(lines)
