"""Starting a model from a checkpoint: ``model.weights`` for ``ftcn`` and ``sdr`` (SDR_SPEC 2.3, 4).

SDR's trunk and temporal transformer are FTCN's (SDR_SPEC sections 2.3 and 2.5), so SDR can start
from FTCN's published weights instead of from scratch: convert them (``sdr convert ftcn-tt``) and
name the directory in ``model.weights`` (the ``paper-ft`` profile). The rules:

* a checkpoint of the same model: every tensor, strictly (a fine-tuning restart);
* ``sdr`` from an ``ftcn`` checkpoint: the trunk (copied into each of the K trunks when
  ``separate_trunks``) and the temporal transformer, every tensor of both, strictly; the TRFI
  posterior heads are new and keep their initialisation;
* a plain weights file (safetensors or torch state dict with the model's own key names): as
  :func:`sdrlib.models.weights.load_weights`.

Options that change the function without changing a shape (``transformer_norm_eps``) must match
the checkpoint's. Book chapter 'your own video'; ``docs/published_detectors.md``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from torch import nn

from sdrlib.config import ConfigError
from sdrlib.models.weights import LoadReport, load_weights

#: Options that must agree between a checkpoint and the model it starts (shapes do not show them).
FUNCTION_OPTIONS: dict[str, Any] = {"transformer_norm_eps": 1e-6, "pool_head_norm": True}


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
    from sdrlib.engine.checkpoint import CheckpointMeta, resolve_checkpoint

    json_path = resolve_checkpoint(path)
    try:
        meta = CheckpointMeta.from_json(json.loads(json_path.read_text()))
    except json.JSONDecodeError as err:
        raise ValueError(f"{json_path}: corrupt checkpoint metadata ({err})") from err
    return meta.model_name, dict(meta.model_options), load_file(str(json_path.with_suffix(".safetensors")))


def _check_options(source: Mapping[str, Any], target: Any, where: str) -> None:
    for option, default in FUNCTION_OPTIONS.items():
        theirs, ours = source.get(option, default), getattr(target, option, default)
        if theirs != ours:
            raise ConfigError(
                f"{where} was made with {option}={theirs!r} but the model has {ours!r}: set "
                f"model.options.{option}={theirs!r} so that the loaded weights compute their function"
            )


def _sdr_from_ftcn(model: nn.Module, source: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``{sdr key: tensor}`` for every trunk and head tensor of ``model`` from an ``ftcn`` state dict."""
    trunks = [f"trunks.{i}." for i in range(len(model.trunks))] if model.trunks is not None else ["trunk."]
    out = {}
    for key, value in source.items():
        if key.startswith("trunk."):
            for prefix in trunks:
                out[prefix + key[len("trunk.") :]] = value
        else:
            out[key] = value
    return out


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
    _check_options(options, getattr(model, "cfg", None), where)
    if source_name == model_name:
        return load_weights(model, state)
    if not (model_name == "sdr" and source_name == "ftcn"):
        raise ValueError(
            f"cannot start {model_name} from {where}: supported are a checkpoint of the same model "
            "and sdr from an ftcn checkpoint"
        )
    mapped = _sdr_from_ftcn(model, state)
    target = model.state_dict()
    new = [k for k in target if k.startswith("trfi.")]
    report = load_weights(model, {**mapped, **{k: target[k] for k in new}})
    report.loaded = sorted(set(report.loaded) - set(new))
    report.missing = new
    return report
