"""The records a preparation run leaves in its dataset directory, and the files made from them.

``prepare.json`` (the settings that shaped the tracks, :func:`check_settings`), one progress
record per video in ``progress/<run>.jsonl`` (:func:`load_progress`), the end marker of each shard
in ``shards/`` (:class:`Shard`, :func:`merge_shards`), and what is written from the records:
``manifest.csv`` and ``failures.csv`` (:func:`write_outputs`). The run itself is
:func:`sdrlib.data.prepare.runner.prepare`; docs/data_format.md describes the files.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sdrlib.data.manifest import MANIFEST_NAME, write_manifest
from sdrlib.data.preparation import SETTINGS_FILE
from sdrlib.data.prepare.items import VideoItem
from sdrlib.utils.io import atomic_open, atomic_write_json

PROGRESS_DIR = "progress"
SHARDS_DIR = "shards"
FAILURES_NAME = "failures.csv"
FAILURE_COLUMNS = ("video_id", "source", "error_type", "message")
_UNSET = object()  # a key one of two settings lacks: differs from any value, None included


@dataclasses.dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (0-based, as SLURM's ``$SLURM_ARRAY_TASK_ID`` with ``--array=0-(n-1)``)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(f"shard {self.index}/{self.count}: need 0 <= i < n (0-based index)")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/8"`` -> ``Shard(2, 8)``."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not match:
            raise ValueError(f"shard {text!r} must look like i/n, e.g. 0/8")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def tag(self) -> str:
        return f"shard-{self.index}-of-{self.count}"

    def select(self, items: Sequence[VideoItem]) -> list[VideoItem]:
        """Every ``count``-th item starting at ``index`` (items are sorted by id first)."""
        return sorted(items, key=lambda item: item.video_id)[self.index :: self.count]


def check_settings(out_dir: Path, settings: dict[str, Any]) -> None:
    """Record ``settings`` in ``out_dir/prepare.json``, or refuse if it holds different ones.

    Raises:
        ValueError: the directory was prepared with other settings (the message names them).
    """
    path = out_dir / SETTINGS_FILE
    settings = json.loads(json.dumps(settings, default=str))
    if path.is_file():
        old, new = flat_settings(json.loads(path.read_text())), flat_settings(settings)
        diff = sorted(k for k in set(old) | set(new) if old.get(k, _UNSET) != new.get(k, _UNSET))
        if diff:
            detail = "; ".join(f"{k}: {_shown(old, k)} then {_shown(new, k)}" for k in diff)
            raise ValueError(
                f"{out_dir} was prepared with other settings ({detail}); use a new --out directory"
            )
        return
    atomic_write_json(path, settings)


def flat_settings(settings: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"face": {"size": 224}}`` -> ``{"face.size": 224}``: the keys a refusal names."""
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, dict) and value:
            out.update(flat_settings(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _shown(settings: dict[str, Any], key: str) -> str:
    return repr(settings[key]) if key in settings else "(unset)"


def load_progress(out_dir: Path) -> dict[str, dict[str, Any]]:
    """The latest progress record of every video in ``out_dir/progress/*.jsonl``.

    A line cut short by a crash is ignored (its video is simply done again).
    """
    latest: dict[str, dict[str, Any]] = {}
    for path in sorted((out_dir / PROGRESS_DIR).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
                key, stamp = record["video_id"], float(record["time"])
            except (ValueError, KeyError, TypeError):
                continue
            if key not in latest or stamp >= float(latest[key]["time"]):
                latest[key] = record
    return latest


def is_finished(record: dict[str, Any] | None, out_dir: Path, retry_failed: bool) -> bool:
    if record is None:
        return False
    if record.get("status") == "failed":
        return not retry_failed
    return record.get("status") == "done" and all((out_dir / row["path"]).is_file() for row in record["rows"])


def write_failures(path: Path, records: list[dict[str, Any]]) -> None:
    with atomic_open(path, "w") as handle:
        writer = csv.DictWriter(handle, fieldnames=FAILURE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow({k: record.get(k, "") for k in FAILURE_COLUMNS})


def write_outputs(
    out_dir: Path, video_ids: Sequence[str], records: dict[str, dict[str, Any]]
) -> tuple[Path | None, int]:
    """Write ``manifest.csv`` (rows of the finished ``video_ids``) and ``failures.csv``.

    Returns the manifest path (None when no video has a track: there is no dataset to describe,
    and the stale manifest of an earlier run is removed) and the number of tracks.
    """
    final = [records[vid] for vid in video_ids if vid in records]
    rows = [row for record in final if record["status"] == "done" for row in record["rows"]]
    rows.sort(key=lambda row: (row["video_id"], row["track"]))
    write_failures(out_dir / FAILURES_NAME, [record for record in final if record["status"] == "failed"])
    if not rows:
        (out_dir / MANIFEST_NAME).unlink(missing_ok=True)
        return None, 0
    return write_manifest(out_dir, rows), len(rows)


def merge_shards(out_dir: str | Path, count: int | None = None) -> Path | None:
    """Write ``manifest.csv`` and ``failures.csv`` for all ``n`` shards of a sharded run.

    Every shard that ended left ``shards/shard-i-of-n.json`` (its video ids); the rows come from
    the progress records. Shards finishing at the same time may both merge: the result is the same.

    Args:
        out_dir: the dataset directory.
        count: the number of shards ``n``; needed only when shards of several ``n`` ended there.

    Returns:
        The manifest path (None if no video of any shard has a track).

    Raises:
        FileNotFoundError: no ended shard, or some of the n shards have not ended.
        ValueError: shards of several counts and no ``count``.
    """
    out_dir = Path(out_dir)
    pattern = re.compile(r"shard-(\d+)-of-(\d+)\.json")
    ended: dict[int, set[int]] = {}
    for path in (out_dir / SHARDS_DIR).glob("shard-*-of-*.json"):
        match = pattern.fullmatch(path.name)
        if match:
            ended.setdefault(int(match.group(2)), set()).add(int(match.group(1)))
    if not ended:
        raise FileNotFoundError(
            f"no ended shard in {out_dir / SHARDS_DIR} (run sdr prepare ... --shard i/n first)"
        )
    if count is None:
        if len(ended) > 1:
            raise ValueError(f"{out_dir} holds shards of several counts {sorted(ended)}; pass the count")
        count = next(iter(ended))
    missing = sorted(set(range(count)) - ended.get(count, set()))
    if missing:
        raise FileNotFoundError(
            f"shard(s) {missing} of {count} have not ended (no {SHARDS_DIR}/shard-i-of-{count}.json)"
        )
    video_ids: list[str] = []
    for index in range(count):
        marker = json.loads((out_dir / SHARDS_DIR / f"shard-{index}-of-{count}.json").read_text())
        video_ids += marker["video_ids"]
    manifest, _ = write_outputs(out_dir, video_ids, load_progress(out_dir))
    return manifest
