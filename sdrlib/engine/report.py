"""Tables and figures of the results chapters, drawn from the experiments' long tables.

:func:`sdrlib.engine.experiments.run_experiment` returns one row per run x test domain x seed
(``ExperimentResult.long``) and a formatted table; this module turns the long table into numbers
(:func:`auc_summary`), puts them beside the paper's (:func:`table2_beside_paper`), and draws the
bar charts, the Figure 2 line plot, the diagnostic drops and the robustness curves; for the
chapter on your own video it finds a demo video and draws the frame-by-frame views. Book chapters
'Table 1', 'Table 2', 'Table 3', 'Figure 2', 'spatial-dependency diagnostic', 'robustness' and
'your own video'.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sdrlib.data.video.samples import shared_videos_dir  # noqa: F401  (re-exported for the book)
from sdrlib.engine.experiments import (  # noqa: F401  (the tables' helpers, re-exported for the book)
    CROSS_COLUMNS,
    FFPP_AVG,
    FFPP_DOMAINS,
    PAPER_TABLE2,
    TABLE1_COLUMNS,
    Profile,
    auc_summary,
    format_cell,
    with_std,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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
    prof = profile if isinstance(profile, Profile) else Profile.load(profile)
    data = prof.run.get("data", {})
    return bool(data.get("synth")) and not data.get("roots")


def data_label(profile: str | Profile, short: bool = False) -> str:
    """One line naming the data the profile's numbers come from, for table captions and rows."""
    prof = profile if isinstance(profile, Profile) else Profile.load(profile)
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
    """:func:`auc_summary` as a method x column table of means (column order kept)."""
    table = summary.pivot(index="method", columns="column", values="mean")
    table = table.loc[list(dict.fromkeys(summary["method"])), list(dict.fromkeys(summary["column"]))]
    table.columns.name = None
    return table.reset_index()


