"""Matplotlib helpers shared by the figures of several sub-packages (matplotlib imported lazily by
the callers' figures, never at ``import sdrlib``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def bare_axes(ax: Any) -> None:
    """An image panel: no ticks, grid or frame, but room for a row label."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)


def grouped_bars(ax: Any, table: pd.DataFrame, group: str, value: str) -> np.ndarray:
    """One group of bars per ``group`` value, one bar per ``method``, with the interval
    ``low``..``high`` as error bar when the table has one; returns the group positions."""
    methods = list(dict.fromkeys(table["method"]))
    groups = list(dict.fromkeys(table[group]))
    width = 0.8 / max(1, len(methods))
    x = np.arange(len(groups))
    for i, method in enumerate(methods):
        sub = table[table["method"] == method].set_index(group).reindex(groups)
        err = None
        if {"low", "high"} <= set(sub.columns) and sub["low"].notna().any():
            err = np.stack([(sub[value] - sub["low"]).fillna(0), (sub["high"] - sub[value]).fillna(0)]).clip(0)
        ax.bar(x + (i - (len(methods) - 1) / 2) * width, sub[value], width, yerr=err, label=method, capsize=2)
    return x
