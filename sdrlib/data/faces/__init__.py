"""Faces in real videos: detection, tracking and FTCN-style clip-level alignment.

The entry point is :func:`extract_face_tracks` (video file -> aligned :class:`FaceTrack` list);
the parts are usable alone: detectors behind the :class:`FaceDetector` protocol
(:class:`MTCNNDetector`, :class:`HaarDetector`), :func:`build_tracks`, and the alignment math
(:func:`face_template`, :func:`fit_similarity`, :func:`window_transforms`). SDR_SPEC section 4;
the book chapter on data preparation explains the choices, ``docs/faces.md`` the measurements.
"""

from sdrlib.data.faces.align import (
    ARCFACE_TEMPLATE_112,
    apply_transform,
    face_template,
    fit_similarity,
    invert_similarity,
    warp_face,
    window_transforms,
)
from sdrlib.data.faces.base import Detections, FaceDetector
from sdrlib.data.faces.detectors import create_detector, list_detectors, shared_detector
from sdrlib.data.faces.haar import HaarDetector
from sdrlib.data.faces.mtcnn import MTCNNDetector
from sdrlib.data.faces.pipeline import (
    FacePipelineConfig,
    FaceTrack,
    extract_face_tracks,
    write_face_track,
)
from sdrlib.data.faces.tracking import Track, box_iou, build_tracks
from sdrlib.data.tracks import alignment_windows
from sdrlib.data.video.errors import FaceTooSmallError, InputError, NoFaceError, OutputError, VideoError

__all__ = [
    "ARCFACE_TEMPLATE_112",
    "Detections",
    "FaceDetector",
    "FacePipelineConfig",
    "FaceTooSmallError",
    "FaceTrack",
    "HaarDetector",
    "InputError",
    "MTCNNDetector",
    "NoFaceError",
    "OutputError",
    "Track",
    "VideoError",
    "alignment_windows",
    "apply_transform",
    "box_iou",
    "build_tracks",
    "create_detector",
    "extract_face_tracks",
    "face_template",
    "fit_similarity",
    "invert_similarity",
    "list_detectors",
    "shared_detector",
    "warp_face",
    "window_transforms",
    "write_face_track",
]
