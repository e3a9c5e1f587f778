"""Model registry: ``create_model(name, **overrides)`` and ``list_models()`` (timm-style).

A model family registers a factory with :func:`register_model`. Each factory takes keyword options
(validated by the family's own config dataclass, so a misspelt option is an error that lists the
valid ones) and returns a :class:`sdrlib.models.base.VideoModel`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from sdrlib.models.weights import load_weights

_REGISTRY: dict[str, Callable[..., nn.Module]] = {}
_DESCRIPTIONS: dict[str, str] = {}


def register_model(
    name: str, description: str = ""
) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator registering ``factory`` under ``name`` (names are unique)."""

    def wrap(factory: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is already registered")
        _REGISTRY[name] = factory
        doc_lines = (factory.__doc__ or "").strip().splitlines()
        _DESCRIPTIONS[name] = description or (doc_lines[0] if doc_lines else "")
        return factory

    return wrap


def list_models() -> list[str]:
    """Names of all registered models, sorted."""
    return sorted(_REGISTRY)


def describe_models() -> dict[str, str]:
    """``{name: one-line description}`` for every registered model."""
    return {name: _DESCRIPTIONS.get(name, "") for name in list_models()}


def create_model(name: str, weights: str | None = None, **overrides: Any) -> nn.Module:
    """Build the model registered as ``name`` with option ``overrides``.

    Args:
        name: a name from :func:`list_models`.
        weights: optional path to a weights file the user supplies (safetensors or a torch state
            dict with the model's key names), loaded with :func:`sdrlib.models.weights.load_weights`.
            Never downloaded. A checkpoint directory (``sdr convert``, a run) is the engine's:
            :func:`sdrlib.engine.published.create_start_model`.
        **overrides: options of the model family's config dataclass.

    Raises:
        KeyError: unknown model name (the message lists the registered ones).
    """
    if name not in _REGISTRY:
        raise KeyError(f"unknown model {name!r}; registered models: {list_models()}")
    model = _REGISTRY[name](**overrides)
    if weights is not None:
        load_weights(model, weights)
    return model
