"""Published checkpoints as sdrlib checkpoints, and models started from a checkpoint.

:func:`convert_checkpoint` turns FTCN's ``ftcn_tt.pth`` or AltFreezing's ``model.pth`` (read and
mapped strictly by :mod:`sdrlib.models.published`) into a checkpoint directory that every
``--checkpoint`` option accepts (``sdr convert``). :func:`load_start_weights` fills a new model from
``model.weights``: a checkpoint (of the same model, or SDR from FTCN: trunk and temporal transformer,
new TRFI heads) or a plain weights file. Book chapter 'your own video'; docs/published_detectors.md.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from torch import nn

from sdrlib.engine.checkpoint import CheckpointMeta, resolve_checkpoint, save_checkpoint
from sdrlib.models import create_model
from sdrlib.models.published.convert import convert_state_dict, read_published
from sdrlib.models.published.keymap import PUBLISHED, build_model
from sdrlib.models.published.transfer import check_options, sdr_from_ftcn
from sdrlib.models.weights import LoadReport, load_weights


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def convert_checkpoint(kind: str, path: str | Path, out_dir: str | Path, overwrite: bool = False) -> Path:
    """Convert the published file ``path`` of ``kind`` into the checkpoint directory ``out_dir``.

    The directory gets ``checkpoints/best.{safetensors,json}``, so every ``--checkpoint`` option and
    :func:`sdrlib.engine.checkpoint.load_checkpoint` accept ``out_dir``. The JSON has no threshold
    (``sdr calibrate`` chooses one) and records the source file (name, size, SHA-256, layout).

    Returns:
        The checkpoint's JSON path.

    Raises:
        KeyError: unknown ``kind``.
        FileExistsError: ``out_dir`` already holds a checkpoint and ``overwrite`` is False.
        ConversionError, FileNotFoundError: see :func:`read_published`, :func:`convert_state_dict`.
    """
    spec = PUBLISHED.get(kind)
    if spec is None:
        raise KeyError(f"unknown published checkpoint {kind!r}; known: {sorted(PUBLISHED)}")
    path, stem = Path(path), Path(out_dir) / "checkpoints" / "best"
    if stem.with_suffix(".json").exists() and not overwrite:
        raise FileExistsError(f"{out_dir} already holds a checkpoint ({stem.with_suffix('.json')})")
    source, layout = read_published(spec, path)
    state = convert_state_dict(spec, source, where=str(path))
    model = build_model(spec)
    model.load_state_dict(state, strict=True)
    stem.parent.mkdir(parents=True, exist_ok=True)
    meta = CheckpointMeta(
        model_name=spec.model_name,
        model_options=dict(spec.model_options),
        threshold=None,
        clip_len=spec.clip_len,
        input_size=spec.input_size,
        source={
            "published": spec.name,
            "title": spec.title,
            "file": path.name,
            "bytes": path.stat().st_size,
            "sha256": _sha256(path),
            "layout": layout,
            "keys": len(state),
            "parameters": sum(p.numel() for p in model.parameters()),
            "output": "logit of the network's sigmoid output" if spec.outputs_probability else "logit",
            "preprocessing": "ftcn",
            "demo_threshold_not_used": spec.demo_threshold,
            "demo_max_frames": spec.demo_max_frames,
            "converted": time.strftime("%Y-%m-%dT%H:%M:%S"),
        },
    )
    return save_checkpoint(stem, model, meta)


def is_checkpoint(path: str | Path) -> bool:
    """Whether ``path`` names an ``sdrlib`` checkpoint (run dir, ``.json``, or ``.safetensors``
    with its ``.json`` beside it) rather than a bare weights file."""
    path = Path(path)
    return (
        path.is_dir()
        or path.suffix == ".json"
        or (path.suffix == ".safetensors" and path.with_suffix(".json").is_file())
    )


def _read_checkpoint(path: str | Path) -> tuple[str, dict[str, Any], dict[str, torch.Tensor]]:
    json_path = resolve_checkpoint(path)
    try:
        meta = CheckpointMeta.from_json(json.loads(json_path.read_text()))
    except json.JSONDecodeError as err:
        raise ValueError(f"{json_path}: corrupt checkpoint metadata ({err})") from err
    return meta.model_name, dict(meta.model_options), load_file(str(json_path.with_suffix(".safetensors")))


def load_start_weights(model: nn.Module, source: str | Path, model_name: str) -> LoadReport:
    """Fill ``model`` (registered as ``model_name``) from ``source`` (see the module docstring).

    Returns:
        What was loaded; ``missing`` lists the tensors that keep their initialisation (SDR's TRFI
        heads when starting from ``ftcn``).

    Raises:
        ValueError: a checkpoint of an unsupported model, or missing, unexpected or mis-shaped keys
            (the message names them).
        ConfigError: a function-changing option differs from the checkpoint's.
    """
    if not is_checkpoint(source):
        return load_weights(model, source)
    source_name, options, state = _read_checkpoint(source)
    where = f"checkpoint {source} ({source_name})"
    check_options(options, getattr(model, "cfg", None), where)
    if source_name == model_name:
        return load_weights(model, state)
    if not (model_name == "sdr" and source_name == "ftcn"):
        raise ValueError(
            f"cannot start {model_name} from {where}: supported are a checkpoint of the same model "
            "and sdr from an ftcn checkpoint"
        )
    mapped = sdr_from_ftcn(model, state)
    target = model.state_dict()
    new = [k for k in target if k.startswith("trfi.")]
    report = load_weights(model, {**mapped, **{k: target[k] for k in new}})
    report.loaded = sorted(set(report.loaded) - set(new))
    report.missing = new
    return report


def create_start_model(name: str, weights: str | Path | None = None, **options: Any) -> nn.Module:
    """``create_model(name, **options)`` started from ``weights`` (:func:`load_start_weights`):
    what training does with ``model.weights``."""
    model = create_model(name, **options)
    if weights is not None:
        load_start_weights(model, weights, name)
    return model
