"""Loading user-supplied weights, and inflating 2D ImageNet ResNet-50 weights into the 3D trunk.

Nothing here downloads anything: every function takes a file or a state dict the user already has.

Inflation (book chapter 'FTCN') [A]: FTCN and SDR train from scratch (SDR_SPEC 4), but an ImageNet
start is a common variant. A 2D kernel ``(O, I, kh, kw)`` becomes a 3D kernel ``(O, I, kt, kh', kw')``:

* temporally, ``temporal="centre"`` puts the 2D kernel in the middle time slice and zeros elsewhere
  (the network starts as a per-frame 2D network), ``temporal="mean"`` repeats it ``kt`` times
  divided by ``kt`` (I3D's inflation: a static clip gives the 2D response);
* spatially, when the 3D kernel is ``1x1`` but the 2D one is larger (every ``3x3`` conv and the
  ``7x7`` stem of the FTCN trunk), ``spatial="sum"`` (default) sums the taps, which keeps the
  filter's response to locally constant input (its DC gain), the best single-tap summary for
  natural images whose neighbouring pixels are strongly correlated; ``spatial="centre"`` keeps the
  centre tap only.

The torchvision and timm ResNet-50 state dicts share key names (``conv1``, ``bn1``,
``layerN.i.conv1..3``, ``bnN``, ``downsample.0/1``), so one mapping serves both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn

from sdrlib.models.resnet3d import ResNet3dTrunk

_WRAPPER_KEYS = ("state_dict", "model", "model_state_dict", "module")
_PREFIXES = ("module.", "_orig_mod.")


@dataclass
class LoadReport:
    """What :func:`load_weights` / :func:`inflate_2d_resnet50` did.

    Attributes:
        loaded: target keys that received a tensor.
        missing: target keys with no tensor in the source.
        unexpected: source keys with no place in the target.
        mismatched: ``"key: source shape vs target shape"`` for keys whose shapes differ.
    """

    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a safetensors file or a torch state dict (``weights_only=True``) from ``path``.

    Common wrappers (``{"state_dict": ...}``, ``{"model": ...}``) and the ``module.`` /
    ``_orig_mod.`` prefixes of DataParallel / ``torch.compile`` are removed.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights file not found: {path}")
    if path.suffix == ".safetensors":
        state = load_file(str(path))
    else:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:
            raise ValueError(f"{path}: not a safetensors file or a torch state dict ({err})") from err
    for key in _WRAPPER_KEYS:
        if isinstance(state, Mapping) and key in state and isinstance(state[key], Mapping):
            state = state[key]
    if not isinstance(state, Mapping) or not all(torch.is_tensor(v) for v in state.values()):
        raise ValueError(f"{path}: expected a mapping from parameter names to tensors")
    out = {}
    for key, value in state.items():
        for prefix in _PREFIXES:
            if key.startswith(prefix):
                key = key[len(prefix) :]
        out[key] = value
    return out


def _summary(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" ... (+{len(names) - limit} more)" if len(names) > limit else "")


def load_weights(
    model: nn.Module, source: str | Path | Mapping[str, torch.Tensor], allow_partial: bool = False
) -> LoadReport:
    """Load a user-supplied state dict (file or mapping) into ``model``.

    Args:
        model: the target.
        source: a ``.safetensors`` file, a torch state-dict file, or a mapping.
        allow_partial: load the keys that match in name and shape and report the rest, instead of
            raising.

    Raises:
        ValueError: (unless ``allow_partial``) missing or unexpected keys or shape mismatches; the
            message names them.
    """
    state = read_state_dict(source) if isinstance(source, (str, Path)) else dict(source)
    target = model.state_dict()
    report = LoadReport()
    report.missing = [k for k in target if k not in state]
    report.unexpected = [k for k in state if k not in target]
    for key, value in state.items():
        if key in target and tuple(value.shape) != tuple(target[key].shape):
            report.mismatched.append(f"{key}: {tuple(value.shape)} vs {tuple(target[key].shape)}")
    problems = []
    if report.missing:
        problems.append(f"missing keys: {_summary(report.missing)}")
    if report.unexpected:
        problems.append(f"unexpected keys: {_summary(report.unexpected)}")
    if report.mismatched:
        problems.append(f"shape mismatches (source vs model): {_summary(report.mismatched)}")
    if problems and not allow_partial:
        raise ValueError(
            f"weights do not fit {type(model).__name__}: "
            + "; ".join(problems)
            + " (pass allow_partial=True to load only what matches)"
        )
    bad = {m.split(":")[0] for m in report.mismatched}
    usable = {k: v for k, v in state.items() if k in target and k not in bad}
    model.load_state_dict(usable, strict=False)
    report.loaded = sorted(usable)
    return report


def inflate_kernel(
    weight_2d: torch.Tensor,
    shape_3d: torch.Size | tuple[int, ...],
    temporal: str = "centre",
    spatial: str = "sum",
) -> torch.Tensor:
    """Inflate one 2D conv kernel to a 3D kernel of ``shape_3d`` (see the module docstring).

    Shape:
        ``(O, I, kh, kw)`` -> ``shape_3d = (O, I, kt, kh', kw')`` with ``kh' in (1, kh)``.
    """
    if temporal not in ("centre", "mean") or spatial not in ("sum", "centre"):
        raise ValueError(
            f"temporal must be centre|mean and spatial sum|centre, got {temporal!r}, {spatial!r}"
        )
    out_c, in_c, kt, kh, kw = shape_3d
    if weight_2d.dim() != 4 or tuple(weight_2d.shape[:2]) != (out_c, in_c):
        raise ValueError(
            f"cannot inflate a kernel of shape {tuple(weight_2d.shape)} into {tuple(shape_3d)}: channel counts differ "
            "(inflation needs width_mult=1)"
        )
    if (kh, kw) == tuple(weight_2d.shape[2:]):
        spatial_kernel = weight_2d
    elif (kh, kw) == (1, 1):
        if spatial == "sum":
            spatial_kernel = weight_2d.sum(dim=(2, 3), keepdim=True)
        else:
            spatial_kernel = weight_2d[:, :, weight_2d.shape[2] // 2, weight_2d.shape[3] // 2][
                ..., None, None
            ]
    else:
        raise ValueError(f"cannot inflate spatial kernel {tuple(weight_2d.shape[2:])} into {(kh, kw)}")
    if temporal == "mean":
        return spatial_kernel.unsqueeze(2).repeat(1, 1, kt, 1, 1) / kt
    out = torch.zeros(shape_3d, dtype=weight_2d.dtype)
    out[:, :, kt // 2] = spatial_kernel
    return out


def _resnet_key_map(trunk: ResNet3dTrunk) -> dict[str, str]:
    """``{trunk key prefix: 2D ResNet key prefix}`` for every conv and BN of the trunk."""
    mapping = {"stem.conv": "conv1", "stem.bn": "bn1"}
    for stage in range(2, 6):
        blocks = getattr(trunk, f"res{stage}", None)
        if blocks is None:
            continue
        for index, block in enumerate(blocks):
            src, dst = f"layer{stage - 1}.{index}", f"res{stage}.{index}"
            for ours, theirs in (("a", "1"), ("b", "2"), ("c", "3")):
                mapping[f"{dst}.conv_{ours}"] = f"{src}.conv{theirs}"
                mapping[f"{dst}.bn_{ours}"] = f"{src}.bn{theirs}"
            if block.has_shortcut:
                mapping[f"{dst}.short_conv"] = f"{src}.downsample.0"
                mapping[f"{dst}.short_bn"] = f"{src}.downsample.1"
    return mapping


def inflate_2d_resnet50(
    model: nn.Module,
    state_dict_2d: Mapping[str, torch.Tensor] | str | Path,
    temporal: str = "centre",
    spatial: str = "sum",
) -> LoadReport:
    """Inflate a 2D ResNet-50 state dict (torchvision or timm key names) into every 3D trunk of ``model``.

    ``model`` is a :class:`ResNet3dTrunk` or a model holding one (``model.trunk``) or several
    (``model.trunks``): ``ftcn``, ``i3d`` or ``sdr`` at ``width_mult=1`` and ``depth_mult <= 1``
    (shallower stages take the first 2D blocks; deeper ones cannot be filled). The 2D ``fc`` and, for the FTCN trunk, the
    ``layer4`` keys have no place and are reported as unexpected; the temporal head keeps its
    initialisation.

    Args:
        model: target.
        state_dict_2d: the 2D state dict or a file holding it.
        temporal: ``"centre"`` or ``"mean"`` temporal inflation.
        spatial: ``"sum"`` or ``"centre"`` reduction of 3x3/7x7 kernels to the FTCN's 1x1.

    Raises:
        ValueError: a trunk tensor has no 2D counterpart, or channel counts differ.
    """
    state = read_state_dict(state_dict_2d) if isinstance(state_dict_2d, (str, Path)) else dict(state_dict_2d)
    if isinstance(model, ResNet3dTrunk):
        trunks = [("", model)]
    elif isinstance(getattr(model, "trunks", None), nn.ModuleList):
        trunks = [(f"trunks.{i}.", trunk) for i, trunk in enumerate(model.trunks)]
    elif isinstance(getattr(model, "trunk", None), ResNet3dTrunk):
        trunks = [("trunk.", model.trunk)]
    else:
        raise TypeError(f"{type(model).__name__} has no 3D ResNet trunk to inflate into")
    report = LoadReport()
    used: set[str] = set()
    for prefix, trunk in trunks:
        mapping = _resnet_key_map(trunk)
        new_state = {}
        for key, target in trunk.state_dict().items():
            module_key, _, leaf = key.rpartition(".")
            source_key = f"{mapping[module_key]}.{leaf}" if module_key in mapping else key
            if leaf == "num_batches_tracked" and source_key not in state:
                continue  # a counter, absent from some exports; the trunk keeps its own
            if source_key not in state:
                report.missing.append(prefix + key)
                continue
            value = state[source_key]
            if target.dim() == 5:
                value = inflate_kernel(value, target.shape, temporal, spatial)
            elif tuple(value.shape) != tuple(target.shape):
                raise ValueError(
                    f"{source_key}: shape {tuple(value.shape)} does not fit {prefix + key} {tuple(target.shape)} "
                    "(inflation needs width_mult=1)"
                )
            new_state[key] = value.to(target.dtype)
            used.add(source_key)
            report.loaded.append(prefix + key)
        if report.missing:
            raise ValueError(f"the 2D state dict lacks tensors for: {_summary(report.missing)}")
        trunk.load_state_dict(new_state, strict=True)
    report.unexpected = sorted(set(state) - used)
    return report
