"""Turn a list of raw videos into a dataset directory: face tracks, a manifest and a failures list.

The runner is dataset-agnostic: an adapter lists :class:`VideoItem` objects and the runner, for
each one, calls a *track extractor* (by default the MTCNN pipeline of :mod:`sdrlib.data.faces`),
writes every returned track to ``DIR/tracks/<video id>.t<k>.<ext>`` with an atomic writer (by
default :func:`sdrlib.data.faces.write_face_track`, which adds a ``.json`` side file of boxes,
landmarks and transforms) and collects one manifest row per track. What makes it fit for a whole
benchmark:

* **Resumable.** After a video's track files are on disk, one JSON line is appended to
  ``DIR/progress/<run>.jsonl``. A re-run skips every video with a ``done`` record whose files
  exist, and every recorded failure unless ``retry_failed``; a crash loses at most the videos in
  flight.
* **Failures don't stop the run.** A video that cannot be used (an ``InputError``: unreadable, no
  face...) is recorded with its error type and message, logged (with each track's warnings: a
  truncated file, several faces, padding) and listed in ``failures.csv``. Errors writing the
  output (``OSError``: disk full) do stop it, as they would fail every later video too; the videos
  recorded so far stay done.
* **Stops cleanly.** Ctrl-C or SIGTERM (:mod:`sdrlib.utils.signals`) stop the run between two
  writes: the video in flight leaves no track and no temporary file. A run killed outright
  (SIGKILL) leaves hidden ``.*.tmp`` files; the next run removes those of every video it redoes.
* **Parallel** over ``workers`` processes (:mod:`.pool`: started clean, so CUDA and OpenMP are safe
  in them, and stopped clean), and
  **shardable**: shard ``i/n`` takes every n-th video of the sorted list (several shards may run
  at once on one directory, e.g. a cluster array job) and records its end in
  ``shards/shard-i-of-n.json``; the shard that ends last writes ``manifest.csv`` for all of them
  (or run :func:`merge_shards`, ``sdr prepare merge``).
* **Consistent.** ``DIR/prepare.json`` records the settings that shape the tracks (dataset,
  compression, track format, face pipeline); a re-run with different ones is refused instead of
  silently mixing two preprocessings in one directory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tqdm.auto import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from sdrlib.data.faces import write_face_track
from sdrlib.data.manifest import MANIFEST_NAME
from sdrlib.data.prepare.items import VideoItem, check_unique, track_relpath
from sdrlib.data.prepare.records import (
    FAILURES_NAME,
    PROGRESS_DIR,
    SETTINGS_FILE,
    SHARDS_DIR,
    Shard,
    check_settings,
    is_finished,
    load_progress,
    merge_shards,
    write_outputs,
)
from sdrlib.data.tracks import alignment_windows
from sdrlib.data.video.errors import InputError
from sdrlib.utils.io import append_durably, atomic_write_json
from sdrlib.utils.pool import run_in_workers

log = logging.getLogger(__name__)

TRACK_FORMATS = ("mp4", "npy")


class TrackLike(Protocol):
    """What the runner needs from a track (:class:`sdrlib.data.faces.FaceTrack` has it)."""

    frames: np.ndarray
    fps: float
    track_id: int


TrackExtractor = Callable[[VideoItem], Sequence[TrackLike]]
TrackWriter = Callable[[Path, TrackLike], Any]


@dataclasses.dataclass
class PrepareSummary:
    """What a run did.

    ``manifest`` is the ``manifest.csv`` written (None for a shard while other shards are still
    running, or when no video has a track); ``failures`` is ``failures.csv``, which lists every
    failed video of the selection (of this run and of earlier ones).
    """

    selected: int
    processed: int
    skipped: int
    failed: int
    tracks: int
    manifest: Path | None = None
    failures_by_type: dict[str, int] = dataclasses.field(default_factory=dict)
    failures: Path | None = None

    def describe(self) -> str:
        """One line for the console."""
        kinds = ", ".join(f"{k}: {v}" for k, v in sorted(self.failures_by_type.items()))
        where = f"manifest {self.manifest}" if self.manifest else "no manifest yet"
        listed = f", listed in {self.failures}" if self.failed and self.failures else ""
        return (
            f"{self.selected} videos: {self.processed} processed, {self.skipped} already done, "
            f"{self.failed} failed{f' ({kinds}{listed})' if kinds else ''}; {self.tracks} tracks; {where}"
        )


def _remove_stale_tracks(out_dir: Path, item: VideoItem, ext: str) -> None:
    """Delete the tracks (and ``.json`` side files) that an interrupted or earlier attempt left, and
    the hidden temporary files of a writer killed outright, so a redone video never mixes attempts."""
    first = out_dir / track_relpath(item.video_id, 0, ext)
    stem = glob.escape(first.name[: -len(f".t0.{ext}")])
    for pattern in (f"{stem}.t*.{ext}", f"{stem}.t*.{ext}.json", f".{stem}.t*.{ext}.*.tmp"):
        for path in first.parent.glob(pattern):
            path.unlink(missing_ok=True)


def _remove_stale_outputs(out_dir: Path, names: list[str]) -> None:
    """Temporary files of the run's own outputs (``manifest.csv``...) that a killed run left."""
    for name in names:
        folder, base = (out_dir / name).parent, glob.escape((out_dir / name).name)
        for path in folder.glob(f".{base}.*.tmp"):
            path.unlink(missing_ok=True)


