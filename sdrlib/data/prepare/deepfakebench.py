"""Import a DeepfakeBench ``dataset_json/<Name>.json`` (frame lists of face crops) as a dataset.

DeepfakeBench's preprocessing writes, per dataset, a nested JSON::

    {dataset: {label name: {split: {compression: {video: {"label": name, "frames": [paths]}}}}}}

(the compression level exists for FF++/DFD only). Its crops are **aligned frame by frame**, which
adds a frame-to-frame jitter that a temporal detector can learn as a fake cue, and its default
preprocessing keeps a handful of frames **spread over the whole video** instead of consecutive ones
(SDR_SPEC section 5). Importing such data is for interoperability and comparisons; a temporal model
should be trained on tracks from ``sdr prepare ffpp|celebdf|dfdc`` (one alignment per clip,
consecutive frames). :func:`list_deepfakebench` returns the items and a :class:`ImportReport` that
counts these traps so the command can warn.

Also handled: author-specific absolute or Windows paths (re-rooted below ``root``), one video listed
under several splits (DeepfakeBench copies Celeb-DF-v2's test videos into ``val`` and lists them in
``train`` too; DFD is in all three): it is kept once, in the most held-out split (test > val >
train), and malformed entries are skipped and counted.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from pathlib import Path, PurePosixPath
from typing import Any

from sdrlib.data.domains import (
    CELEBDF_DOMAIN,
    DFD_DOMAIN,
    DFDC_DOMAIN,
    FFPP_FAMILY,
    FFPP_METHODS,
    REAL_METHOD,
)
from sdrlib.data.prepare.extractors import frame_number
from sdrlib.data.prepare.ffpp import DFD_METHOD
from sdrlib.data.prepare.items import SPLITS, VideoItem, check_unique

log = logging.getLogger(__name__)

# DeepfakeBench's label names (its test_config.yaml ``label_dict``) -> 1 = fake / 0 = real.
LABELS: dict[str, int] = {
    "FF-real": 0, "FF-DF": 1, "FF-F2F": 1, "FF-FS": 1, "FF-NT": 1, "FF-FH": 1, "FF-SH": 1,
    "DFD_real": 0, "DFD_fake": 1,
    "CelebDFv1_real": 0, "CelebDFv1_fake": 1, "CelebDFv2_real": 0, "CelebDFv2_fake": 1,
    "DFDCP_Real": 0, "DFDCP_FakeA": 1, "DFDCP_FakeB": 1, "DFDC_Real": 0, "DFDC_Fake": 1,
    "DF_real": 0, "DF_fake": 1, "UADFV_Real": 0, "UADFV_Fake": 1, "roop_Real": 0, "roop_Fake": 1,
}  # fmt: skip
# FF++ label names -> the FF++ folder name, so imported FF++ ids match ``sdr prepare ffpp``'s.
_FFPP_FOLDERS = {"FF-DF": "Deepfakes", "FF-F2F": "Face2Face", "FF-FS": "FaceSwap", "FF-NT": "NeuralTextures"}
_FFPP_FOLDERS.update({"FF-FH": "FaceShifter", "FF-SH": "FaceShifter"})
_DATASET_DOMAINS = {"Celeb-DF-v2": CELEBDF_DOMAIN, "DFDC": DFDC_DOMAIN, "DeepFakeDetection": DFD_DOMAIN}
_SPLIT_RANK = {"train": 0, "val": 1, "test": 2}
_NUMBER = re.compile(r"(\d+)")


@dataclasses.dataclass
class ImportReport:
    """Counts of what the import met; ``warnings()`` turns them into sentences."""

    videos: int = 0
    duplicates: int = 0
    malformed: int = 0
    other_compression: int = 0
    non_consecutive: int = 0

    def warnings(self) -> list[str]:
        out = [
            "DeepfakeBench crops are aligned frame by frame: their frame-to-frame jitter is not in "
            "real videos' tracks, so a temporal model can learn it as a cue (SDR_SPEC section 5)"
        ]
        if self.non_consecutive:
            out.append(
                f"{self.non_consecutive} of {self.videos} videos have non-consecutive frames (sampled over "
                "the video): clips made from them do not have the dynamics of consecutive frames"
            )
        if self.duplicates:
            out.append(
                f"{self.duplicates} duplicate listings across splits kept once, in the most held-out split"
            )
        if self.malformed:
            out.append(f"{self.malformed} malformed JSON entries skipped")
        return out


def label_of(name: str) -> int:
    """DeepfakeBench label name -> 1 = fake / 0 = real (known names, else a ``real``/``fake`` suffix)."""
    if name in LABELS:
        return LABELS[name]
    lowered = name.lower()
    if lowered.endswith("real"):
        return 0
    if "fake" in lowered:
        return 1
    raise ValueError(f"unknown DeepfakeBench label name {name!r}; known: {sorted(LABELS)}")


def _slug(name: str) -> str:
    # No '-' in the result: a hyphen would make the name a member of a domain family (see domains.py).
    return re.sub(r"[^a-z0-9]+", "", name.lower()) or "dataset"


def _identify(dataset: str, label_name: str, compression: str, video: str) -> tuple[str, str, str]:
    """(video id, domain, method) for one entry; FF++ ids match the native FF++ adapter's."""
    if label_name == "FF-real":
        return f"{FFPP_FAMILY}/{compression}/{REAL_METHOD}/{video}", FFPP_FAMILY, REAL_METHOD
    if label_name in _FFPP_FOLDERS:
        folder = _FFPP_FOLDERS[label_name]
        return f"{FFPP_FAMILY}/{compression}/{folder}/{video}", FFPP_METHODS[folder][0], folder
    if label_name.startswith("DFD_"):
        if label_of(label_name) == 0:
            return f"{DFD_DOMAIN}/{compression}/actors/{video}", DFD_DOMAIN, REAL_METHOD
        return f"{DFD_DOMAIN}/{compression}/{DFD_METHOD}/{video}", DFD_DOMAIN, DFD_METHOD
    domain = _DATASET_DOMAINS.get(dataset, _slug(dataset))
    method = REAL_METHOD if label_of(label_name) == 0 else label_name
    return f"{domain}/{label_name}/{video}", domain, method


