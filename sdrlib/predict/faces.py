"""The face crops of a prediction: made as the checkpoint's training data was prepared.

A model has only seen crops of one side and one framing (``sdr prepare``'s face options, recorded
in ``prepare.json`` and carried by the checkpoint, :attr:`CheckpointMeta.preparation`). Scoring
crops made otherwise (224 px where it learnt from 112 px, a tighter box) gives probabilities the
validation threshold was not chosen for, without a word. So a prediction starts from the
recorded options, takes what the caller sets explicitly on top, and refuses an explicit crop
option (:data:`~sdrlib.data.preparation.CROP_SETTINGS`) that contradicts the record. Checkpoints
without a record (SynthDF runs, converted published weights) keep the pipeline's defaults.
Book chapter 'your own video'.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from sdrlib.config import apply_overrides, from_dict, to_dict
from sdrlib.data.faces import FacePipelineConfig
from sdrlib.data.preparation import RUN_SETTINGS, crop_differences
from sdrlib.engine.checkpoint import CheckpointMeta


class CropMismatchError(ValueError):
    """An explicit face option contradicts how the checkpoint's training data was prepared."""


def recorded_face_options(meta: CheckpointMeta) -> dict[str, Any]:
    """The face options of the checkpoint's training data that a prediction inherits: every
    recorded option of the crops, none of the preparation run's (:data:`RUN_SETTINGS`)."""
    known = {f.name for f in dataclasses.fields(FacePipelineConfig)}
    face = (meta.preparation or {}).get("face") or {}
    return {k: v for k, v in face.items() if k in known and k not in RUN_SETTINGS}


def _refuse(explicit: Mapping[str, Any], meta: CheckpointMeta, where: str) -> None:
    differ = crop_differences(explicit, recorded_face_options(meta))
    if differ:
        asked = ", ".join(f"{key}={value}" for key, value, _ in differ)
        trained = ", ".join(f"{key}={value}" for key, _, value in differ)
        dirs = ", ".join(meta.preparation.get("dataset_dirs", [])) or "its training data"
        raise CropMismatchError(
            f"{where} {asked} contradicts the checkpoint, trained on crops made with {trained} (prepare.json "
            f"of {dirs}): its scores and threshold hold for those crops; leave the option out to make "
            "crops as in training"
        )


def prediction_face_config(
    meta: CheckpointMeta,
    overrides: Sequence[str] = (),
    base: Mapping[str, Any] | None = None,
) -> FacePipelineConfig:
    """The face pipeline of a prediction with ``meta``'s checkpoint.

    Args:
        meta: the checkpoint's metadata (its ``preparation`` record, if any).
        overrides: ``key=value`` strings, as ``sdr predict --set`` gives them.
        base: explicit options set another way (``--all-tracks``, a notebook's parameters).

    Returns:
        The recorded options of the training data, then ``base``, then ``overrides``.

    Raises:
        CropMismatchError: an explicit ``size`` or ``scale`` that differs from the record.
    """
    explicit = apply_overrides(dict(base or {}), overrides)
    _refuse(explicit, meta, "face option")
    return from_dict(FacePipelineConfig, {**recorded_face_options(meta), **explicit})


def check_face_config(config: FacePipelineConfig, meta: CheckpointMeta) -> None:
    """Refuse a ready-made face pipeline whose crops differ from those the checkpoint was trained on.

    Raises:
        CropMismatchError: see :func:`prediction_face_config`, which builds a config that passes.
    """
    _refuse(to_dict(config), meta, "face pipeline")
