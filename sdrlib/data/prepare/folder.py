"""Any folder of videos, labelled by a CSV file in it or by ``real``/``fake`` folder names.

Labels, first source found wins:

1. ``manifest.csv`` or ``labels.csv`` in the folder with columns ``path,label`` (path relative to
   the folder; label ``0``/``1``/``real``/``fake``, any case; an optional ``split`` column). Other
   columns are ignored, so the format of ``shared/videos/manifest.csv`` is accepted.
2. The nearest folder named ``real`` or ``fake`` (any case) between the folder and the video.

A folder without labels is refused: every manifest row needs a 0/1 label for training and AUC.
To score unlabelled videos, run the detector on them directly instead of preparing a dataset.
Ids are ``<domain>/<relative path without extension>``.

:func:`scan_folder` also returns every file it did not take, with the reason (not a video, a broken
link, a video outside ``real/`` and ``fake/`` or not listed in the CSV), for the CLI to show; the
folders in ``exclude`` (the run's own output, when it lies inside the folder) are never looked at,
so a re-run never takes its own tracks for new videos.
"""

from __future__ import annotations

import csv
import dataclasses
import logging
import re
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from sdrlib.data.domains import REAL_METHOD
from sdrlib.data.prepare.items import SPLITS, VideoItem, check_unique
from sdrlib.data.video.files import SkippedFile, scan_videos

log = logging.getLogger(__name__)

LABEL_FILES = ("manifest.csv", "labels.csv")
_LABEL_WORDS = {"0": 0, "1": 1, "real": 0, "fake": 1}


def parse_label(text: str, where: str) -> int:
    """``0``/``1``/``real``/``fake`` (any case) -> 0/1 with 1 = fake; ValueError otherwise."""
    key = str(text).strip().lower()
    if key not in _LABEL_WORDS:
        raise ValueError(f"{where}: label {text!r} is not one of 0, 1, real, fake")
    return _LABEL_WORDS[key]


def default_domain(root: Path) -> str:
    """A domain name from the folder name: lower case, runs of other characters become ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", root.resolve().name.lower()).strip("-") or "folder"


def _from_csv(root: Path, csv_path: Path, default_split: str) -> list[tuple[Path, int, str]]:
    with csv_path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"path", "label"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{csv_path}: missing column(s) {sorted(missing)} (need path,label)")
        out = []
        for number, row in enumerate(reader, 2):
            where = f"{csv_path.name} line {number}"
            split = (row.get("split") or default_split).strip()
            if split not in SPLITS:
                raise ValueError(f"{where}: split {split!r} is not one of {list(SPLITS)}")
            path = root / PurePosixPath(row["path"].strip())
            if not path.is_file():
                log.warning("%s: %s not found, skipped", where, row["path"])
                continue
            out.append((path, parse_label(row["label"], where), split))
    return out


def _from_folder_names(
    root: Path, split: str, videos: list[Path]
) -> tuple[list[tuple[Path, int, str]], list[SkippedFile]]:
    out, skipped = [], []
    for path in videos:
        names = [part.lower() for part in path.relative_to(root).parts[:-1]]
        marks = [name for name in names if name in {"real", "fake"}]
        if marks:
            out.append((path, _LABEL_WORDS[marks[-1]], split))
        else:
            skipped.append(SkippedFile(path, "not below a folder named real/ or fake/ (no label)"))
    return out, skipped


@dataclasses.dataclass(frozen=True)
class FolderListing:
    """What :func:`scan_folder` found: the labelled videos, and the files it did not take."""

    items: list[VideoItem]
    skipped: list[SkippedFile]


def scan_folder(
    root: str | Path, domain: str | None = None, split: str = "test", exclude: Sequence[str | Path] = ()
) -> FolderListing:
    """List the labelled videos of a folder (see the module docstring), and the files passed over.

    Args:
        root: the folder.
        domain: domain of every row; default derived from the folder name.
        split: split of rows that do not name one.
        exclude: folders below ``root`` whose files are never taken (the run's output folder).

    Raises:
        FileNotFoundError: ``root`` does not exist.
        NotADirectoryError: ``root`` is a file.
        ValueError: no labels can be found, or a label/split is not valid.
    """
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise NotADirectoryError(f"--root {root} is a file, not a folder of videos")
    if not root.is_dir():
        raise FileNotFoundError(f"folder not found: {root}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}")
    domain = domain or default_domain(root)
    videos, skipped = scan_videos(root, exclude=exclude)
    label_file = next((root / name for name in LABEL_FILES if (root / name).is_file()), None)
    if label_file:
        entries = _from_csv(root, label_file, split)
        listed = {path for path, _, _ in entries}
        reason = f"not listed in {label_file.name}"
        skipped = [SkippedFile(path, reason) for path in videos if path not in listed]
    else:
        entries, unlabelled = _from_folder_names(root, split, videos)
        skipped = sorted([*skipped, *unlabelled], key=lambda entry: entry.path)
    if not entries:
        raise ValueError(
            f"no labelled videos in {root}: add a labels.csv (columns path,label with label real/fake) "
            "or put the videos in folders named real/ and fake/"
        )
    items = []
    for path, label, row_split in entries:
        rel = path.relative_to(root).as_posix()
        items.append(
            VideoItem(
                video_id=f"{domain}/{PurePosixPath(rel).with_suffix('')}",
                source=path.resolve(),
                source_rel=rel,
                label=label,
                split=row_split,
                domain=domain,
                method="fake" if label else REAL_METHOD,
            )
        )
    return FolderListing(sorted(check_unique(items), key=lambda item: item.video_id), skipped)


def list_folder(
    root: str | Path, domain: str | None = None, split: str = "test", exclude: Sequence[str | Path] = ()
) -> list[VideoItem]:
    """The labelled videos of a folder: :func:`scan_folder` without the files passed over."""
    return scan_folder(root, domain, split, exclude).items
