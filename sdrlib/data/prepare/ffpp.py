"""FaceForensics++ (and DeepFakeDetection) in the layout of the official download script.

Expected tree below ``root`` (``COMP`` is ``c23``, ``c40`` or ``raw``)::

    original_sequences/youtube/COMP/videos/000.mp4            reals  -> ffpp/COMP/real/000
    manipulated_sequences/Deepfakes/COMP/videos/000_003.mp4   fakes  -> ffpp/COMP/Deepfakes/000_003
        (also Face2Face, FaceSwap, NeuralTextures, FaceShifter)
    original_sequences/actors/COMP/videos/01__walking.mp4     DFD reals -> dfd/COMP/actors/01__walking
    manipulated_sequences/DeepFakeDetection/COMP/videos/01_02__walking__ABC.mp4  DFD fakes

Splits follow the official pair lists (:func:`sdrlib.data.prepare.splits.ffpp_split_of`). DFD has
no official split and shares no identity with FF++'s YouTube videos, so it is a test-only domain
``dfd`` (its own actors as reals), never mixed into FF++ training.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from sdrlib.data.domains import DFD_DOMAIN, FFPP_FAMILY, FFPP_METHODS, REAL_METHOD
from sdrlib.data.preparation import PROTOCOL_FFPP_METHODS
from sdrlib.data.prepare.items import VideoItem, check_unique
from sdrlib.data.prepare.splits import ffpp_split_of
from sdrlib.data.video.files import scan_videos

log = logging.getLogger(__name__)

COMPRESSIONS = ("c23", "c40", "raw")
DFD_METHOD = "DeepFakeDetection"


def parse_methods(text: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """Turn ``"df,nt"`` / folder names into FF++ folder names; None means every method present.

    Accepted names: the folder names of :data:`FFPP_METHODS` and ``DeepFakeDetection``, or their
    short codes ``df, f2f, fs, nt, fsh, dfd`` (case-insensitive); ``protocol`` alone stands for
    the paper's four (:data:`~sdrlib.data.preparation.PROTOCOL_FFPP_METHODS`), ``all`` for
    every method present (None).
    """
    if text is None:
        return None
    if isinstance(text, str) and text.strip().lower() in ("all", "protocol"):
        return None if text.strip().lower() == "all" else PROTOCOL_FFPP_METHODS
    names = [t.strip() for t in (text.split(",") if isinstance(text, str) else text) if t.strip()]
    lookup = {folder.lower(): folder for folder in [*FFPP_METHODS, DFD_METHOD]}
    lookup.update({code: folder for folder, (_, code) in FFPP_METHODS.items()})
    lookup["dfd"] = DFD_METHOD
    out = []
    for name in names:
        if name.lower() not in lookup:
            raise ValueError(f"unknown FF++ method {name!r}; choose from {sorted(lookup)}")
        out.append(lookup[name.lower()])
    if not out:
        raise ValueError("empty FF++ method list")
    return tuple(dict.fromkeys(out))


def _videos(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return scan_videos(folder, recursive=False)[0]


def _ids(stem: str) -> tuple[str, str]:
    """(identity, source identity) from an FF++/DFD name: ``000_003`` -> (000, 003), ``000`` -> (000, '')."""
    head = stem.split("__", 1)[0]
    target, _, source = head.partition("_")
    return target, source


def list_ffpp(
    root: str | Path, compression: str = "c23", methods: Iterable[str] | None = None
) -> list[VideoItem]:
    """List the FF++ videos present under ``root`` with their official split, label and domain.

    Args:
        root: the FF++ root (the folder holding ``original_sequences`` and ``manipulated_sequences``).
        compression: ``c23`` (HQ, the paper's protocol), ``c40`` (LQ) or ``raw``.
        methods: FF++ folder names (see :func:`parse_methods`); None takes every method found,
            ``"protocol"`` the four of the paper's protocol that are present (``sdr prepare``'s
            default; a missing one is a warning, an asked-for one an error).

    Returns:
        Items sorted by video id. Videos that are not in the official lists are skipped with a
        warning; a missing method folder is an error only when that method was asked for.

    Raises:
        FileNotFoundError: ``root`` holds no FF++ video of this compression.
        ValueError: a bad compression or method name.
    """
    root = Path(root)
    if compression not in COMPRESSIONS:
        raise ValueError(f"FF++ compression must be one of {COMPRESSIONS}, got {compression!r}")
    split_of = ffpp_split_of()
    manip = root / "manipulated_sequences"
    wanted = parse_methods(methods) if methods is not None else None
    if wanted is None:
        present = [m for m in [*FFPP_METHODS, DFD_METHOD] if (manip / m / compression / "videos").is_dir()]
    else:
        missing = [m for m in wanted if not (manip / m / compression / "videos").is_dir()]
        folders = [str(manip / m / compression / "videos") for m in missing]
        if missing and wanted != PROTOCOL_FFPP_METHODS:
            raise FileNotFoundError(f"FF++ method folder(s) not found: {folders}")
        if missing:
            log.warning("FF++: the protocol's method folder(s) %s not found; listed without them", folders)
        present = [m for m in wanted if m not in missing]

    items: list[VideoItem] = []
    unlisted: list[str] = []

    def add(path: Path, video_id: str, label: int, split: str, domain: str, method: str) -> None:
        identity, source_identity = _ids(path.stem)
        items.append(
            VideoItem(
                video_id=video_id,
                source=path.resolve(),
                source_rel=path.relative_to(root).as_posix(),
                label=label,
                split=split,
                domain=domain,
                method=method,
                identity=identity,
                source_identity=source_identity,
            )
        )

    ffpp_methods = [m for m in present if m in FFPP_METHODS]
    if ffpp_methods or wanted is None:
        for path in _videos(root / "original_sequences" / "youtube" / compression / "videos"):
            if path.stem not in split_of:
                unlisted.append(path.relative_to(root).as_posix())
                continue
            add(
                path,
                f"ffpp/{compression}/{REAL_METHOD}/{path.stem}",
                0,
                split_of[path.stem],
                FFPP_FAMILY,
                REAL_METHOD,
            )
    for method in ffpp_methods:
        domain = FFPP_METHODS[method][0]
        for path in _videos(manip / method / compression / "videos"):
            if path.stem not in split_of:
                unlisted.append(path.relative_to(root).as_posix())
                continue
            add(path, f"ffpp/{compression}/{method}/{path.stem}", 1, split_of[path.stem], domain, method)
    if DFD_METHOD in present:
        for path in _videos(root / "original_sequences" / "actors" / compression / "videos"):
            add(path, f"dfd/{compression}/actors/{path.stem}", 0, "test", DFD_DOMAIN, REAL_METHOD)
        for path in _videos(manip / DFD_METHOD / compression / "videos"):
            add(path, f"dfd/{compression}/{DFD_METHOD}/{path.stem}", 1, "test", DFD_DOMAIN, DFD_METHOD)

    if unlisted:
        log.warning(
            "FF++: %d video(s) are not in the official split lists and were skipped (first: %s)",
            len(unlisted),
            unlisted[0],
        )
    if not items:
        raise FileNotFoundError(
            f"no FF++ videos found under {root} for compression {compression} (expected "
            f"original_sequences/youtube/{compression}/videos/*.mp4 and "
            f"manipulated_sequences/<method>/{compression}/videos/*.mp4)"
        )
    _warn_incomplete(items, compression)
    return sorted(check_unique(items), key=lambda item: item.video_id)


def _warn_incomplete(items: list[VideoItem], compression: str) -> None:
    """Warn when the tree holds fewer videos than the official lists expect (a partial download)."""
    expected_per_method = sum(1 for name in ffpp_split_of() if "_" in name)
    counts: dict[str, int] = {}
    for item in items:
        if item.domain != DFD_DOMAIN:
            counts[item.method] = counts.get(item.method, 0) + 1
    for method, count in sorted(counts.items()):
        if count < expected_per_method:
            log.warning(
                "FF++ %s %s: %d of %d listed videos present", compression, method, count, expected_per_method
            )
