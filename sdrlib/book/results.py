"""Tables and figures of the results chapters, drawn from the experiments' long tables.

:func:`sdrlib.experiments.run_experiment` returns one row per run x test domain x seed
(``ExperimentResult.long``) and one row per run x test video (``ExperimentResult.videos``); the
numbers and their 95 % intervals come from :func:`sdrlib.experiments.interval_summary`, and this
module puts them beside the paper's (:func:`table2_beside_paper`), says what each column measures
on the profile's data, and draws the bar charts and the Figure 2 line plot. The studies draw their
own figures (:mod:`sdrlib.studies.plots`). Book chapters 'Table 1', 'Table 2', 'Table 3',
'Figure 2' and 'the control experiment'.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sdrlib.engine.profiles import Profile
from sdrlib.engine.uncertainty import Interval, format_interval
from sdrlib.experiments.columns import CROSS_COLUMNS, FFPP_AVG, PAPER_TABLE2
from sdrlib.experiments.intervals import interval_summary
from sdrlib.experiments.runner import as_profile
from sdrlib.utils.plotting import grouped_bars

#: What each result column stands for on real data and on SynthDF.
COLUMN_DATA = {
    "DF": ("FF++ Deepfakes", "ffpp-df"),
    "F2F": ("FF++ Face2Face", "ffpp-f2f"),
    "FS": ("FF++ FaceSwap", "ffpp-fs"),
    "NT": ("FF++ NeuralTextures", "ffpp-nt"),
    FFPP_AVG: ("FF++ c23, mean of the four manipulations", "mean of ffpp-df/f2f/fs/nt"),
    "CDF": ("Celeb-DF-v2", "celebdf"),
    "DFDC": ("DFDC", "dfdc"),
}


def is_synthetic(profile: str | Profile) -> bool:
    """Whether the profile's runs use SynthDF (a ``data.synth`` section and no data roots)."""
    prof = as_profile(profile)
    data = prof.run.get("data", {})
    return bool(data.get("synth")) and not data.get("roots")


def synth_test_videos(profile: str | Profile) -> int | None:
    """Real test videos per SynthDF domain in the profile's data, as many fakes; ``None`` on real data.

    What the results chapters check their per-domain counts against (``n_real``, ``n_fake``).
    """
    prof = as_profile(profile)
    if not is_synthetic(prof):
        return None
    return int(prof.run_config().data.synth.n_per_split.get("test", 0))


def data_label(profile: str | Profile, short: bool = False) -> str:
    """One line naming the data the profile's numbers come from, for table captions and rows."""
    prof = as_profile(profile)
    if is_synthetic(prof):
        more = "" if short else " (ffpp-df/f2f/fs/nt stand in for FF++, celebdf for CDF-v2, dfdc for DFDC)"
        return f"SynthDF, profile {prof.name}{more}"
    return f"FF++ c23 / Celeb-DF-v2 / DFDC, profile {prof.name}"


def column_legend(columns: list[str], profile: str | Profile) -> pd.DataFrame:
    """What each column of a results table measures, on the profile's data."""
    synthetic = is_synthetic(profile)
    rows = []
    for column in columns:
        real, synth = COLUMN_DATA.get(column, (column, column))
        if column == "avg":
            real, synth = "mean of the four in-domain columns", "mean of the four in-domain columns"
        rows.append({"column": column, "test data": synth if synthetic else real})
    return pd.DataFrame(rows)


def wide(summary: pd.DataFrame) -> pd.DataFrame:
    """An interval summary as a method x column table of the means (column order kept)."""
    table = summary.pivot(index="method", columns="column", values="mean")
    table = table.loc[list(dict.fromkeys(summary["method"])), list(dict.fromkeys(summary["column"]))]
    table.columns.name = None
    return table.reset_index()


def table2_beside_paper(summary: pd.DataFrame, profile: str | Profile) -> pd.DataFrame:
    """The paper's Table 2 numbers (SDR_SPEC section 3) above ours, each row labelled with its data.

    Cells the paper's material does not give are "–"; ours are ``mean [low, high]`` (95 % interval).
    """
    rows: list[dict[str, Any]] = []
    for rec in PAPER_TABLE2.to_dict("records"):
        row = {"method": rec["method"], "numbers from": "published (FF++ c23)"}
        for column in CROSS_COLUMNS:
            value = rec["FF++" if column == FFPP_AVG else column]
            row[column] = "–" if pd.isna(value) else f"{value:.1f}"
        rows.append(row)
    ours = f"ours ({data_label(profile, short=True)})"
    for method in dict.fromkeys(summary["method"]):
        sub = summary[summary["method"] == method].set_index("column")
        row = {"method": method, "numbers from": ours}
        for column in CROSS_COLUMNS:
            row[column] = (
                format_interval(Interval(*(sub.loc[column, k] / 100 for k in ("mean", "low", "high"))))
                if column in sub.index
                else "n/a"
            )
        rows.append(row)
    return pd.DataFrame(rows)


def plot_auc_bars(summary: pd.DataFrame, title: str, chance: bool = True) -> Figure:
    """Grouped bars of video AUC (%): one group per column, one bar per method, 95 % intervals as
    error bars; the legend sits outside the axes."""
    columns = list(dict.fromkeys(summary["column"]))
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 * len(columns) + 2), 3.4))
    x = grouped_bars(ax, summary, "column", "mean")
    if chance:
        ax.axhline(50, color="grey", lw=0.8, ls="--", label="chance")
    ax.set(xticks=x, xticklabels=columns, ylabel="video AUC (%)", ylim=(0, 100), title=title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def figure2_summary(videos: pd.DataFrame) -> pd.DataFrame:
    """:func:`~sdrlib.experiments.interval_summary` of the ``figure2`` grid with a numeric ``K``
    column (rows ``K = k``)."""
    summary = interval_summary(videos, CROSS_COLUMNS)
    return summary.assign(K=summary["method"].str.extract(r"K = (\d+)", expand=False).astype(int))


def plot_figure2(summary: pd.DataFrame, title: str) -> Figure:
    """Figure 2: video AUC (%) against the number of branches K, one line per test column."""
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    for column in dict.fromkeys(summary["column"]):
        sub = summary[summary["column"] == column].sort_values("K")
        ax.plot(sub["K"], sub["mean"], marker="o", label=column)
        if sub["low"].notna().any():
            ax.fill_between(sub["K"], sub["low"], sub["high"], alpha=0.15)
    ax.axhline(50, color="grey", lw=0.8, ls="--")
    ax.set(
        xlabel="number of spatial perturbation branches K",
        ylabel="video AUC (%)",
        xticks=sorted(summary["K"].unique()),
        ylim=(0, 100),
        title=title,
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def control_beside_table2(control: pd.DataFrame, table2: pd.DataFrame) -> pd.DataFrame:
    """Per model: AUC with the usual fakes (table2) and with fakes that have no temporal artifact.

    Args:
        control, table2: :func:`~sdrlib.experiments.interval_summary` of the ``control`` and
            ``table2`` experiments.
    """
    a = wide(table2).set_index("method")
    b = wide(control).set_index("method")
    rows = []
    for method in a.index.intersection(b.index):
        rec: dict[str, Any] = {"method": method}
        for column in a.columns.intersection(b.columns):
            rec[f"{column} with"] = a.loc[method, column]
            rec[f"{column} without"] = b.loc[method, column]
        rows.append(rec)
    return pd.DataFrame(rows)