def align_len_of(track: TrackLike) -> int | None:
    """The ``align_len`` manifest value of a track: the window length its ``windows`` were cut with
    by :func:`~sdrlib.data.tracks.alignment_windows`, or None (no ``windows``, or another layout)."""
    windows = getattr(track, "windows", None)
    length = int(np.asarray(track.frames).shape[0])
    if windows is None or len(windows) == 0:
        return None
    windows = np.asarray(windows, np.int64)
    candidate = int(windows[0, 1] - windows[0, 0])
    if candidate < 1 or not np.array_equal(alignment_windows(length, candidate), windows):
        return None
    return candidate


def _row(item: VideoItem, track: TrackLike, path: str) -> dict[str, Any]:
    return {
        "path": path,
        "label": item.label,
        "video_id": item.video_id,
        "split": item.split,
        "domain": item.domain,
        "frames": int(np.asarray(track.frames).shape[0]),
        "identity": item.identity,
        "source_identity": item.source_identity,
        "method": item.method,
        "track": int(track.track_id),
        "fps": float(track.fps),
        "source": item.source_rel,
        "align_len": align_len_of(track),
        # a track shorter than a clip is mirror-padded to clip length: frames counts the padded track
        "padded": int(bool(getattr(track, "padded", False))),
    }


def process_video(
    item: VideoItem, out_dir: Path, extractor: TrackExtractor, writer: TrackWriter, ext: str
) -> dict[str, Any]:
    """Extract and write the tracks of one video; return its progress record (never raises for bad input).

    Returns:
        ``{"video_id", "source", "status": "done"|"failed", "rows", "error_type", "message",
        "warnings", "seconds", "time"}``.

    Raises:
        OSError: the output could not be written (a per-run problem, not a per-video one).
    """
    start = time.perf_counter()
    record: dict[str, Any] = {
        "video_id": item.video_id,
        "source": item.source_rel,
        "rows": [],
        "warnings": [],
    }
    _remove_stale_tracks(out_dir, item, ext)
    writing = False
    try:
        tracks = list(extractor(item))
        if not tracks:
            raise InputError(f"{item.source_rel}: the extractor returned no face track")
        writing = True
        for track in tracks:
            rel = track_relpath(item.video_id, int(track.track_id), ext)
            (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            writer(out_dir / rel, track)
            record["rows"].append(_row(item, track, rel))
            record["warnings"].extend(str(w) for w in getattr(track, "warnings", ()) or ())
        record["status"] = "done"
    except Exception as err:  # noqa: BLE001 - one bad video (a decoder bug included) must not stop a benchmark
        _remove_stale_tracks(out_dir, item, ext)
        if writing and isinstance(err, OSError):
            raise  # the video was fine and writing failed (disk full...): a problem of the run, not the video
        if not isinstance(err, InputError):
            log.warning("%s: unexpected %s: %s", item.source_rel, type(err).__name__, err)
        record.update(
            status="failed", rows=[], error_type=type(err).__name__, message=" ".join(str(err).split())
        )
    except BaseException:  # Ctrl-C, SIGTERM: the video is redone by the next run, from scratch
        _remove_stale_tracks(out_dir, item, ext)
        raise
    record["seconds"] = round(time.perf_counter() - start, 3)
    record["time"] = time.time()
    return record


def _run(
    todo: list[VideoItem],
    out_dir: Path,
    extractor: TrackExtractor,
    writer: TrackWriter,
    ext: str,
    workers: int,
) -> Iterator[dict[str, Any]]:
    if workers <= 1:
        for item in todo:
            yield process_video(item, out_dir, extractor, writer, ext)
        return
    yield from run_in_workers(process_video, todo, (out_dir, extractor, writer, ext), workers, [__name__])


def _log_record(record: dict[str, Any]) -> None:
    """What the screen shows of one video: its failure, or the warnings of its tracks."""
    if record["status"] == "failed":
        log.warning(
            "%s: %s: %s (listed in %s)",
            record["source"],
            record["error_type"],
            record["message"],
            FAILURES_NAME,
        )
    for warning in dict.fromkeys(record.get("warnings", ())):
        log.warning("%s: %s", record["source"], warning)


def _default_writer() -> TrackWriter:
    return write_face_track


def prepare(
    items: Sequence[VideoItem],
    out_dir: str | Path,
    extractor: TrackExtractor,
    *,
    settings: dict[str, Any],
    writer: TrackWriter | None = None,
    track_format: str = "mp4",
    workers: int = 1,
    shard: Shard | None = None,
    limit: int | None = None,
    retry_failed: bool = False,
    progress: bool = True,
) -> PrepareSummary:
    """Prepare ``items`` into the dataset directory ``out_dir`` (see the module docstring).

    Args:
        items: the videos, from a dataset adapter.
        out_dir: the dataset directory (created if needed).
        extractor: ``item -> tracks``; must be picklable when ``workers > 1``.
        settings: what shapes the tracks (recorded in ``prepare.json`` and checked on re-runs).
        writer: ``(path, track) -> ...`` writing one track file atomically (the format from the
            suffix); default :func:`sdrlib.data.faces.write_face_track`.
        track_format: file extension of the tracks, ``mp4`` or ``npy``.
        workers: processes; 1 runs in this process.
        shard: process only this shard of the sorted items; its end is recorded in
            ``shards/shard-i-of-n.json`` and the manifest is written when every shard has ended.
        limit: process only the first ``limit`` items (after sharding), for quick tries; a
            limited shard is not recorded as ended.
        retry_failed: try recorded failures again instead of skipping them.
        progress: show a tqdm bar.

    Returns:
        A :class:`PrepareSummary` (``failed``: how many selected videos have no track).

    Raises:
        NotADirectoryError: ``out_dir`` is a file.
        ValueError: bad options, or ``out_dir`` was prepared with other settings.
        OSError: an output could not be written (disk full); the videos recorded so far stay done.
    """
    if track_format not in TRACK_FORMATS:
        raise ValueError(f"track format must be one of {TRACK_FORMATS}, got {track_format!r}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"--out {out_dir} is a file, not a dataset folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    tag = shard.tag if shard is not None else "all"
    # shards running at once share the directory's top-level files: each cleans only its own
    own = [f"{SHARDS_DIR}/{tag}.json"] if shard else [SETTINGS_FILE, MANIFEST_NAME, FAILURES_NAME]
    _remove_stale_outputs(out_dir, own)
    check_settings(out_dir, {**settings, "track_format": track_format})
    writer = writer or _default_writer()

    selected = sorted(check_unique(list(items)), key=lambda item: item.video_id)
    if shard is not None:
        selected = shard.select(selected)
    if limit is not None:
        selected = selected[:limit]
    records = load_progress(out_dir)
    todo = [item for item in selected if not is_finished(records.get(item.video_id), out_dir, retry_failed)]
    if len(todo) < len(selected):
        log.info("%d of %d videos already done, skipped", len(selected) - len(todo), len(selected))

    progress_path = out_dir / PROGRESS_DIR / f"{tag}.jsonl"
    progress_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        contextlib.closing(_run(todo, out_dir, extractor, writer, track_format, workers)) as results,
        tqdm(total=len(todo), desc=f"prepare {tag}", unit="video", disable=not progress) as bar,
        logging_redirect_tqdm(),
    ):
        for record in results:
            # one durable line per video; a line that cannot be written whole is cut off again, so
            # the video counts as not done (a full disk leaves no record of a video without tracks)
            append_durably(progress_path, (json.dumps(record) + "\n").encode("utf-8"))
            records[record["video_id"]] = record
            bar.update(1)
            _log_record(record)

    final = [records[item.video_id] for item in selected]
    failed = [record for record in final if record["status"] == "failed"]
    summary = PrepareSummary(
        selected=len(selected),
        processed=len(todo),
        skipped=len(selected) - len(todo),
        failed=len(failed),
        tracks=sum(len(record["rows"]) for record in final if record["status"] == "done"),
        failures_by_type=dict(Counter(record["error_type"] for record in failed)),
        failures=out_dir / FAILURES_NAME,
    )
    if shard is None:
        summary.manifest, _ = write_outputs(out_dir, [item.video_id for item in selected], records)
    elif limit is None:
        atomic_write_json(
            out_dir / SHARDS_DIR / f"{tag}.json",
            {"shard": f"{shard.index}/{shard.count}", "video_ids": [item.video_id for item in selected]},
        )
        if all(
            (out_dir / SHARDS_DIR / f"shard-{i}-of-{shard.count}.json").is_file() for i in range(shard.count)
        ):
            summary.manifest = merge_shards(out_dir, shard.count)
    return summary
