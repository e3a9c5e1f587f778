"""Detectors: FTCN, I3D, SDR and a per-frame 2D baseline, created by name (see ``registry``)."""

from sdrlib.models import frame2d, ftcn, i3d, sdr  # noqa: F401  (registers the model families)
from sdrlib.models.base import ModelOutput, VideoModel
from sdrlib.models.registry import create_model, describe_models, list_models, register_model

__all__ = ["ModelOutput", "VideoModel", "create_model", "describe_models", "list_models", "register_model"]
