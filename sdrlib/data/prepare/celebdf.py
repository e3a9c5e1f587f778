"""Celeb-DF-v2 as distributed: three folders of videos below ``root``.

Expected tree::

    Celeb-real/id0_0000.mp4              real  -> celebdf/Celeb-real/id0_0000
    YouTube-real/00000.mp4               real  -> celebdf/YouTube-real/00000
    Celeb-synthesis/id0_id16_0000.mp4    fake  -> celebdf/Celeb-synthesis/id0_id16_0000

The 518 videos of the official test list (:func:`sdrlib.data.prepare.splits.celebdf_test_list`)
are ``test``; every other video is ``train`` (Celeb-DF-v2 has no official training or validation
split; note that its test identities also appear among those training videos, so a model trained
on them is not identity-disjoint from the test set). Labels come from the folder and are
cross-checked against the test list.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from sdrlib.data.domains import CELEBDF_DOMAIN, REAL_METHOD
from sdrlib.data.prepare.items import VideoItem, check_unique
from sdrlib.data.prepare.splits import celebdf_test_list

log = logging.getLogger(__name__)

FOLDERS = {"Celeb-real": 0, "YouTube-real": 0, "Celeb-synthesis": 1}
FAKE_METHOD = "Celeb-synthesis"
_CELEB_NAME = re.compile(r"^(id\d+)_(?:(id\d+)_)?\d+$")


def list_celebdf(root: str | Path) -> list[VideoItem]:
    """List the Celeb-DF-v2 videos under ``root``: test = the official 518, the rest train.

    Raises:
        FileNotFoundError: none of the three folders holds a video.
        ValueError: a video's folder contradicts its label in the official test list.
    """
    root = Path(root)
    test = celebdf_test_list()
    items = []
    for folder, label in FOLDERS.items():
        directory = root / folder
        if not directory.is_dir():
            log.warning("Celeb-DF-v2: folder %s not found", directory)
            continue
        for path in sorted(directory.glob("*.mp4")):
            rel = path.relative_to(root).as_posix()
            if rel in test and test[rel] != label:
                raise ValueError(f"Celeb-DF-v2: {rel} is labelled {test[rel]} (1 = fake) by the test list")
            match = _CELEB_NAME.match(path.stem)
            identity, source_identity = (match.group(1), match.group(2) or "") if match else ("", "")
            items.append(
                VideoItem(
                    video_id=f"{CELEBDF_DOMAIN}/{folder}/{path.stem}",
                    source=path.resolve(),
                    source_rel=rel,
                    label=label,
                    split="test" if rel in test else "train",
                    domain=CELEBDF_DOMAIN,
                    method=REAL_METHOD if label == 0 else FAKE_METHOD,
                    identity=identity,
                    source_identity=source_identity,
                )
            )
    if not items:
        raise FileNotFoundError(f"no Celeb-DF-v2 videos under {root} (expected {sorted(FOLDERS)}/*.mp4)")
    found_test = sum(item.split == "test" for item in items)
    if found_test < len(test):
        log.warning("Celeb-DF-v2: %d of the %d official test videos present", found_test, len(test))
    return sorted(check_unique(items), key=lambda item: item.video_id)
