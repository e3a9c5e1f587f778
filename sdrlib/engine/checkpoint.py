"""Checkpoints: weights as safetensors beside a JSON of everything needed to use them.

``NAME.safetensors`` holds the model's state dict; ``NAME.json`` holds the model name and options,
the run config, the step, the validation metrics and the decision threshold chosen on validation
(SDR_SPEC section 5: FTCN's demo thresholds flag real videos as fake; ours come from validation
data). Both files are written atomically, the JSON last, so a checkpoint whose JSON exists is
complete. Resume state (optimizer, scheduler, RNG) goes in a separate ``NAME.resume.pt``.

A checkpoint converted from published weights (``sdr convert``) has no threshold (``None``) until
``sdr calibrate`` chooses one on validation data; ``source`` says where its weights came from and
``calibration`` where its threshold came from (docs/published_detectors.md).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save as save_safetensors_bytes
from torch import nn

from sdrlib.models import create_model
from sdrlib.utils import atomic_write_bytes, atomic_write_json
from sdrlib.utils.io import atomic_open

FORMAT = "sdr-checkpoint/1"


class CheckpointError(ValueError):
    """A checkpoint that cannot be used (damaged file, weights of another model); one-line message."""


@dataclass
class CheckpointMeta:
    """The JSON side of a checkpoint.

    ``threshold`` is ``None`` for a checkpoint that was never validated (converted weights):
    predictions then carry a probability but no verdict. ``preparation`` records how the training
    data's face crops were made (``{"face": options, "dataset_dirs": [...]}`` from their
    ``prepare.json``; empty for SynthDF and converted weights): ``sdr predict`` makes its crops the
    same way (:func:`sdrlib.predict.faces.prediction_face_config`).
    """

    model_name: str
    model_options: dict[str, Any]
    threshold: float | None = 0.5
    clip_len: int = 16
    input_size: int | None = None
    step: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    format: str = FORMAT
    source: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=dict)
    preparation: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckpointMeta:
        found = data.get("format") if isinstance(data, dict) else f"a JSON {type(data).__name__}"
        if found != FORMAT:
            raise ValueError(f"not an sdr checkpoint (format {found!r}, expected {FORMAT!r})")
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def unwrap_model(model: nn.Module) -> nn.Module:
    """The plain module inside DDP and ``torch.compile`` wrappers."""
    while True:
        if hasattr(model, "module") and isinstance(model.module, nn.Module):
            model = model.module
        elif hasattr(model, "_orig_mod"):
            model = model._orig_mod
        else:
            return model


def save_checkpoint(stem: str | Path, model: nn.Module, meta: CheckpointMeta) -> Path:
    """Write ``stem.safetensors`` then ``stem.json``; return the JSON path."""
    stem = Path(stem)
    state = {k: v.detach().to("cpu").contiguous() for k, v in unwrap_model(model).state_dict().items()}
    atomic_write_bytes(stem.with_suffix(".safetensors"), save_safetensors_bytes(state))
    meta.created = meta.created or time.strftime("%Y-%m-%dT%H:%M:%S")
    return atomic_write_json(stem.with_suffix(".json"), meta.__dict__)


def resolve_checkpoint(path: str | Path) -> Path:
    """Accept a run directory, a ``.json`` or a ``.safetensors`` path; return the JSON path."""
    path = Path(path)
    if not path.exists() and not path.with_suffix(".json").exists():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    if path.is_dir():
        candidate = path / "checkpoints" / "best.json"
        if not candidate.exists():
            raise FileNotFoundError(
                f"{path} is a directory without checkpoints/best.json (not a run directory)"
            )
        return candidate
    if path.suffix == ".safetensors":
        path = path.with_suffix(".json")
    if path.suffix != ".json":
        raise ValueError(f"{path}: a checkpoint is a .json/.safetensors pair or a run directory")
    if not path.exists():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    if not path.with_suffix(".safetensors").exists():
        raise FileNotFoundError(f"checkpoint weights missing: {path.with_suffix('.safetensors')}")
    return path


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> tuple[nn.Module, CheckpointMeta]:
    """Rebuild the model of a checkpoint, load its weights, put it in eval mode on ``device``.

    Returns:
        ``(model, meta)``; ``meta.threshold`` is the validation threshold, ``meta.clip_len`` the
        clip length the model was trained on.

    Raises:
        FileNotFoundError: no checkpoint at ``path``.
        CheckpointError: a damaged JSON or weights file, or weights that do not fit the model the
            JSON describes (the message is one line naming the file).
    """
    json_path = resolve_checkpoint(path)
    try:
        meta = CheckpointMeta.from_json(json.loads(json_path.read_text()))
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{json_path}: corrupt checkpoint metadata ({err})") from err
    except (ValueError, TypeError) as err:
        raise CheckpointError(f"{json_path}: {' '.join(str(err).split())}") from err
    try:
        model = create_model(meta.model_name, **meta.model_options)
    except (KeyError, ValueError, TypeError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        raise CheckpointError(f"{json_path}: cannot build its model ({message})") from err
    weights = json_path.with_suffix(".safetensors")
    try:
        state = load_safetensors_bytes(weights.read_bytes())
    except SafetensorError as err:
        raise CheckpointError(
            f"{weights}: damaged weights file ({' '.join(str(err).split())}, {weights.stat().st_size} bytes); "
            "copy or train it again"
        ) from err
    mismatch = weights_mismatch(model.state_dict(), state)
    if mismatch:
        raise CheckpointError(
            f"{weights}: not the weights of model {meta.model_name} as {json_path.name} describes it ({mismatch})"
        )
    model.load_state_dict(state, strict=True)
    return model.to(device).to_channels_last().eval(), meta


def weights_mismatch(expected: dict[str, torch.Tensor], found: dict[str, torch.Tensor]) -> str:
    """Empty if ``found`` fits ``expected`` (same names and shapes), else what differs, in one line."""
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    shapes = sorted(
        k for k in set(expected) & set(found) if tuple(expected[k].shape) != tuple(found[k].shape)
    )
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing, e.g. {missing[0]}")
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected, e.g. {unexpected[0]}")
    if shapes:
        key = shapes[0]
        parts.append(
            f"{len(shapes)} of another shape, e.g. {key} {tuple(found[key].shape)} instead of {tuple(expected[key].shape)}"
        )
    return "; ".join(parts) + (f" of {len(expected)} tensors" if parts else "")


def save_resume_state(path: str | Path, state: dict[str, Any]) -> None:
    """Write optimizer/scheduler/RNG/progress state atomically (loaded with ``weights_only=True``)."""
    with atomic_open(path, "wb") as handle:
        torch.save(state, handle)


def load_resume_state(path: str | Path) -> dict[str, Any]:
    return torch.load(Path(path), map_location="cpu", weights_only=True)
