"""Data: SynthDF, the dataset format (manifest + face tracks), clip loading and normalisation.

Light to import (no video decoder or face detector is loaded here): the real-video pipeline lives
in ``sdrlib.data.video``, ``sdrlib.data.faces`` and ``sdrlib.data.prepare``, the pictures of the
data chapter in ``sdrlib.data.figures``.
"""

from sdrlib.data.clip_dataset import ClipDataset
from sdrlib.data.manifest import ManifestError, read_manifest, write_manifest
from sdrlib.data.normalize import clips_to_input
from sdrlib.data.synthetic import SYNTHDF_DOMAINS, DomainSpec, generate_synthdf, get_domain, render_pair
from sdrlib.data.tracks import read_track, track_length

__all__ = [
    "SYNTHDF_DOMAINS",
    "ClipDataset",
    "DomainSpec",
    "ManifestError",
    "clips_to_input",
    "generate_synthdf",
    "get_domain",
    "read_manifest",
    "read_track",
    "render_pair",
    "track_length",
    "write_manifest",
]
