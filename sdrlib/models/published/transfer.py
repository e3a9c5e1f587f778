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

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from sdrlib.config import ConfigError

#: Options that must agree between a checkpoint and the model it starts (shapes do not show them).
FUNCTION_OPTIONS: dict[str, Any] = {"transformer_norm_eps": 1e-6, "pool_head_norm": True}


def check_options(source: Mapping[str, Any], target: Any, where: str) -> None:
    for option, default in FUNCTION_OPTIONS.items():
        theirs, ours = source.get(option, default), getattr(target, option, default)
        if theirs != ours:
            raise ConfigError(
                f"{where} was made with {option}={theirs!r} but the model has {ours!r}: set "
                f"model.options.{option}={theirs!r} so that the loaded weights compute their function"
            )


def sdr_from_ftcn(model: nn.Module, source: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
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
