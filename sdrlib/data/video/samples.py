"""Where the shared real/fake sample clips are: one place for the library, the tests and scripts."""

from __future__ import annotations

import os
from pathlib import Path

#: The environment variable that points to the sample clips (a folder with ``manifest.csv``).
SHARED_VIDEOS_ENV = "SDR_SHARED_VIDEOS"


def shared_videos_dir() -> Path:
    """``$SDR_SHARED_VIDEOS``, else ``shared/videos`` beside the repository (the clips are never
    committed; callers check for ``manifest.csv`` and skip or fall back when it is absent)."""
    default = Path(__file__).resolve().parents[4] / "shared" / "videos"
    return Path(os.environ.get(SHARED_VIDEOS_ENV, default)).expanduser()
