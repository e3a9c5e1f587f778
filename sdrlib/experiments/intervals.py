"""Intervals for the tables: every AUC with its 95 % interval, and paired differences between rows.

A table cell is a mean over seeds of a video-level AUC (for "FF++ (avg)", of the mean AUC of the
FF++ domains). :func:`interval_summary` adds its bootstrap interval over test videos and seeds and
:func:`paired_differences` the interval of a row minus a reference row on the same videos and
seeds (:mod:`sdrlib.engine.uncertainty` explains the bootstrap). Both read the per-video scores
that the grids collect (``ExperimentResult.videos``). Every cell of one table uses the same drawn
videos and seed positions, so the differences are paired across the whole table. Book chapters
'Table 1' to 'Figure 2' and 'robustness'.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sdrlib.data.domains import family
from sdrlib.engine.uncertainty import (
    N_BOOT,
    Interval,
    format_interval,
    mean_over_drawn_seeds,
    percentile_interval,
    seed_positions,
    stratified_counts,
    weighted_auc,
)
from sdrlib.experiments.columns import CROSS_COLUMNS, FFPP_AVG, column_domain


class _Bootstrap:
    """The drawn videos (per stratum of domain and label) and seed positions of one table."""

    def __init__(self, videos: pd.DataFrame, n_boot: int, seed: int) -> None:
        universe = videos.drop_duplicates("video_id").set_index("video_id")
        self.index = pd.Series(np.arange(len(universe)), index=universe.index)
        strata = universe["domain"].astype(str) + "|" + universe["label"].astype(str)
        self.counts = stratified_counts(strata.to_numpy(), n_boot, np.random.default_rng(seed))
        self.n_boot, self.seed = n_boot, seed
        self._positions: dict[int, np.ndarray] = {}

    def positions(self, n_seeds: int) -> np.ndarray:
        if n_seeds not in self._positions:
            rng = np.random.default_rng([self.seed, n_seeds])
            self._positions[n_seeds] = seed_positions(n_seeds, self.n_boot, rng)
        return self._positions[n_seeds]

    def auc(self, run: pd.DataFrame, domain: str | None) -> tuple[float, np.ndarray]:
        """AUC of one run's videos for ``domain`` (its fakes against the reals scored with it), or
        of all its videos together (``None``: the ``all`` row)."""
        members = run if domain is None else run[
            ((run["label"] == 1) & (run["domain"] == domain))
            | ((run["label"] == 0) & run["domain"].isin({domain, family(domain)}))
        ]
        if members.empty or members["label"].nunique() < 2:
            return float("nan"), np.full(self.n_boot, np.nan)
        scores, labels = members["prob"].to_numpy(), members["label"].to_numpy()
        weights = self.counts[:, self.index.loc[members["video_id"]].to_numpy()]
        return float(weighted_auc(scores, labels)[0]), weighted_auc(scores, labels, weights)


def _fake_domains(rows: pd.DataFrame, column: str) -> list[str | None]:
    """The fake domains a column averages: the FF++ ones for the averages, ``[None]`` for ``all``
    (every video together), else its one domain."""
    if column == "all":
        return [None]
    if column in (FFPP_AVG, "avg"):
        return sorted(rows.loc[rows["ffpp"].astype(bool) & (rows["label"] == 1), "domain"].unique())
    return [column_domain(column)]


def _cell(boot: _Bootstrap, rows: pd.DataFrame, column: str) -> tuple[float, np.ndarray, int]:
    """Point value (mean over seeds) and replicates of one cell; the number of seeds.

    ``rows`` may hold several conditions (a robustness perturbation at several levels): a seed's
    value is then the mean over its conditions of the column's AUC.
    """
    domains = _fake_domains(rows, column)
    per_seed_points, per_seed_replicates = [], []
    for _, seed_rows in rows.groupby("seed", sort=True):
        pairs = [boot.auc(run, domain) for _, run in seed_rows.groupby("condition", sort=False) for domain in domains]
        per_seed_points.append(np.mean([p for p, _ in pairs]) if pairs else np.nan)
        per_seed_replicates.append(np.mean([r for _, r in pairs], axis=0) if pairs else np.full(boot.n_boot, np.nan))
    if not per_seed_points:
        return float("nan"), np.full(boot.n_boot, np.nan), 0
    replicates = mean_over_drawn_seeds(np.stack(per_seed_replicates), boot.positions(len(per_seed_points)))
    return float(np.mean(per_seed_points)), replicates, len(per_seed_points)


def _select(videos: pd.DataFrame, condition: str) -> pd.DataFrame:
    missing = {"row", "seed", "condition", "video_id", "domain", "label", "prob", "ffpp"} - set(videos.columns)
    if missing:
        raise ValueError(f"per-video table lacks columns {sorted(missing)} (ExperimentResult.videos has them)")
    return videos[videos["condition"] == condition]


def _method_rows(rows: pd.DataFrame, method: str, column: str, in_domain: bool) -> pd.DataFrame:
    sub = rows[rows["row"] == method]
    if in_domain:
        domain = column_domain(column)
        sub = sub[sub["train_domains"] == domain] if column not in (FFPP_AVG, "avg") else sub
    return sub


def interval_summary(
    videos: pd.DataFrame,
    columns: list[str] | None = None,
    condition: str = "clean",
    in_domain: bool = False,
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> pd.DataFrame:
    """Video AUC (%) of every row and column with its 95 % interval over test videos and seeds.

    Args:
        videos: ``ExperimentResult.videos`` (``row``, ``seed``, ``condition``, ``train_domains``,
            ``video_id``, ``domain``, ``label``, ``prob``; an ``ffpp`` column marks the FF++ videos).
        columns: table columns (``DF`` ... ``DFDC``, ``FF++ (avg)``, ``avg``, or domain names);
            default :data:`~sdrlib.experiments.tables.CROSS_COLUMNS`.
        in_domain: each cell from the runs trained on its own column's domain (Table 1); the
            ``avg`` column is then the mean of the in-domain cells.

    Returns:
        ``method``, ``column``, ``mean``, ``low``, ``high`` (in %), ``n_seeds``, ``n_real``,
        ``n_fake`` (test videos of the cell), rows in the table's order.
    """
    columns = columns or list(CROSS_COLUMNS)
    rows = _select(videos, condition)
    boot = _Bootstrap(rows, n_boot, seed)
    out = []
    for method in dict.fromkeys(rows["row"]):
        in_domain_reps = []
        for column in columns:
            if in_domain and column == "avg":
                value = float(np.nanmean([p for p, _ in in_domain_reps])) if in_domain_reps else np.nan
                reps = np.nanmean(np.stack([r for _, r in in_domain_reps]), axis=0) if in_domain_reps else np.full(n_boot, np.nan)
                n_seeds = out[-1]["n_seeds"] if out else 0
            else:
                value, reps, n_seeds = _cell(boot, _method_rows(rows, method, column, in_domain), column)
                if in_domain:
                    in_domain_reps.append((value, reps))
            interval = percentile_interval(value, reps)
            n_real, n_fake = _cell_counts(_method_rows(rows, method, column, in_domain), column)
            out.append(
                {
                    "method": method,
                    "column": column,
                    "mean": 100 * interval.value,
                    "low": 100 * interval.low,
                    "high": 100 * interval.high,
                    "n_seeds": n_seeds,
                    "n_real": n_real,
                    "n_fake": n_fake,
                }
            )
    return pd.DataFrame(out)


def _cell_counts(sub: pd.DataFrame, column: str) -> tuple[int, int]:
    """Real and fake test videos behind one cell (those of its first seed): the column's fakes and
    the reals scored with them (their own domain's and their family's)."""
    if sub.empty:
        return 0, 0
    domains = _fake_domains(sub, column)
    first = sub[sub["seed"] == sub["seed"].min()]
    if domains == [None]:
        members = first
    else:
        reals = {*domains, *{family(d) for d in domains}}
        members = first[
            ((first["label"] == 1) & first["domain"].isin(domains))
            | ((first["label"] == 0) & first["domain"].isin(reals))
        ]
    return int(members.loc[members["label"] == 0, "video_id"].nunique()), int(
        members.loc[members["label"] == 1, "video_id"].nunique()
    )


def count_summary(
    videos: pd.DataFrame, columns: list[str] | None = None, condition: str = "clean", in_domain: bool = False
) -> pd.DataFrame:
    """The test videos behind every cell of :func:`interval_summary`, without its bootstrap.

    Returns:
        ``method``, ``column``, ``n_real``, ``n_fake``, rows in the table's order.
    """
    columns = columns or list(CROSS_COLUMNS)
    rows = _select(videos, condition)
    out = []
    for method in dict.fromkeys(rows["row"]):
        for column in columns:
            n_real, n_fake = _cell_counts(_method_rows(rows, method, column, in_domain), column)
            out.append({"method": method, "column": column, "n_real": n_real, "n_fake": n_fake})
    return pd.DataFrame(out)


#: The label of the row of test-video counts under every results table.
COUNTS_ROW = "test videos (real / fake)"


def counts_row(counts: pd.DataFrame, columns: str = "column") -> dict[str, str]:
    """The ``real / fake`` counts under each column of a table, as one more row of it.

    ``counts``: :func:`count_summary` (or any table with ``method``, ``columns``, ``n_real``,
    ``n_fake``). Rows that saw other videos in a column (which a grid should never do) are listed
    after the common count, each with its method.
    """
    row = {"method": COUNTS_ROW}
    for column, cells in counts.groupby(columns, sort=False):
        pairs = list(zip(cells["n_real"], cells["n_fake"], strict=True))
        common = max(set(pairs), key=pairs.count)
        odd = [f"{m}: {r} / {f}" for m, (r, f) in zip(cells["method"], pairs, strict=True) if (r, f) != common]
        row[column] = f"{common[0]} / {common[1]}" + (f" ({'; '.join(odd)})" if odd else "")
    return row


def paired_differences(
    videos: pd.DataFrame,
    reference: str,
    columns: list[str] | None = None,
    condition: str = "clean",
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> pd.DataFrame:
    """Every row minus ``reference`` (AUC points) with the paired 95 % interval, per column.

    Returns:
        ``method``, ``column``, ``diff``, ``low``, ``high``, ``distinguishable`` (the interval
        excludes zero); the reference row itself is left out.
    """
    columns = columns or list(CROSS_COLUMNS)
    rows = _select(videos, condition)
    if reference not in set(rows["row"]):
        raise ValueError(f"reference row {reference!r} is not in the table: {sorted(set(rows['row']))}")
    boot = _Bootstrap(rows, n_boot, seed)
    out = []
    for column in columns:
        ref_value, ref_reps, _ = _cell(boot, rows[rows["row"] == reference], column)
        for method in dict.fromkeys(rows["row"]):
            if method == reference:
                continue
            value, reps, _ = _cell(boot, rows[rows["row"] == method], column)
            interval = percentile_interval(value - ref_value, reps - ref_reps)
            out.append(
                {
                    "method": method,
                    "column": column,
                    "diff": 100 * interval.value,
                    "low": 100 * interval.low,
                    "high": 100 * interval.high,
                    "distinguishable": bool(np.isfinite(interval.low) and (interval.low > 0 or interval.high < 0)),
                }
            )
    return pd.DataFrame(out)


def condition_drops(
    videos: pd.DataFrame,
    conditions: list[str] | dict[str, list[str]],
    column: str = FFPP_AVG,
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> pd.DataFrame:
    """AUC drop (points, clean minus condition) of every row under each condition, or under each
    group of conditions averaged, paired over the same test videos and seeds (the diagnostic).

    Args:
        conditions: condition labels, or group name -> labels (a group's AUC is the mean over its
            conditions, so its drop is the mean of their drops: a "reliance").

    Returns:
        ``method``, ``condition`` (the label or group name), ``clean``, ``auc``, ``drop``, ``low``,
        ``high`` (the drop's interval).
    """
    groups = conditions if isinstance(conditions, dict) else {c: [c] for c in conditions}
    clean = _select(videos, "clean")
    boot = _Bootstrap(clean, n_boot, seed)
    out = []
    for method in dict.fromkeys(clean["row"]):
        clean_value, clean_reps, _ = _cell(boot, clean[clean["row"] == method], column)
        mine = videos[videos["row"] == method]
        for name, labels in groups.items():
            value, reps, _ = _cell(boot, mine[mine["condition"].isin(labels)], column)
            interval = percentile_interval(clean_value - value, clean_reps - reps)
            out.append(
                {
                    "method": method,
                    "condition": name,
                    "clean": 100 * clean_value,
                    "auc": 100 * value,
                    "drop": 100 * interval.value,
                    "low": 100 * interval.low,
                    "high": 100 * interval.high,
                }
            )
    return pd.DataFrame(out)


def group_summary(
    videos: pd.DataFrame, groups: dict[str, list[str]], column: str = "all", n_boot: int = N_BOOT, seed: int = 0
) -> pd.DataFrame:
    """AUC (%) of every row averaged over each group of conditions, with its 95 % interval.

    Args:
        groups: name -> condition labels averaged (e.g. a perturbation's levels); every label must
            be in ``videos``.
        column: the AUC of each condition (``all``: every test video together).

    Returns:
        ``method``, ``group``, ``mean``, ``low``, ``high``, ``n_seeds``.
    """
    missing = sorted({c for labels in groups.values() for c in labels} - set(videos["condition"]))
    if missing:
        raise ValueError(f"conditions {missing} are not in the per-video table")
    boot = _Bootstrap(videos, n_boot, seed)
    out = []
    for method in dict.fromkeys(videos["row"]):
        mine = videos[videos["row"] == method]
        for name, labels in groups.items():
            value, reps, n_seeds = _cell(boot, mine[mine["condition"].isin(labels)], column)
            interval = percentile_interval(value, reps)
            out.append(
                {
                    "method": method,
                    "group": name,
                    "mean": 100 * interval.value,
                    "low": 100 * interval.low,
                    "high": 100 * interval.high,
                    "n_seeds": n_seeds,
                }
            )
    return pd.DataFrame(out)


def with_intervals(summary: pd.DataFrame, columns: str = "column") -> pd.DataFrame:
    """An interval summary as a method x ``columns`` table of ``"mean [low, high]"`` strings."""
    cells = [
        format_interval(Interval(m / 100, lo / 100, hi / 100))
        for m, lo, hi in zip(summary["mean"], summary["low"], summary["high"], strict=True)
    ]
    table = summary.assign(cell=cells).pivot(index="method", columns=columns, values="cell")
    table = table.loc[list(dict.fromkeys(summary["method"])), list(dict.fromkeys(summary[columns]))]
    table.columns.name = None
    return table.reset_index()


def difference_table(differences: pd.DataFrame) -> pd.DataFrame:
    """:func:`paired_differences` as a method x column table of ``"+d [lo, hi]"`` strings (points),
    with ``(n.d.)`` where the interval covers zero (not distinguishable)."""
    cells = [
        f"{d:+.1f} [{lo:+.1f}, {hi:+.1f}]" + ("" if sig else " (n.d.)") if np.isfinite(lo) else f"{d:+.1f}"
        for d, lo, hi, sig in zip(
            differences["diff"], differences["low"], differences["high"], differences["distinguishable"], strict=True
        )
    ]
    table = differences.assign(cell=cells).pivot(index="method", columns="column", values="cell")
    table = table.loc[list(dict.fromkeys(differences["method"])), list(dict.fromkeys(differences["column"]))]
    table.columns.name = None
    return table.reset_index()