def table2_beside_paper(summary: pd.DataFrame, profile: str | Profile) -> pd.DataFrame:
    """The paper's Table 2 numbers (SDR_SPEC section 3) above ours, each row labelled with its data.

    Cells the paper's material does not give are "–"; our cells are ``mean`` or ``mean ± std``.
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
                format_cell(sub.loc[column, "mean"], sub.loc[column, "std"]) if column in sub.index else "n/a"
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _grouped_bars(ax: Any, table: pd.DataFrame, group: str, value: str) -> np.ndarray:
    """One group of bars per ``group`` value, one bar per ``method`` (``std`` as error bar when any);
    returns the group positions."""
    methods = list(dict.fromkeys(table["method"]))
    groups = list(dict.fromkeys(table[group]))
    width = 0.8 / max(1, len(methods))
    x = np.arange(len(groups))
    for i, method in enumerate(methods):
        sub = table[table["method"] == method].set_index(group).reindex(groups)
        err = sub["std"].fillna(0).to_numpy() if sub["std"].notna().any() else None
        ax.bar(x + (i - (len(methods) - 1) / 2) * width, sub[value], width, yerr=err, label=method, capsize=2)
    return x


def plot_auc_bars(summary: pd.DataFrame, title: str, chance: bool = True) -> Figure:
    """Grouped bars of video AUC (%): one group per column, one bar per method (std as error bar)."""
    import matplotlib.pyplot as plt

    methods = list(dict.fromkeys(summary["method"]))
    columns = list(dict.fromkeys(summary["column"]))
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 * len(columns) + 2), 3.4))
    x = _grouped_bars(ax, summary, "column", "mean")
    if chance:
        ax.axhline(50, color="grey", lw=0.8, ls="--", label="chance")
    ax.set(xticks=x, xticklabels=columns, ylabel="video AUC (%)", ylim=(0, 100), title=title)
    ax.legend(fontsize=8, ncol=min(len(methods), 3), loc="lower left")
    fig.tight_layout()
    return fig


def figure2_summary(long: pd.DataFrame) -> pd.DataFrame:
    """:func:`auc_summary` of the ``figure2`` grid with a numeric ``K`` column (rows ``K = k``)."""
    summary = auc_summary(long, CROSS_COLUMNS)
    return summary.assign(K=summary["method"].str.extract(r"K = (\d+)", expand=False).astype(int))


def plot_figure2(summary: pd.DataFrame, title: str) -> Figure:
    """Figure 2: video AUC (%) against the number of branches K, one line per test column."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    for column in dict.fromkeys(summary["column"]):
        sub = summary[summary["column"] == column].sort_values("K")
        ax.plot(sub["K"], sub["mean"], marker="o", label=column)
        if sub["std"].notna().any():
            ax.fill_between(sub["K"], sub["mean"] - sub["std"], sub["mean"] + sub["std"], alpha=0.15)
    ax.axhline(50, color="grey", lw=0.8, ls="--")
    ax.set(
        xlabel="number of spatial perturbation branches K",
        ylabel="video AUC (%)",
        xticks=sorted(summary["K"].unique()),
        ylim=(0, 100),
        title=title,
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def diagnostic_drops(long: pd.DataFrame) -> pd.DataFrame:
    """AUC drop (percentage points, clean minus condition) on the FF++ test domains, per model.

    Returns:
        Tidy table: ``method``, ``condition``, ``kind`` (temporal or spatial destruction),
        ``clean``, ``auc``, ``drop`` (means over seeds), ``std`` of the drop (NaN with one seed).
    """
    from sdrlib.engine.diagnose import CONDITIONS, TEMPORAL_CONDITIONS

    sub = long[long["test_domain"].isin(FFPP_DOMAINS)]
    out = []
    for method in dict.fromkeys(sub["row"]):
        rows = sub[sub["row"] == method]
        clean = rows[rows["condition"] == "clean"].groupby("seed")["video_auc"].mean() * 100
        for condition in (c for c in CONDITIONS if c != "clean"):
            auc = rows[rows["condition"] == condition].groupby("seed")["video_auc"].mean() * 100
            drop = (clean - auc).dropna()
            out.append(
                {
                    "method": method,
                    "condition": condition,
                    "kind": "temporal" if condition in TEMPORAL_CONDITIONS else "spatial",
                    "clean": float(clean.mean()),
                    "auc": float(auc.mean()),
                    "drop": float(drop.mean()),
                    "std": float(drop.std(ddof=1)) if len(drop) > 1 else np.nan,
                }
            )
    return pd.DataFrame(out)


def _bare(ax: Any) -> None:
    """An image panel: no ticks, grid or frame, but room for a row label."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)


def auc_resolution(long: pd.DataFrame) -> pd.DataFrame:
    """How coarse each test domain's AUC is: with ``r`` real and ``f`` fake test videos, one swapped
    pair of videos moves the AUC by ``1 / (r f)``.

    ``n_videos`` counts the reals scored with the domain and its fakes; reals and fakes are taken
    as half each (SynthDF's splits, and FF++'s, are balanced per domain).

    Returns:
        ``test_domain``, ``n_videos``, ``step`` (AUC points moved by one pair), one row per domain.
    """
    sub = long[(long["condition"] == "clean") & (long["test_domain"] != "all")]
    counts = sub.groupby("test_domain", sort=False)["n_videos"].min()
    half = counts / 2
    return pd.DataFrame(
        {"test_domain": counts.index, "n_videos": counts.to_numpy(), "step": (100 / (half * half)).to_numpy()}
    )


def example_clip(config: Any, domain: str, label: int = 1) -> Any:
    """The first test clip of ``domain`` with ``label`` (1 = fake) as floats in [0, 1].

    Args:
        config: a :class:`~sdrlib.engine.config.RunConfig` (its data section is used).

    Shape:
        returns ``(3, T, H, W)``.

    Raises:
        ValueError: the test split has no such clip.
    """
    from sdrlib.engine.data import open_split

    dataset = open_split(config.data, "test", "eval", [domain])
    matches = np.flatnonzero(dataset.labels == label)  # per-item labels: nothing decoded to search
    if matches.size == 0:
        raise ValueError(f"no test clip with label {label} in domain {domain!r}")
    return dataset[int(matches[0])]["clip"].permute(3, 0, 1, 2).float().div(255.0)


def plot_conditions(clip: Any, frames: int = 4, seed: int = 0) -> Figure:
    """A clip under every condition of the spatial-dependency diagnostic, ``frames`` frames each.

    Shape:
        clip: ``(3, T, H, W)`` float in [0, 1].
    """
    import matplotlib.pyplot as plt

    from sdrlib.engine.diagnose import CONDITIONS, condition_transform

    x = clip[None]
    positions = np.linspace(0, x.shape[2] - 1, frames).round().astype(int)
    fig, axes = plt.subplots(len(CONDITIONS), frames, figsize=(1.2 * frames + 1.6, 1.2 * len(CONDITIONS)))
    for i, condition in enumerate(CONDITIONS):
        transform = condition_transform(condition, seed)
        y = x if transform is None else transform(x.clone())
        for j, t in enumerate(positions):
            ax = axes[i, j]
            ax.imshow(y[0, :, t].permute(1, 2, 0).clamp(0, 1).numpy(), interpolation="nearest")
            _bare(ax)
            if i == 0:
                ax.set_title(f"frame {t}", fontsize=8)
            if j == 0:
                ax.set_ylabel(condition.replace("_", "\n"), fontsize=8)
    fig.tight_layout(pad=0.3)
    return fig


def plot_diagnostic(drops: pd.DataFrame, title: str) -> Figure:
    """Bars of the AUC drop under each destruction, grouped by condition, one bar per model."""
    import matplotlib.pyplot as plt

    methods = list(dict.fromkeys(drops["method"]))
    conditions = list(dict.fromkeys(drops["condition"]))
    fig, ax = plt.subplots(figsize=(7.0, 3.4))
    x = _grouped_bars(ax, drops, "condition", "drop")
    kinds = drops.drop_duplicates("condition").set_index("condition")["kind"].reindex(conditions)
    labels = [f"{c}\n({k})" for c, k in zip(conditions, kinds, strict=True)]
    ax.axhline(0, color="black", lw=0.8)
    ax.set(xticks=x, xticklabels=labels, ylabel="AUC drop (points)", title=title)
    ax.legend(fontsize=8, ncol=min(len(methods), 4))
    fig.tight_layout()
    return fig


def control_beside_table2(control: pd.DataFrame, table2: pd.DataFrame) -> pd.DataFrame:
    """Per model: AUC with the usual fakes (table2) and with fakes that have no temporal artifact.

    Args:
        control, table2: :func:`auc_summary` of the ``control`` and ``table2`` experiments.
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


def plot_robustness(long: pd.DataFrame, title: str) -> Figure:
    """Video AUC (%) on all test videos against the level of each perturbation, one line per model.

    Args:
        long: :attr:`sdrlib.engine.robustness.RobustnessResult.long`.
    """
    import matplotlib.pyplot as plt

    overall = long[long["test_domain"] == "all"]
    names = [p for p in dict.fromkeys(overall["perturbation"]) if p != "clean"]
    models = list(dict.fromkeys(overall["model"]))
    ncols = min(4, len(names))
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.1 * ncols + 0.6, 2.2 * nrows + 0.5), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        for i, model in enumerate(models):
            sub = overall[(overall["model"] == model) & overall["perturbation"].isin(["clean", name])]
            curve = sub.groupby("level")["video_auc"].mean() * 100
            ax.plot(curve.index, curve.to_numpy(), marker="o", ms=3, color=f"C{i}", label=model)
        ax.axhline(50, color="grey", lw=0.7, ls="--")
        ax.set(title=name, ylim=(0, 100), xticks=range(0, 6))
        ax.tick_params(labelsize=8)
    for ax in axes.flat[len(names) :]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("video AUC (%)")
    for ax in axes[-1, :]:
        ax.set_xlabel("level (0 = clean)")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", fontsize=8, ncol=len(models))
    fig.suptitle(title, fontsize=10, x=0.02, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig


def plot_perturbations(clip: Any, names: list[str] | None = None, seed: int = 0) -> Figure:
    """One frame of ``clip`` under every robustness perturbation at levels 0 (clean) to 5.

    Shape:
        clip: ``(3, T, H, W)`` float in [0, 1] (the middle frame is shown).
    """
    import matplotlib.pyplot as plt
    import torch

    from sdrlib.engine.robustness import LEVELS, PERTURBATIONS, perturb

    names = names or list(PERTURBATIONS)
    levels = [0, *LEVELS]
    x = clip[None]
    t = x.shape[2] // 2
    fig, axes = plt.subplots(len(names), len(levels), figsize=(1.15 * len(levels) + 1.2, 1.15 * len(names)))
    axes = np.atleast_2d(axes)
    for i, name in enumerate(names):
        for j, level in enumerate(levels):
            frame = perturb(x, name, level, torch.Generator().manual_seed(seed))[0, :, t]
            ax = axes[i, j]
            ax.imshow(frame.permute(1, 2, 0).clamp(0, 1).numpy(), interpolation="nearest")
            _bare(ax)
            if i == 0:
                ax.set_title("clean" if level == 0 else f"level {level}", fontsize=8)
            if j == 0:
                ax.set_ylabel(name, fontsize=8)
    fig.tight_layout(pad=0.3)
    return fig


# --- your own video ---------------------------------------------------------------------------

#: The demo clip of the chapter 'your own video' inside the shared folder: an FF++ c23 FaceSwap
#: fake of the FF++ test split.
DEMO_CLIP = "ffpp_icpr2020/FaceSwap_634_660.mp4"


def demo_video(out_dir: str | Path, frames: int = 48, size: int = 128) -> tuple[Path, str]:
    """A video to try the detector on when the reader gives none.

    The shared folder's :data:`DEMO_CLIP` when it exists; otherwise a SynthDF test fake (domain
    ``ffpp-fs``) rendered at ``size`` pixels and written to ``out_dir/synthdf_demo.mp4``, so the
    chapter runs anywhere.

    Returns:
        The path and one line saying what the video is.
    """
    clip = shared_videos_dir() / DEMO_CLIP
    if clip.is_file():
        return clip, f"FF++ c23 FaceSwap fake {clip.name} (FF++ test split) from the shared folder"
    from sdrlib.data.synthetic import get_domain, render_pair
    from sdrlib.data.video.encode import write_video

    pair = render_pair(get_domain("ffpp-fs"), "test", 0, frames=frames, size=size)
    path = write_video(Path(out_dir) / "synthdf_demo.mp4", pair.fake, crf=10)
    return path, f"a SynthDF ffpp-fs test fake ({frames} frames, {size} px), written to {path.name}"


def plot_frame_score(prediction: Any, position: int, track: int = 0) -> Figure:
    """The aligned crop at ``position`` of a track beside its score timeline, with a cursor.

    Args:
        prediction: a :class:`~sdrlib.engine.predict.VideoPrediction` made with ``keep_frames=True``.
        position: index into the track's frames (0 .. n_frames - 1).
        track: which track of the prediction.
    """
    import matplotlib.pyplot as plt

    t = prediction.tracks[track]
    if t.frames is None:
        raise ValueError("the prediction holds no crops: call predict_video(..., keep_frames=True)")
    if not 0 <= position < len(t.frames):
        raise ValueError(f"position must be in 0..{len(t.frames) - 1}, got {position}")
    scores = np.asarray(t.frame_scores)
    fig, (ax_img, ax_line) = plt.subplots(1, 2, figsize=(7.0, 2.6), gridspec_kw={"width_ratios": [1, 2.6]})
    ax_img.imshow(t.frames[position])
    ax_img.set_axis_off()
    frame = int(t.frame_indices[position])
    ax_img.set_title(f"frame {frame}: p = {scores[position]:.2f}", fontsize=9)
    ax_line.plot(np.arange(len(scores)), scores, lw=1.2)
    ax_line.axvline(position, color="C3", lw=1)
    ax_line.axhline(t.threshold, color="grey", ls="--", lw=0.8, label=f"threshold {t.threshold:.2f}")
    ax_line.set(xlabel="position in the track", ylabel="fake probability", ylim=(-0.02, 1.02))
    ax_line.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


def plot_frame_strip(prediction: Any, count: int = 6, track: int = 0) -> Figure:
    """``count`` evenly spaced aligned crops of a track, each titled with its frame and score."""
    import matplotlib.pyplot as plt

    t = prediction.tracks[track]
    if t.frames is None:
        raise ValueError("the prediction holds no crops: call predict_video(..., keep_frames=True)")
    positions = np.unique(np.linspace(0, len(t.frames) - 1, count).round().astype(int))
    fig, axes = plt.subplots(1, len(positions), figsize=(1.25 * len(positions), 1.7), squeeze=False)
    for ax, position in zip(axes[0], positions, strict=True):
        ax.imshow(t.frames[position])
        ax.set_axis_off()
        ax.set_title(f"#{int(t.frame_indices[position])}: {t.frame_scores[position]:.2f}", fontsize=8)
    fig.tight_layout(pad=0.3)
    return fig
