"""Real videos in and out: probe, sequential decode (rotation, downscaling), near-lossless writes,
and random access into face tracks (:mod:`~sdrlib.data.video.seek`).

The face pipeline (:mod:`sdrlib.data.faces`) and the clip data layer read videos only through these
functions; the book chapter on data preparation explains the choices (SDR_SPEC section 4).
"""

from sdrlib.data.video.decode import (
    VideoInfo,
    frame_to_rgb,
    iter_av_frames,
    iter_frames,
    normalize_rotation,
    probe,
    read_frames,
    rotate_frame,
)
from sdrlib.data.video.encode import TRACK_CRF, TRACK_GOP, write_track_video, write_video
from sdrlib.data.video.errors import FaceTooSmallError, InputError, NoFaceError, OutputError, VideoError
from sdrlib.data.video.files import VIDEO_SUFFIXES, SkippedFile, is_video_name, list_videos, scan_videos
from sdrlib.data.video.seek import TrackLayout, read_window, track_layout

__all__ = [
    "TRACK_CRF",
    "TRACK_GOP",
    "FaceTooSmallError",
    "InputError",
    "NoFaceError",
    "OutputError",
    "SkippedFile",
    "VIDEO_SUFFIXES",
    "TrackLayout",
    "VideoError",
    "VideoInfo",
    "frame_to_rgb",
    "iter_av_frames",
    "is_video_name",
    "iter_frames",
    "list_videos",
    "normalize_rotation",
    "probe",
    "read_frames",
    "read_window",
    "rotate_frame",
    "scan_videos",
    "track_layout",
    "write_track_video",
    "write_video",
]
