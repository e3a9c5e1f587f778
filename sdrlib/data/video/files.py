"""Which files are videos: the one list of video file suffixes and the folder scan that uses it.

``sdr predict`` on a folder, ``sdr prepare folder`` and the FF++ lister all find videos here, so a
suffix accepted by one is accepted by all, and every file a scan passes over is reported with the
reason (a text file, a broken symbolic link, a file inside an excluded folder such as the output
of the run). Book chapter 'data'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: Suffixes (lower case) of the containers FFmpeg's demuxers in PyAV read.
VIDEO_SUFFIXES = frozenset(
    {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".ts"}
)


@dataclass(frozen=True)
class SkippedFile:
    """A file a scan did not take, and why."""

    path: Path
    reason: str


def is_video_name(path: str | Path) -> bool:
    """Whether ``path`` has a video suffix (any case)."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def _inside(path: Path, folders: Sequence[Path]) -> bool:
    return any(path == folder or folder in path.parents for folder in folders)


def scan_videos(
    root: str | Path, recursive: bool = True, exclude: Sequence[str | Path] = ()
) -> tuple[list[Path], list[SkippedFile]]:
    """The video files under ``root`` (sorted) and the files passed over, each with its reason.

    Args:
        root: a folder.
        recursive: look into sub-folders too.
        exclude: folders whose content is never taken (e.g. a run's own output folder); they are
            not descended into and not reported file by file.

    Raises:
        FileNotFoundError: ``root`` is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"not a folder: {root}" if root.exists() else f"folder not found: {root}")
    excluded = [Path(e).resolve() for e in exclude]
    videos, skipped = [], []
    entries = root.rglob("*") if recursive else root.iterdir()
    for path in sorted(entries):
        if _inside(path.parent.resolve() / path.name, excluded):  # a link itself is not followed
            continue
        if path.is_symlink() and not path.exists():
            skipped.append(SkippedFile(path, "broken symbolic link"))
        elif path.is_dir():
            continue
        elif not path.is_file():
            skipped.append(SkippedFile(path, "not a regular file"))
        elif not is_video_name(path):
            skipped.append(SkippedFile(path, f"not a video file name ({path.suffix or 'no suffix'})"))
        else:
            videos.append(path)
    return videos, skipped


def list_videos(path: str | Path) -> list[Path]:
    """``path`` itself if it is a file, else the video files under it (recursively, sorted).

    Raises:
        FileNotFoundError: ``path`` does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")
    if path.is_file():
        return [path]
    return scan_videos(path)[0]
