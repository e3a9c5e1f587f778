"""Real videos in and out: probe, sequential decode (rotation, downscaling), near-lossless writes.

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
from sdrlib.data.video.encode import write_video
from sdrlib.data.video.errors import FaceTooSmallError, InputError, NoFaceError, OutputError, VideoError
from sdrlib.data.video.files import VIDEO_SUFFIXES, SkippedFile, is_video_name, list_videos, scan_videos

__all__ = [
    "FaceTooSmallError",
    "InputError",
    "NoFaceError",
    "OutputError",
    "SkippedFile",
    "VIDEO_SUFFIXES",
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
    "rotate_frame",
    "scan_videos",
    "write_video",
]
