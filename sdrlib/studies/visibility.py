"""What the trunk sees: how much a perturbation changes the tokens of a video trunk.

SDR's branches only help if each perturbation changes what the trunk sees (SDR_SPEC 2.1-2.2):
TRFI keeps what the K views share, and a view the trunk cannot tell from the clean clip adds
nothing. The FTCN trunk has no spatial kernel (every spatial kernel is 1x1), max-pools over 2x2
neighbourhoods and averages its features over space, so some perturbations are nearly invisible
to it by construction. This module measures it, for any clip transform (a TPA op, a diagnostic
condition):

    change(x) = || tokens(T(x)) - tokens(x) || / || tokens(x) ||,

the relative change of the trunk's token sequence (the spatial mean per time step, before the
temporal head), averaged over clips and random draws. Three kinds of content are used, because
the answer depends on it (docs/tpa_visibility.md): smooth random clips (low-pass noise), SynthDF
faces and, where the shared sample videos are present, aligned crops of real faces.

The rule that picked SDR's default branches (:data:`sdrlib.augment.DEFAULT_OPS`): every default
op changes the tokens of the untrained full-size trunk at 224 px by at least half the median
change of the default set (:func:`visibility_rule`). Book chapters 'TPA' and
'spatial-dependency diagnostic'.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from sdrlib.augment import apply_op
from sdrlib.data.normalize import normalize
from sdrlib.data.synthetic import get_domain, render_pair
from sdrlib.models.temporal_transformer import spatial_tokens

ClipTransform = Callable[[torch.Tensor], torch.Tensor]
#: SynthDF domains whose test pairs serve as face-like content (reals and fakes alternate).
CONTENT_DOMAINS = ("ffpp-df", "ffpp-f2f", "celebdf", "dfdc")


def smooth_clips(count: int, frames: int, size: int, seed: int = 0) -> torch.Tensor:
    """Smooth random clips: a bicubic up-sampled noise field in [0.1, 0.9] that drifts diagonally
    by ``size / 32`` pixels per frame (so that time has a structure to destroy).

    Shape:
        returns ``(count, 3, frames, size, size)`` float in [0, 1].
    """
    generator = torch.Generator().manual_seed(seed)
    step = max(1, size // 32)
    side = size + step * (frames - 1)
    coarse = torch.rand((count, 3, max(2, side // 8), max(2, side // 8)), generator=generator)
    field = F.interpolate(coarse, size=(side, side), mode="bicubic", align_corners=False).clamp(0.0, 1.0)
    clips = torch.stack([field[..., t * step : t * step + size, t * step : t * step + size] for t in range(frames)], 2)
    return (0.1 + 0.8 * clips).contiguous()


def synthdf_clips(count: int, frames: int, size: int, seed: int = 0) -> torch.Tensor:
    """SynthDF test clips (reals and fakes alternating over :data:`CONTENT_DOMAINS`), rendered at ``size``.

    Shape:
        returns ``(count, 3, frames, size, size)`` float in [0, 1].
    """
    clips = []
    for i in range(count):
        pair = render_pair(get_domain(CONTENT_DOMAINS[i % len(CONTENT_DOMAINS)]), "test", i, frames, size, seed)
        clips.append(torch.from_numpy(pair.real if i % 2 == 0 else pair.fake))
    return torch.stack(clips).permute(0, 4, 1, 2, 3).float().div(255.0)


def resize_clips(x: torch.Tensor, size: int) -> torch.Tensor:
    """Every frame resized to ``size`` x ``size`` (bilinear, antialiased).

    Shape:
        ``(B, 3, T, H, W)`` -> ``(B, 3, T, size, size)``.
    """
    b, c, t, h, w = x.shape
    if (h, w) == (size, size):
        return x
    frames = x.transpose(1, 2).reshape(b * t, c, h, w)
    frames = F.interpolate(frames, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return frames.reshape(b, t, c, size, size).transpose(1, 2).contiguous().clamp(0.0, 1.0)


@torch.no_grad()
def trunk_tokens(model: torch.nn.Module, x01: torch.Tensor) -> torch.Tensor:
    """The trunk's tokens of clean-or-perturbed clips (``model.trunk``: ``ftcn``, ``i3d``, ``sdr``).

    Shape:
        x01: ``(B, 3, T, H, W)`` float in [0, 1] -> ``(B, T', C)``.
    """
    trunk = model.trunk
    return spatial_tokens(trunk(normalize(x01.to(next(trunk.parameters()).device))))


def token_change(model: torch.nn.Module, x01: torch.Tensor, transform: ClipTransform) -> np.ndarray:
    """Relative change of the trunk's tokens per clip, ``||t(T(x)) - t(x)|| / ||t(x)||``.

    Shape:
        x01: ``(B, 3, T, H, W)`` float in [0, 1] -> ``(B,)``.
    """
    reference = trunk_tokens(model, x01).flatten(1)
    changed = trunk_tokens(model, transform(x01)).flatten(1)
    return ((changed - reference).norm(dim=1) / reference.norm(dim=1).clamp_min(1e-12)).cpu().numpy()


def op_token_changes(
    model: torch.nn.Module,
    x01: torch.Tensor,
    ops: Sequence[str],
    strength: float = 1.0,
    draws: int = 3,
    seed: int = 0,
) -> pd.Series:
    """Mean relative token change (%) under each TPA op, over clips and ``draws`` random draws.

    Returns:
        A Series indexed by op name.
    """
    was_training = model.training
    model.eval()
    out = {}
    for op in ops:
        values = [
            token_change(model, x01, lambda x, d=d, op=op: apply_op(op, x, strength, torch.Generator().manual_seed(seed + d)))
            for d in range(draws)
        ]
        out[op] = 100.0 * float(np.mean(values))
    model.train(was_training)
    return pd.Series(out, name="token change (%)")


def transform_token_changes(
    model: torch.nn.Module, x01: torch.Tensor, transforms: Mapping[str, ClipTransform]
) -> pd.Series:
    """Mean relative token change (%) under each named clip transform (e.g. diagnostic conditions)."""
    was_training = model.training
    model.eval()
    out = {name: 100.0 * float(token_change(model, x01, transform).mean()) for name, transform in transforms.items()}
    model.train(was_training)
    return pd.Series(out, name="token change (%)")


def visibility_rule(changes: pd.Series, ops: Sequence[str]) -> pd.DataFrame:
    """The default-set rule: each op of ``ops`` changes the tokens by at least half their median.

    Args:
        changes: token change (%) per op (:func:`op_token_changes`).
        ops: the set to check (e.g. the K = 4 default branches).

    Returns:
        One row per op: ``op``, ``change``, ``threshold`` (half the median of the set), ``visible``.
    """
    values = changes.loc[list(ops)]
    threshold = 0.5 * float(values.median())
    return pd.DataFrame(
        {"op": list(ops), "change": values.to_numpy(), "threshold": threshold, "visible": values.to_numpy() >= threshold}
    )


def plot_token_changes(table: pd.DataFrame, title: str, highlight: Sequence[str] = ()) -> Figure:
    """Horizontal grouped bars: one group per op (rows of ``table``), one bar per column (setting).

    Args:
        table: token change (%) with ops as index and settings as columns.
        highlight: ops to mark in bold (e.g. the default branches).
    """
    ops = list(table.index)
    settings = list(table.columns)
    height = 0.8 / max(1, len(settings))
    fig, ax = plt.subplots(figsize=(7.0, 0.42 * len(ops) * max(1, len(settings)) ** 0.5 + 1.2))
    y = np.arange(len(ops))
    for i, setting in enumerate(settings):
        ax.barh(y + (i - (len(settings) - 1) / 2) * height, table[setting].to_numpy(), height, label=setting)
    ax.set_yticks(y, ops)
    for label in ax.get_yticklabels():
        if label.get_text() in highlight:
            label.set_fontweight("bold")
    ax.invert_yaxis()
    ax.set_xscale("log")
    # plain numbers at a few round values: the log axis' default minor labels (3x10^0, 4x10^0...)
    # overlap on a narrow figure
    ticks = [v for v in (1, 2, 5, 10, 20, 50, 100, 200) if ax.get_xlim()[0] <= v <= ax.get_xlim()[1]]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set(xlabel="relative change of the trunk's tokens (%, log scale)", title=title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig
