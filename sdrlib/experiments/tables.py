"""The tables of the experiment grids: video AUC (%) per row and column, mean ± std over seeds.

A grid's long table (:func:`sdrlib.engine.runs.evaluate_runs`: one row per run x condition x test
domain x seed, with an ``ffpp`` column marking the profile's FF++ domains) becomes numbers with
:func:`auc_summary` and a table of ``mean ± std`` strings with :func:`with_std`. Every results
chapter and :func:`~sdrlib.experiments.runner.run_experiment` use these two, so a number reads
the same everywhere. Book chapters 'Table 1', 'Table 2', 'Table 3' and 'Figure 2'.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

#: The table column of each test domain (SynthDF's stand-ins carry the real sets' names).
COLUMN_NAMES = {
    "ffpp-df": "DF",
    "ffpp-f2f": "F2F",
    "ffpp-fs": "FS",
    "ffpp-nt": "NT",
    "celebdf": "CDF",
    "dfdc": "DFDC",
}

#: The paper's reported video-level AUC (%) where the spec gives it (SDR_SPEC section 3).
PAPER_TABLE2 = pd.DataFrame(
    [
        {"method": "LipForensics (CVPR'21)", "CDF": 82.4, "DFDC": 73.5, "FF++": np.nan},
        {"method": "FTCN (ICCV'21)", "CDF": 86.9, "DFDC": 74.0, "FF++": 99.4},
        {"method": "RealForensics (CVPR'22)", "CDF": 86.9, "DFDC": 75.9, "FF++": np.nan},
        {"method": "AltFreezing (CVPR'23)", "CDF": 89.5, "DFDC": np.nan, "FF++": np.nan},
        {"method": "SDR (ICASSP'25)", "CDF": 88.5, "DFDC": 76.2, "FF++": 99.6},
    ]
)

FFPP_AVG = "FF++ (avg)"
CROSS_COLUMNS = [FFPP_AVG, "CDF", "DFDC"]
TABLE1_COLUMNS = ["DF", "F2F", "FS", "NT", "avg"]
_DOMAIN_OF = {name: domain for domain, name in COLUMN_NAMES.items()}


def _per_seed(sub: pd.DataFrame, column: str) -> pd.Series:
    """Video AUC per seed of one table cell: a domain, or the mean over the profile's FF++ domains
    (the long table's ``ffpp`` column)."""
    if column in (FFPP_AVG, "avg"):
        sub = sub[sub["ffpp"].astype(bool)]
    else:
        sub = sub[sub["test_domain"] == _DOMAIN_OF.get(column, column)]
    return sub.groupby("seed")["video_auc"].mean()


def auc_summary(
    long: pd.DataFrame,
    columns: list[str] | None = None,
    condition: str = "clean",
    in_domain: bool = False,
) -> pd.DataFrame:
    """Video AUC (%) of every row of an experiment and every column, mean and std over seeds.

    Args:
        long: ``ExperimentResult.long``.
        columns: column names (``DF`` ... ``DFDC``, ``FF++ (avg)``, ``avg``) or raw domain names;
            default :data:`CROSS_COLUMNS`.
        condition: the diagnostic condition to read (``clean`` for every table).
        in_domain: keep only the rows tested on their own training domain (Table 1).

    Returns:
        Tidy table: ``method``, ``column``, ``mean``, ``std`` (NaN with one seed), ``n_seeds``;
        rows in the experiment's order.
    """
    columns = columns or CROSS_COLUMNS
    sub = long[long["condition"] == condition]
    if in_domain:
        sub = sub[sub["test_domain"] == sub["train_domains"]]
    out = []
    for method in dict.fromkeys(sub["row"]):
        rows = sub[sub["row"] == method]
        for column in columns:
            values = _per_seed(rows, column).dropna().to_numpy() * 100
            out.append(
                {
                    "method": method,
                    "column": column,
                    "mean": float(values.mean()) if values.size else np.nan,
                    "std": float(values.std(ddof=1)) if values.size > 1 else np.nan,
                    "n_seeds": int(values.size),
                }
            )
    return pd.DataFrame(out, columns=["method", "column", "mean", "std", "n_seeds"])


def format_cell(mean: float, std: float) -> str:
    """``mean`` or ``mean ± std`` (one decimal; "n/a" without a value), as every table shows AUC."""
    if not np.isfinite(mean):
        return "n/a"
    return f"{mean:.1f}" if not np.isfinite(std) else f"{mean:.1f} ± {std:.1f}"


def with_std(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`auc_summary` as a method x column table of ``mean`` or ``mean ± std`` strings."""
    table = summary.assign(
        cell=[format_cell(m, s) for m, s in zip(summary["mean"], summary["std"], strict=True)]
    )
    out = table.pivot(index="method", columns="column", values="cell")
    out = out.loc[list(dict.fromkeys(summary["method"])), list(dict.fromkeys(summary["column"]))]
    out.columns.name = None
    return out.reset_index()


def _table1(long: pd.DataFrame) -> pd.DataFrame:
    """Rows = models; columns = manipulations (trained and tested in-domain) and their average."""
    return with_std(auc_summary(long, TABLE1_COLUMNS, in_domain=True))


def _cross(long: pd.DataFrame) -> pd.DataFrame:
    return with_std(auc_summary(long, CROSS_COLUMNS))


def seed_cell(per_seed: pd.Series) -> str:
    """AUC fractions of one cell, one per seed -> its :func:`format_cell` in %."""
    v = per_seed.dropna().to_numpy() * 100
    return format_cell(float(v.mean()) if v.size else np.nan, float(v.std(ddof=1)) if v.size > 1 else np.nan)


#: How each experiment's long table becomes its table.
RENDERERS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "table1": _table1,
    "table2": _cross,
    "table3": _cross,
    "figure2": _cross,
    "baselines": _cross,
    "control": _cross,
}
