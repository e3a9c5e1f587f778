"""The dataset manifest: one CSV row per face track, shared by SynthDF and the real-video pipeline.

A dataset directory holds ``manifest.csv`` beside its face-track files (``docs/data_format.md``
is the full specification). Required columns: ``path`` (relative to the directory), ``label``
(1 = fake, 0 = real), ``video_id`` (unique within the directory, together with ``track``),
``split`` (train, val or test) and ``domain``. Optional: ``frames`` (track length, saves probing),
``identity``, ``source_identity``, ``method``, ``track`` (face-track index, default 0), ``fps``,
``source`` (the original video), ``align_len`` (the track was aligned with one transform per window
of this many frames, see :func:`sdrlib.data.tracks.alignment_windows`; clips then stay inside one
window). Other columns are kept as they are.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from sdrlib.utils.io import atomic_open

MANIFEST_NAME = "manifest.csv"
REQUIRED_COLUMNS: tuple[str, ...] = ("path", "label", "video_id", "split", "domain")
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "frames",
    "identity",
    "source_identity",
    "method",
    "track",
    "fps",
    "source",
    "align_len",
)
SPLIT_NAMES: tuple[str, ...] = ("train", "val", "test")
INTEGER_COLUMNS: tuple[str, ...] = ("label", "frames", "track", "align_len")


class ManifestError(ValueError):
    """A manifest that cannot be used; the message names the file, the row and the problem."""


def _manifest_path(root: str | Path) -> Path:
    root = Path(root)
    return root / MANIFEST_NAME if root.name != MANIFEST_NAME else root


def _where(source: str, row: int, video_id: str) -> str:
    # Row numbers are 1-based data rows; the CSV line number is row + 1 (the header is line 1).
    return f"{source} row {row} (line {row + 1}, video_id={video_id!r})"


def _parse_int(value: str, column: str, where: str, minimum: int) -> int:
    try:
        number = float(value)
    except ValueError:
        raise ManifestError(f"{where}: {column} must be an integer >= {minimum}, got {value!r}") from None
    if not number.is_integer() or number < minimum:
        raise ManifestError(f"{where}: {column} must be an integer >= {minimum}, got {value!r}")
    return int(number)


def validate_manifest(
    frame: pd.DataFrame, root: str | Path, source: str = MANIFEST_NAME, check_paths: bool = True
) -> pd.DataFrame:
    """Check a manifest table and return it with typed columns (label, track, frames, fps, align_len).

    Args:
        frame: the table, all values as read from CSV (strings).
        root: the dataset directory (paths are relative to it).
        source: how to name the table in error messages.
        check_paths: also check that every track file exists.

    Raises:
        ManifestError: a missing column, an empty required value, a label not in {0, 1}, an unknown
            split, an absolute or missing path, a bad ``frames``/``track``/``fps``/``align_len``, or a repeated
            ``(video_id, track)``; the message names the row.
    """
    root = Path(root)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ManifestError(
            f"{source}: missing required column(s) {missing}; a manifest needs {list(REQUIRED_COLUMNS)}"
        )
    if frame.empty:
        raise ManifestError(f"{source}: the manifest has no rows")
    frame = frame.copy()
    for column in frame.columns:
        frame[column] = frame[column].astype(str).str.strip()
    labels, tracks, lengths, rates, windows = [], [], [], [], []
    seen: dict[tuple[str, int], int] = {}
    for row, record in enumerate(frame.to_dict("records"), start=1):
        video_id = record["video_id"]
        where = _where(source, row, video_id)
        for column in REQUIRED_COLUMNS:
            if record[column] == "":
                raise ManifestError(f"{where}: empty {column}")
        if record["label"] not in {"0", "1", "0.0", "1.0"}:
            raise ManifestError(f"{where}: label must be 0 (real) or 1 (fake), got {record['label']!r}")
        labels.append(int(float(record["label"])))
        if record["split"] not in SPLIT_NAMES:
            raise ManifestError(f"{where}: split must be one of {list(SPLIT_NAMES)}, got {record['split']!r}")
        path = Path(record["path"])
        if path.is_absolute():
            raise ManifestError(f"{where}: path must be relative to the dataset directory, got {str(path)!r}")
        if check_paths and not (root / path).is_file():
            raise ManifestError(f"{where}: track file not found: {root / path}")
        track = _parse_int(record["track"], "track", where, 0) if record.get("track", "") != "" else 0
        tracks.append(track)
        if (video_id, track) in seen:
            raise ManifestError(
                f"{where}: (video_id, track) = ({video_id!r}, {track}) repeats row {seen[video_id, track]}"
            )
        seen[video_id, track] = row
        if "frames" in frame.columns:
            lengths.append(
                _parse_int(record["frames"], "frames", where, 1) if record["frames"] != "" else None
            )
        if "align_len" in frame.columns:
            windows.append(
                _parse_int(record["align_len"], "align_len", where, 1) if record["align_len"] != "" else None
            )
        if "fps" in frame.columns and record["fps"] != "":
            try:
                rates.append(float(record["fps"]))
            except ValueError:
                raise ManifestError(f"{where}: fps must be a number, got {record['fps']!r}") from None
        elif "fps" in frame.columns:
            rates.append(float("nan"))
    frame["label"] = labels
    frame["track"] = tracks
    if "frames" in frame.columns:
        frame["frames"] = pd.array(lengths, dtype="Int64")
    if "fps" in frame.columns:
        frame["fps"] = rates
    if "align_len" in frame.columns:
        frame["align_len"] = pd.array(windows, dtype="Int64")
    return frame


def read_manifest(root: str | Path) -> pd.DataFrame:
    """Read and validate the ``manifest.csv`` of a dataset directory.

    Args:
        root: the dataset directory (or the manifest file itself).

    Returns:
        one row per face track; ``label`` and ``track`` as int (``track`` is 0 when the column is
        absent), ``frames`` and ``align_len`` as nullable ints, ``fps`` as float, every other
        column as str.

    Raises:
        FileNotFoundError: no manifest there.
        ManifestError: see :func:`validate_manifest`.
    """
    path = _manifest_path(root)
    if not path.is_file():
        raise FileNotFoundError(f"no {MANIFEST_NAME} in {path.parent} (is this a dataset directory?)")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ManifestError(f"{path}: not a readable CSV file ({err})") from err
    return validate_manifest(frame, path.parent, source=str(path))


def write_manifest(
    root: str | Path, rows: Iterable[Mapping[str, object]] | pd.DataFrame, check_paths: bool = True
) -> Path:
    """Validate ``rows`` and write them atomically as ``root/manifest.csv``.

    Columns are ordered required first, then the known optional ones, then any others.

    Args:
        root: the dataset directory (created if needed).
        rows: dicts (one per track) or a DataFrame.
        check_paths: also check that every track file exists (write tracks first, manifest last).

    Raises:
        ManifestError: see :func:`validate_manifest`; nothing is written then.
    """
    root = Path(root)
    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    for column in INTEGER_COLUMNS:
        # a column with some empty cells comes out float (32.0): write whole numbers as integers
        if column in frame.columns and pd.api.types.is_float_dtype(frame[column]):
            values = frame[column].dropna()
            if (values == values.round()).all():
                frame[column] = frame[column].astype("Int64")
    frame = frame.astype(object).where(frame.notna(), "")
    validate_manifest(frame.astype(str), root, source=str(root / MANIFEST_NAME), check_paths=check_paths)
    known = [c for c in REQUIRED_COLUMNS + OPTIONAL_COLUMNS if c in frame.columns]
    frame = frame[known + [c for c in frame.columns if c not in known]]
    path = root / MANIFEST_NAME
    with atomic_open(path, "w") as handle:
        frame.to_csv(handle, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return path
