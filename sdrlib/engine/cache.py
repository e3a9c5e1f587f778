"""Where generated data sets and cached training runs live.

``$SDR_CACHE`` (default ``~/.cache/sdr-book``) holds ``data/`` (SynthDF sets keyed by their
parameters and their generator's source) and ``runs/`` (training runs keyed by
:meth:`RunConfig.fingerprint`, with their evaluations keyed by the checkpoint and the test data
inside). A cached run is
complete when its ``summary.json`` exists; anything else is retrained (or resumed). Re-running a
notebook or an experiment therefore re-renders its tables instead of retraining.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The environment variable that moves the cache.
CACHE_ENV = "SDR_CACHE"


def cache_root() -> Path:
    """The cache folder (created on demand)."""
    root = Path(os.environ.get(CACHE_ENV, Path.home() / ".cache" / "sdr-book")).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    return root


def run_cache_dir(fingerprint: str) -> Path:
    return cache_root() / "runs" / fingerprint


def data_cache_dir(name: str) -> Path:
    return cache_root() / "data" / name
