"""Shared test set-up: offline, hermetic caches, and the tiny engine configuration."""

from __future__ import annotations

import os

import pytest

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
