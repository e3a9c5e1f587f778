"""Clips of consecutive frames from the face tracks of one or several dataset directories.

The one dataset class of the project: SynthDF directories written by ``sdr synth`` and real ones
written by the real-video pipeline look the same to it (``manifest.csv`` beside the tracks, see
``docs/data_format.md``). FTCN and SDR see consecutive frames (SDR_SPEC sections 3-4), so a clip
is a window of ``clip_len`` consecutive frames:

- ``mode="train"``: one random window per track per epoch, redrawn by :meth:`ClipDataset.set_epoch`
  and deterministic given ``(seed, epoch)``, so a resumed run sees the same windows;
- ``mode="eval"``: every non-overlapping window of every track (a trailing remainder shorter than
  a clip is dropped); video-level scores average them.

Real tracks are aligned with one transform per window of ``align_len`` frames (manifest column,
written by ``sdr prepare``): clips then never cross a window boundary, where the crop jumps
(:func:`sdrlib.data.tracks.clip_start_ranges`). SynthDF tracks have no such windows.

A track shorter than ``clip_len`` is padded by mirroring (frames 0 1 2 1 0 1 ...). Clips leave the
loader as uint8 ``(T, H, W, 3)``; :func:`sdrlib.data.normalize.clips_to_input` normalises them on
the device. The book chapter 'Data' walks through it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from sdrlib.data.domains import domain_mask
from sdrlib.data.manifest import read_manifest
from sdrlib.data.tracks import (
    clip_start_ranges,
    eval_clip_starts,
    mirror_indices,
    read_track,
    track_length,
)


def resize_clip(clip: torch.Tensor, size: int) -> torch.Tensor:
    """Resize uint8 frames to ``size`` x ``size`` (bilinear, antialiased when shrinking).

    Shape:
        clip: ``(T, H, W, 3)`` uint8 -> ``(T, size, size, 3)`` uint8.
    """
    if clip.shape[1] == size and clip.shape[2] == size:
        return clip
    x = clip.permute(0, 3, 1, 2).float()
    shrink = size < clip.shape[1] or size < clip.shape[2]
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=shrink)
    return x.round_().clamp_(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous()


class ClipDataset(Dataset):
    """Windows of ``clip_len`` consecutive frames from face tracks listed in manifests.

    Args:
        root: a dataset directory, or a list of them (their video ids must not collide).
        split: keep only this split (``train``, ``val``, ``test``); ``None`` keeps all.
        clip_len: frames per clip T.
        mode: ``"train"`` (one random window per track, see :meth:`set_epoch`) or ``"eval"``
            (all non-overlapping windows).
        domains: keep only these domains (each with the reals of its family, e.g. ``ffpp-df``
            brings FF++'s shared ``ffpp`` reals, see :mod:`sdrlib.data.domains`); ``None`` keeps all.
        seed: seed of the training windows and of the ``max_videos_per_class`` subset.
        size: resize frames to ``size`` x ``size`` on load; ``None`` keeps the stored size.
        max_videos_per_class: keep at most this many videos per label (a seeded random subset).

    Attributes:
        videos: one row per track: ``video_id``, ``track``, ``label``, ``domain``, ``split``,
            ``frames``, ``path`` (absolute), ``n_items``, and the manifest's other columns.
        labels: ``(len(self),)`` int64, the label of each item (for balanced sampling).
        item_track: ``(len(self),)`` int64, the row of ``videos`` each item comes from.

    Items are dicts: ``clip`` (uint8 tensor ``(T, H, W, 3)``), ``label`` (int), ``video_id``
    (str), ``domain`` (str), ``track`` (int), ``start`` (int, first frame), ``padded`` (bool, the
    track was shorter than the clip). They work with the default collate and worker processes;
    with ``persistent_workers=True`` the workers keep the epoch they started with, so call
    :meth:`set_epoch` before creating the loader's iterator and do not persist workers.
    """

    def __init__(
        self,
        root: str | Path | Sequence[str | Path],
        split: str | None = None,
        clip_len: int = 16,
        mode: Literal["train", "eval"] = "train",
        domains: Sequence[str] | None = None,
        seed: int = 0,
        size: int | None = None,
        max_videos_per_class: int | None = None,
    ) -> None:
        if mode not in ("train", "eval"):
            raise ValueError(f"mode must be 'train' or 'eval', got {mode!r}")
        if not isinstance(clip_len, int) or clip_len < 1:
            raise ValueError(f"clip_len must be a positive integer, got {clip_len!r}")
        if size is not None and (not isinstance(size, int) or size < 1):
            raise ValueError(f"size must be a positive integer or None, got {size!r}")
        if max_videos_per_class is not None and max_videos_per_class < 1:
            raise ValueError(f"max_videos_per_class must be >= 1 or None, got {max_videos_per_class}")
        self.clip_len = clip_len
        self.mode = mode
        self.seed = seed
        self.size = size
        self.epoch = 0
        table = self._load(root)
        table = self._select(table, split, domains, max_videos_per_class)
        self.videos = self._with_lengths(table)
        self._build_items()
        self.set_epoch(0)

    @staticmethod
    def _load(root: str | Path | Sequence[str | Path]) -> pd.DataFrame:
        roots = [root] if isinstance(root, (str, Path)) else list(root)
        if not roots:
            raise ValueError("ClipDataset needs at least one dataset directory")
        tables, owner = [], {}
        for directory in roots:
            directory = Path(directory).resolve()
            manifest = read_manifest(directory)
            for video_id in manifest["video_id"].unique():
                if video_id in owner:
                    raise ValueError(
                        f"video_id {video_id!r} appears in two dataset directories: {owner[video_id]} and "
                        f"{directory}; give them distinct ids"
                    )
                owner[video_id] = directory
            manifest["path"] = [str(directory / p) for p in manifest["path"]]
            tables.append(manifest)
        return pd.concat(tables, ignore_index=True)

    def _select(
        self,
        table: pd.DataFrame,
        split: str | None,
        domains: Sequence[str] | None,
        max_videos_per_class: int | None,
    ) -> pd.DataFrame:
        if split is not None:
            if split not in ("train", "val", "test"):
                raise ValueError(f"split must be train, val, test or None, got {split!r}")
            table = table[table["split"] == split]
        if domains is not None:
            if isinstance(domains, str):
                domains = [domains]
            unknown = sorted(set(domains) - set(table["domain"]))
            if unknown:
                raise ValueError(
                    f"domain(s) {unknown} not found (split={split}); available: {sorted(set(table['domain']))}"
                )
            # a manipulation domain includes the reals it shares with its family (FF++: "ffpp")
            table = table[domain_mask(table["domain"].tolist(), domains)]
        if table.empty:
            raise ValueError(f"no track left after selecting split={split!r}, domains={domains!r}")
        if max_videos_per_class is not None:
            rng = np.random.default_rng(self.seed)
            keep = []
            for label in sorted(table["label"].unique()):
                ids = np.array(sorted(table.loc[table["label"] == label, "video_id"].unique()))
                keep.extend(rng.permutation(ids)[:max_videos_per_class].tolist())
            table = table[table["video_id"].isin(keep)]
        return table.sort_values(["video_id", "track"], kind="stable").reset_index(drop=True)

    @staticmethod
    def _with_lengths(table: pd.DataFrame) -> pd.DataFrame:
        lengths = []
        stored = table["frames"] if "frames" in table.columns else pd.Series([pd.NA] * len(table))
        for path, frames in zip(table["path"], stored, strict=True):
            lengths.append(int(frames) if not pd.isna(frames) else track_length(path))
        table = table.copy()
        table["frames"] = np.asarray(lengths, dtype=np.int64)
        if (table["frames"] < 1).any():
            raise ValueError(f"empty face track: {table.loc[table['frames'] < 1, 'path'].iloc[0]}")
        return table

    def _align_lens(self) -> list[int | None]:
        """Each track's alignment window (``align_len`` column), None where unknown; warns when
        windows shorter than a clip make clips cross alignment boundaries."""
        if "align_len" not in self.videos.columns:
            return [None] * len(self.videos)
        values = [None if pd.isna(v) else int(v) for v in self.videos["align_len"]]
        lengths = self.videos["frames"].to_numpy()
        # a track of one window (align_len >= its length) has no boundary to cross
        short = sum(
            v is not None and v < self.clip_len and v < n for v, n in zip(values, lengths, strict=True)
        )
        if short:
            warnings.warn(
                f"{short} of {len(values)} tracks were aligned in windows shorter than a clip "
                f"({self.clip_len} frames; e.g. per-frame aligned crops): their clips cross alignment "
                "windows, whose transform changes may look like temporal artifacts",
                stacklevel=4,
            )
        return values

    def _build_items(self) -> None:
        lengths = self.videos["frames"].to_numpy()
        aligns = self._align_lens()
        if self.mode == "train":
            counts = np.ones(len(lengths), dtype=np.int64)
            # every allowed start range of every track, flattened: an epoch's draw is then one
            # searchsorted over the cumulative range sizes (no Python loop per track)
            ranges = [
                clip_start_ranges(int(n), self.clip_len, a) for n, a in zip(lengths, aligns, strict=True)
            ]
            per_track = np.array([len(r) for r in ranges], dtype=np.int64)
            flat = np.concatenate(ranges)
            self._range_low = flat[:, 0]
            self._range_end = np.cumsum(flat[:, 1] - flat[:, 0] + 1)  # cumulative start counts
            last = np.cumsum(per_track) - 1
            self._track_end = self._range_end[last]
            self._track_begin = np.concatenate([[0], self._track_end[:-1]])
            self._eval_start = None
        else:
            per_track = [
                eval_clip_starts(int(n), self.clip_len, a) for n, a in zip(lengths, aligns, strict=True)
            ]
            counts = np.array([len(starts) for starts in per_track], dtype=np.int64)
            self._eval_start = np.concatenate(per_track)
        self.videos["n_items"] = counts
        self.item_track = np.repeat(np.arange(len(lengths)), counts)
        self.labels = self.videos["label"].to_numpy(dtype=np.int64)[self.item_track]

    def set_epoch(self, epoch: int) -> None:
        """Draw this epoch's training windows (deterministic given ``seed`` and ``epoch``).

        Each track's clip starts uniformly among the starts whose clip fits in the track and, when
        the track's alignment windows are known (``align_len``), inside one window.
        """
        self.epoch = int(epoch)
        if self.mode == "eval":
            self.starts = self._eval_start
            return
        rng = np.random.default_rng([self.seed, self.epoch])
        draws = rng.random(len(self._track_end))
        sizes = self._track_end - self._track_begin
        # the k-th allowed start of a track, counted over all tracks' ranges in order
        position = self._track_begin + np.floor(draws * sizes).astype(np.int64)
        which = np.searchsorted(self._range_end, position, side="right")
        before = np.concatenate([[0], self._range_end[:-1]])[which]
        starts = self._range_low[which] + position - before
        self.starts = starts[self.item_track]

    def __len__(self) -> int:
        return len(self.item_track)

    def __getitem__(self, index: int) -> dict[str, Any]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"item {index} out of range for {len(self)} items")
        index = index % len(self)
        row = self.videos.iloc[self.item_track[index]]
        start = int(self.starts[index])
        length = int(row["frames"])
        if length >= self.clip_len:
            frames = read_track(row["path"], start, self.clip_len)
        else:
            frames = read_track(row["path"], 0, None)
        # A container may hold fewer frames than it announced: mirror what arrived.
        padded = frames.shape[0] < self.clip_len
        if padded:
            frames = frames[mirror_indices(frames.shape[0], self.clip_len)]
        clip = torch.from_numpy(np.ascontiguousarray(frames))
        if self.size is not None:
            clip = resize_clip(clip, self.size)
        return {
            "clip": clip,
            "label": int(row["label"]),
            "video_id": str(row["video_id"]),
            "domain": str(row["domain"]),
            "track": int(row["track"]),
            "start": start,
            "padded": bool(padded),
        }

    def __repr__(self) -> str:
        counts = self.videos.groupby("label")["video_id"].nunique().to_dict()
        return (
            f"ClipDataset({len(self)} clips of {self.clip_len} frames, mode={self.mode}, "
            f"{counts.get(0, 0)} real / {counts.get(1, 0)} fake videos, "
            f"domains={sorted(self.videos['domain'].unique())})"
        )
