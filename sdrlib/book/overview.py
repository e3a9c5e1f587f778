"""The introduction's overview: a map of ``sdrlib`` and a schematic of the SDR pipeline.

Both are read from the code (the sub-packages and their docstrings) or parameterised by the
method's own hyper-parameter (the number of branches K), so the introduction cannot drift from
the library (book chapter 'Introduction').
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import FancyBboxPatch, Rectangle

import sdrlib

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

BRANCH_COLOURS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C")


#: "(SDR_SPEC section 2.1; book chapter 'TPA')" in a docstring: a pointer for developers, not a
#: reader of the book (who has the chapters, and the appendix 'Provenance' for SDR_SPEC's marks).
_POINTERS = re.compile(r"\s*\((?:SDR_SPEC|book chapter)[^)]*\)")


def subpackages() -> pd.DataFrame:
    """One row per sub-package of ``sdrlib``: its name, the first line of its docstring (without
    its pointers to SDR_SPEC and book chapters), its size.

    Every sub-package is imported, so this also checks that the library imports cleanly.
    """
    rows = []
    for info in sorted(pkgutil.iter_modules(sdrlib.__path__), key=lambda m: m.name):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"sdrlib.{info.name}")
        doc = (module.__doc__ or "").strip().splitlines()
        rows.append(
            {
                "sub-package": f"sdrlib.{info.name}",
                "what it holds": _POINTERS.sub("", doc[0]) if doc else "",
                "public names": len(getattr(module, "__all__", ())),
            }
        )
    return pd.DataFrame(rows)


def _box(
    ax: Axes,
    x: float,
    y: float,
    text: str,
    colour: str,
    width: float = 1.2,
    height: float = 0.5,
    fontsize: float = 10,
) -> None:
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.03",
            facecolor=colour,
            edgecolor="black",
            linewidth=0.8,
            alpha=0.9,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "->", "linewidth": 0.8})


def pipeline_figure(num_branches: int = 4) -> Figure:
    """Schematic of SDR: clip -> K spatial perturbation branches -> TRFI -> temporal transformer.

    The fusion box states both rules: in training TRFI fuses the posterior samples ``z_k`` of the
    K perturbed views; at test time TPA is off, the clean clip goes through the trunk once and
    TRFI fuses the posterior means ``mu_k`` (book chapter 'SPBs, the trunk and TRFI').

    Args:
        num_branches: K, the number of SPBs (the paper uses 2 to 5; 4 is its default).

    Raises:
        ValueError: ``num_branches`` is not between 1 and 8.
    """
    if not 1 <= num_branches <= len(BRANCH_COLOURS):
        raise ValueError(f"num_branches must be between 1 and {len(BRANCH_COLOURS)}, got {num_branches}")
    fig, ax = plt.subplots(figsize=(8.6, 0.8 * num_branches + 2.0))
    ys = [num_branches - 1 - k for k in range(num_branches)]
    centre = (num_branches - 1) / 2
    columns = {"clip": 0.0, "tpa": 1.9, "trunk": 3.5, "head": 5.1, "fuse": 7.15, "tt": 9.2, "out": 10.7}

    _box(ax, columns["clip"], centre, "clip\nT x H x W", "#EEEEEE")
    for k, y in enumerate(ys):
        colour = BRANCH_COLOURS[k]
        _box(ax, columns["tpa"], y, f"TPA$_{k + 1}$", colour + "55")
        _box(ax, columns["trunk"], y, "trunk", "#DDDDDD")
        _box(ax, columns["head"], y, f"$q(z_{k + 1} \\mid H_{k + 1})$", colour + "55")
        _arrow(ax, (columns["clip"] + 0.6, centre), (columns["tpa"] - 0.6, y))
        _arrow(ax, (columns["tpa"] + 0.6, y), (columns["trunk"] - 0.6, y))
        _arrow(ax, (columns["trunk"] + 0.6, y), (columns["head"] - 0.6, y))
        _arrow(ax, (columns["head"] + 0.6, y), (columns["fuse"] - 1.1, centre))
    _box(
        ax,
        columns["fuse"],
        centre,
        "train: $Z = \\mathrm{mean}_k\\, z_k$\ntest: $Z = \\mathrm{mean}_k\\, \\mu_k$",
        "#F3E6B3",
        width=2.1,
        height=0.9,
        fontsize=9,
    )
    _box(ax, columns["tt"], centre, "temporal\ntransformer", "#DDDDDD", width=1.4, height=0.6)
    _box(
        ax,
        columns["out"],
        centre,
        "$p(\\mathrm{fake})$\n$\\mathcal{L}_{\\mathrm{BCE}}$",
        "#EEEEEE",
        width=1.0,
    )
    _arrow(ax, (columns["fuse"] + 1.1, centre), (columns["tt"] - 0.72, centre))
    _arrow(ax, (columns["tt"] + 0.72, centre), (columns["out"] - 0.5, centre))

    top, bottom = num_branches - 0.35, -0.45
    for (left, right), label in (
        ((columns["tpa"] - 0.72, columns["trunk"] + 0.72), f"K = {num_branches} SPBs, one shared trunk"),
        (
            (columns["head"] - 0.75, columns["fuse"] + 0.9),
            "TRFI: posteriors, $\\mathcal{L}_{\\mathrm{MI}}$, $\\mathcal{L}_{\\mathrm{con}}$, fusion",
        ),
    ):
        ax.add_patch(
            Rectangle((left, bottom), right - left, top - bottom, fill=False, linestyle="--", linewidth=0.8)
        )
        ax.text((left + right) / 2, top + 0.1, label, ha="center", va="bottom", fontsize=10)
    ax.text(
        columns["tpa"] - 0.72,
        bottom - 0.15,
        "test time: TPA off, the clean clip goes through the trunk once and through all K heads",
        ha="left",
        va="top",
        fontsize=10,
        style="italic",
    )

    ax.set_xlim(-0.7, 11.3)
    ax.set_ylim(bottom - 0.6, top + 0.6)
    ax.set_axis_off()
    ax.grid(False)
    fig.tight_layout()
    return fig
