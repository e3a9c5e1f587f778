"""Reading a published checkpoint safely and mapping it strictly onto ``ftcn`` / ``i3d``.

The original loaders accept a wrong file silently (a missing, unexpected or mis-shaped key only
logs a warning). Here the file is read with ``weights_only=True`` on the CPU, unwrapped and
stripped exactly as the original loader does (:class:`~sdrlib.models.published.keymap.PublishedSpec`
``wrappers`` and ``prefixes``), and then every key must match: one missing, unexpected or
mis-shaped key fails with a message that names it. :func:`convert_checkpoint` writes the result as
an ``sdrlib`` checkpoint directory (safetensors + JSON, no threshold). SDR_SPEC sections 4-5; book
chapter 'your own video'; ``docs/published_detectors.md``.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file

from sdrlib.models.published.keymap import PUBLISHED, PublishedSpec, expected_layout, key_map

#: How many names an error message lists per kind of problem before "(+N more)".
SHOWN = 6


class ConversionError(ValueError):
    """A published checkpoint that cannot be converted; the message names the offending keys."""


def _names(items: list[str]) -> str:
    shown = ", ".join(items[:SHOWN])
    return shown + (f" (+{len(items) - SHOWN} more)" if len(items) > SHOWN else "")


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(s) for s in shape) if shape else "scalar"


def read_published(spec: PublishedSpec, path: str | Path) -> tuple[dict[str, torch.Tensor], str]:
    """Load ``path`` (``weights_only=True``, ``map_location="cpu"``) and undo the layouts its
    original loader accepts.

    Returns:
        ``(state dict with the published key names, one line describing the layout found)``.

    Raises:
        FileNotFoundError: no such file.
        ConversionError: not a torch (or safetensors) state dict of tensors, or keys that collide
            once the prefixes are stripped.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if path.suffix == ".safetensors":
        try:
            obj: Any = load_file(str(path))
        except Exception as err:  # safetensors raises its own error types
            raise ConversionError(f"{path}: not a readable safetensors file ({err})") from err
    else:
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as err:
            found = re.search(r"Unsupported global: GLOBAL (\S+)", str(err))
            if found:
                raise ConversionError(
                    f"{path}: refused by torch.load(weights_only=True): the file holds a pickled "
                    f"{found.group(1)}, not only tensors; only plain state dicts are read"
                ) from err
            raise ConversionError(f"{path}: not a torch checkpoint file (unreadable pickle)") from err
        except Exception as err:  # torch raises RuntimeError, EOFError, zipfile errors... on junk
            lines = str(err).strip().splitlines()
            raise ConversionError(
                f"{path}: not a torch checkpoint file ({lines[0] if lines else 'empty or truncated'})"
            ) from err
    layout = []
    for wrapper in spec.wrappers:
        if isinstance(obj, Mapping) and isinstance(obj.get(wrapper), Mapping):
            obj = obj[wrapper]
            layout.append(f'wrapped in {{"{wrapper}": ...}}')
    if not isinstance(obj, Mapping) or not obj:
        raise ConversionError(
            f"{path}: expected a state dict (a mapping of names to tensors), got {type(obj).__name__}"
        )
    not_tensors = [str(k) for k, v in obj.items() if not torch.is_tensor(v)]
    if not_tensors:
        accepted = (
            f" (accepted wrappers: {list(spec.wrappers)})" if spec.wrappers else " (no wrapper is accepted)"
        )
        raise ConversionError(
            f"{path}: {len(not_tensors)} entr{'y is' if len(not_tensors) == 1 else 'ies are'} not tensors: "
            f"{_names(not_tensors)}{accepted}"
        )
    state: dict[str, torch.Tensor] = {}
    stripped = dict.fromkeys(spec.prefixes, 0)
    for key, value in obj.items():
        name = str(key)
        for prefix in spec.prefixes:  # in order, as the original loader does
            if name.startswith(prefix):
                name = name[len(prefix) :]
                stripped[prefix] += 1
        if name in state:
            raise ConversionError(
                f"{path}: keys {key!r} and another one both become {name!r} once prefixes are stripped"
            )
        state[name] = value
    layout += [f"{n} keys with a '{p}' prefix" for p, n in stripped.items() if n]
    return state, ", ".join(layout) if layout else "flat"


def _looks_like(state: Mapping[str, torch.Tensor], spec: PublishedSpec) -> str:
    """A hint when ``state`` fits another published checkpoint better than ``spec``."""
    mine = set(expected_layout(spec))
    for other in PUBLISHED.values():
        if other.name == spec.name:
            continue
        theirs = set(expected_layout(other))
        if len(set(state) & theirs) > len(set(state) & mine):
            return f"; the keys look like {other.title}: use `sdr convert {other.name}`"
    return ""


def convert_state_dict(
    spec: PublishedSpec, state: Mapping[str, torch.Tensor], where: str = "state dict"
) -> dict[str, torch.Tensor]:
    """Rename every published tensor to its ``sdrlib`` key, requiring an exact match.

    Args:
        spec: which published checkpoint ``state`` is.
        state: the published state dict, wrappers and prefixes already removed.
        where: the file name, for the error message.

    Returns:
        The ``sdrlib`` state dict of the full-size model (float tensors as float32).

    Raises:
        ConversionError: missing, unexpected or mis-shaped keys, or a non-float parameter; the
            message names them (up to six of each kind, with the count).
    """
    expected = expected_layout(spec)
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    misshaped, wrong_type = [], []
    for key, (shape, dtype) in expected.items():
        if key not in state:
            continue
        value = state[key]
        if tuple(value.shape) != shape:
            misshaped.append(f"{key} (file {_shape(tuple(value.shape))}, expected {_shape(shape)})")
        elif value.is_floating_point() != dtype.is_floating_point or value.is_complex():
            wrong_type.append(f"{key} ({value.dtype}, expected {dtype})")
    problems = []
    for label, items in (
        ("missing", missing),
        ("unexpected", unexpected),
        ("mis-shaped", misshaped),
        ("wrong dtype", wrong_type),
    ):
        if items:
            problems.append(f"{len(items)} {label} key{'s' if len(items) > 1 else ''}: {_names(items)}")
    if problems:
        raise ConversionError(
            f"{where} does not match {spec.title} ({spec.num_keys} keys expected): "
            + "; ".join(problems)
            + _looks_like(state, spec)
        )
    return {
        ours: state[theirs].detach().to(dtype=expected[theirs][1]).contiguous()
        for ours, theirs in key_map(spec).items()
    }
