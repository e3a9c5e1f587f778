"""The DFDC public test set (5000 videos), or its 3215-video subset used by video-level papers.

The raw folder layout varies between download routes, so ``root`` is searched recursively for
``<id>.mp4`` files whose id is in the official test labels; everything else (the training parts,
for instance) is ignored. Ids are ``dfdc/<id>``; all rows are ``test`` in domain ``dfdc``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sdrlib.data.domains import DFDC_DOMAIN, REAL_METHOD
from sdrlib.data.prepare.items import VideoItem
from sdrlib.data.prepare.splits import dfdc_test_labels, dfdc_test_subset_3215

log = logging.getLogger(__name__)

SUBSETS = ("3215", "full")
FAKE_METHOD = "dfdc"


def list_dfdc(root: str | Path, subset: str = "3215") -> list[VideoItem]:
    """List the DFDC test videos found below ``root``.

    Args:
        root: any folder that contains the test videos (searched recursively).
        subset: ``3215`` (LipForensics/RealForensics/FTCN subset, the paper's protocol) or ``full``
            (all 5000 test videos).

    Raises:
        FileNotFoundError: no test video found.
        ValueError: an unknown subset, or the same test id found twice.
    """
    if subset not in SUBSETS:
        raise ValueError(f"DFDC subset must be one of {SUBSETS}, got {subset!r}")
    root = Path(root)
    labels = dfdc_test_labels()
    wanted = dfdc_test_subset_3215() if subset == "3215" else frozenset(labels)
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.mp4")):
        if path.stem not in wanted:
            continue
        if path.stem in found:
            raise ValueError(f"DFDC: test video {path.stem} found twice ({found[path.stem]} and {path})")
        found[path.stem] = path
    if not found:
        raise FileNotFoundError(
            f"no DFDC test video (<id>.mp4 from the official test list) found below {root}"
        )
    if len(found) < len(wanted):
        log.warning("DFDC: %d of the %d test videos of subset %s present", len(found), len(wanted), subset)
    return [
        VideoItem(
            video_id=f"{DFDC_DOMAIN}/{vid}",
            source=path.resolve(),
            source_rel=path.relative_to(root).as_posix(),
            label=labels[vid],
            split="test",
            domain=DFDC_DOMAIN,
            method=FAKE_METHOD if labels[vid] else REAL_METHOD,
        )
        for vid, path in sorted(found.items())
    ]
