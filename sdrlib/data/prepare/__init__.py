"""Real benchmarks -> dataset directories of aligned face tracks (``sdr prepare``).

Adapters list the raw videos of a benchmark with their official split and labels (1 = fake):
:func:`list_ffpp`, :func:`list_celebdf`, :func:`list_dfdc`, :func:`list_folder` and
:func:`list_deepfakebench`; :func:`prepare` runs the face pipeline over them (resumable, parallel,
shardable) and writes ``tracks/``, ``manifest.csv`` and ``failures.csv``. The official lists are
package data (:mod:`sdrlib.data.prepare.splits`); the domain scheme, with FF++'s shared reals, is
in :mod:`sdrlib.data.domains`. The book chapter on real datasets walks through it.
"""

from sdrlib.data.domains import domain_mask, expand_domains, family
from sdrlib.data.prepare.celebdf import list_celebdf
from sdrlib.data.prepare.deepfakebench import ImportReport, list_deepfakebench
from sdrlib.data.prepare.dfdc import list_dfdc
from sdrlib.data.prepare.extractors import FaceTrackExtractor, FrameListExtractor
from sdrlib.data.prepare.ffpp import list_ffpp
from sdrlib.data.prepare.folder import FolderListing, list_folder, scan_folder
from sdrlib.data.prepare.items import VideoItem, track_relpath
from sdrlib.data.prepare.records import Shard, load_progress, merge_shards
from sdrlib.data.prepare.runner import PrepareSummary, prepare

__all__ = [
    "FaceTrackExtractor",
    "FolderListing",
    "FrameListExtractor",
    "ImportReport",
    "PrepareSummary",
    "Shard",
    "VideoItem",
    "domain_mask",
    "expand_domains",
    "family",
    "list_celebdf",
    "list_deepfakebench",
    "list_dfdc",
    "list_ffpp",
    "list_folder",
    "load_progress",
    "merge_shards",
    "prepare",
    "scan_folder",
    "track_relpath",
]
