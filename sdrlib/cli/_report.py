"""Lines the ``sdr`` commands print about the files of a batch: what was passed over, what failed."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from sdrlib.data.video.files import SkippedFile

#: at most this many files are named one by one; the rest are counted
SHOWN = 10


def report_skipped(skipped: Sequence[SkippedFile], root: Path) -> None:
    """Print one line per file a folder scan did not take (the first :data:`SHOWN`), with the reason."""
    for entry in skipped[:SHOWN]:
        print(f"skipped {entry.path}: {entry.reason}", file=sys.stderr)
    if len(skipped) > SHOWN:
        print(f"skipped {len(skipped) - SHOWN} more files under {root} (not videos)", file=sys.stderr)
