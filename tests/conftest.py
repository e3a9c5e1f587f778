"""Shared test set-up: offline, hermetic caches, and the tiny engine configuration."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from sdrlib.data.video.samples import shared_videos_dir

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session", autouse=True)
def _hermetic_cache(tmp_path_factory: pytest.TempPathFactory):
    """Generated data and cached training runs go to a per-session folder, never ~/.cache."""
    if "SDR_TEST_CACHE" in os.environ:  # reuse across sessions while developing
        os.environ["SDR_CACHE"] = os.environ["SDR_TEST_CACHE"]
    else:
        os.environ["SDR_CACHE"] = str(tmp_path_factory.mktemp("sdr-cache"))
    yield


@pytest.fixture(scope="session", autouse=True)
def _ctrl_c_raises():
    """Ctrl-C raises KeyboardInterrupt in this process, as in a terminal: a test run started as a
    background job of a non-interactive shell inherits SIGINT ignored, and the signal tests need it."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield


#: The 86 real/fake clips beside the project (never committed); tests using them skip without it.
SHARED_VIDEOS = shared_videos_dir()


@pytest.fixture(scope="session")
def shared_videos() -> Path:
    """The shared clip folder, or a skip when it is absent."""
    if not (SHARED_VIDEOS / "manifest.csv").is_file():
        pytest.skip(f"shared videos not found at {SHARED_VIDEOS} (set SDR_SHARED_VIDEOS)")
    return SHARED_VIDEOS
