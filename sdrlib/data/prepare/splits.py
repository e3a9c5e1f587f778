"""The official split and label lists of FF++, Celeb-DF-v2 and DFDC, vendored as package data.

The files live in ``sdrlib/resources/splits/`` (provenance in the README there). Every function
returns labels in this project's convention, **1 = fake**; Celeb-DF-v2's list is the one source
that uses 1 = real, and :func:`celebdf_test_list` is the only place that converts it.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from importlib import resources

FFPP_SPLITS = ("train", "val", "test")


def _read_text(*parts: str) -> str:
    return resources.files("sdrlib").joinpath("resources", "splits", *parts).read_text(encoding="utf-8")


@functools.cache
def ffpp_pairs() -> dict[str, tuple[tuple[str, str], ...]]:
    """FF++ official split: ``{"train"|"val"|"test": ((a, b), ...)}`` (360/70/70 pairs)."""
    out = {}
    for split in FFPP_SPLITS:
        pairs = json.loads(_read_text("ffpp", f"{split}.json"))
        out[split] = tuple((str(a), str(b)) for a, b in pairs)
    return out


@functools.cache
def ffpp_split_of() -> dict[str, str]:
    """Map every FF++ name to its split: reals ``a``, ``b`` and fakes ``a_b``, ``b_a`` of each pair.

    FF++ names fakes ``target_source``; both directions of a pair belong to the pair's split, so the
    identities of a test pair never appear in training.
    """
    split_of: dict[str, str] = {}
    for split, pairs in ffpp_pairs().items():
        for a, b in pairs:
            for name in (a, b, f"{a}_{b}", f"{b}_{a}"):
                split_of[name] = split
    return split_of


@functools.cache
def celebdf_test_list() -> dict[str, int]:
    """Celeb-DF-v2's 518 official test videos: ``{"Celeb-synthesis/id0_id1_0000.mp4": 1, ...}``.

    The distributed list writes ``LABEL path`` with **1 = real**; this function returns the
    project's 1 = fake (the single place where Celeb-DF-v2 labels are converted).
    """
    out: dict[str, int] = {}
    for number, line in enumerate(_read_text("celebdf_v2", "List_of_testing_videos.txt").splitlines(), 1):
        if not line.strip():
            continue
        label_text, path = line.split()
        if label_text not in {"0", "1"}:
            raise ValueError(f"List_of_testing_videos.txt line {number}: label {label_text!r} is not 0 or 1")
        out[path] = 1 - int(label_text)
    return out


@functools.cache
def dfdc_test_labels() -> dict[str, int]:
    """DFDC public test set (5000 videos): ``{video id without extension: label (1 = fake)}``."""
    reader = csv.DictReader(io.StringIO(_read_text("dfdc", "test_labels.csv")))
    return {row["filename"].rsplit(".", 1)[0]: int(row["label"]) for row in reader}


@functools.cache
def dfdc_test_subset_3215() -> frozenset[str]:
    """The 3215-video DFDC test subset of the LipForensics / RealForensics / FTCN papers (ids)."""
    return frozenset(
        line.strip() for line in _read_text("dfdc", "test_subset_3215.txt").splitlines() if line.strip()
    )