def _entries(node: Any, keys: tuple[str, ...], report: ImportReport):
    """Yield ``(key path, entry)`` for every dict holding a ``frames`` list; count anything else."""
    if isinstance(node, dict) and isinstance(node.get("frames"), list):
        yield keys, node
    elif isinstance(node, dict):
        for key, child in node.items():
            yield from _entries(child, (*keys, str(key)), report)
    else:
        report.malformed += 1


def _frame_key(path: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in _NUMBER.split(PurePosixPath(path).name))


def _rebase(paths: list[str], root: Path) -> list[Path]:
    """Resolve JSON frame paths below ``root``: the shortest suffix of the first path that exists there
    decides the prefix to drop for all (absolute author paths, ``./datasets/``, Windows separators)."""
    parts = PurePosixPath(paths[0].replace("\\", "/")).parts
    if Path(paths[0]).is_absolute() and Path(paths[0]).is_file():
        return [Path(p) for p in paths]
    for drop in range(len(parts)):
        if (root.joinpath(*parts[drop:])).is_file():
            return [root.joinpath(*PurePosixPath(p.replace("\\", "/")).parts[drop:]) for p in paths]
    raise FileNotFoundError(
        f"frame {paths[0]!r} not found below {root} (pass the folder that holds the dataset)"
    )


def list_deepfakebench(
    json_path: str | Path, root: str | Path, compression: str = "c23"
) -> tuple[list[VideoItem], ImportReport]:
    """List the videos of a DeepfakeBench dataset JSON as frame-list items.

    Args:
        json_path: the ``dataset_json/<Name>.json`` file.
        root: the folder its frame paths are relative to (DeepfakeBench's ``rgb_dir``); absolute
            paths from another machine are re-rooted below it.
        compression: for FF++/DFD entries, the compression level to import.

    Returns:
        Items sorted by id (each with ``frame_paths`` in temporal order) and an import report.

    Raises:
        FileNotFoundError: the JSON or a video's first frame cannot be found.
        ValueError: not a DeepfakeBench JSON, or an unknown label name.
    """
    json_path, root = Path(json_path), Path(root)
    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{json_path}: not valid JSON ({err})") from err
    if not isinstance(data, dict):
        raise ValueError(f"{json_path}: expected {{dataset: {{label: {{split: ...}}}}}} at the top level")
    report = ImportReport()
    chosen: dict[str, tuple[str, tuple[str, ...], dict]] = {}
    for keys, entry in _entries(data, (), report):
        # dataset / label / split / [compression /] video
        if len(keys) not in (4, 5) or keys[2] not in SPLITS or not entry["frames"]:
            report.malformed += 1
            continue
        dataset, label_name, split = keys[:3]
        entry_compression = keys[3] if len(keys) == 5 else ""
        if entry_compression and entry_compression != compression:
            report.other_compression += 1
            continue
        video_id = _identify(dataset, label_name, entry_compression or compression, keys[-1])[0]
        if video_id in chosen:
            report.duplicates += 1
            if _SPLIT_RANK[split] <= _SPLIT_RANK[chosen[video_id][0]]:
                continue
        chosen[video_id] = (split, keys, entry)
    if not chosen:
        raise ValueError(f"{json_path}: no video entries for compression {compression} found")

    items = []
    for video_id, (split, keys, entry) in chosen.items():
        dataset, label_name = keys[:2]
        _, domain, method = _identify(
            dataset, label_name, keys[3] if len(keys) == 5 else compression, keys[-1]
        )
        frames = _rebase(sorted(map(str, entry["frames"]), key=_frame_key), root)
        numbers = [frame_number(f) for f in frames]
        if None not in numbers and any(b - a != 1 for a, b in zip(numbers[:-1], numbers[1:], strict=True)):
            report.non_consecutive += 1
        folder = frames[0].parent
        items.append(
            VideoItem(
                video_id=video_id,
                source=folder.resolve(),
                source_rel=folder.relative_to(root).as_posix()
                if folder.is_relative_to(root)
                else str(folder),
                label=label_of(label_name),
                split=split,
                domain=domain,
                method=method,
                frame_paths=tuple(frames),
            )
        )
    report.videos = len(items)
    return sorted(check_unique(items), key=lambda item: item.video_id), report
