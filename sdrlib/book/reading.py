"""What a results page says about its own numbers, generated from them.

Every results chapter opens with a banner (profile, data, seeds, test-set sizes) and ends with a
paragraph "what this run shows" written from the numbers the page computed, so the text is true
for every profile: it quotes intervals, says "not distinguishable from zero" when a paired
difference's interval covers zero, and never claims an effect the run does not show. Book
chapters 'Table 1' to 'robustness'.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sdrlib.book.results import data_label
from sdrlib.data.domains import family
from sdrlib.engine.profiles import Profile


def test_video_counts(videos: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Real and fake test videos scored for each fake domain (clean condition, one run).

    The reals of a domain are its own and its family's (FF++'s shared originals), as in every AUC.
    """
    clean = videos[videos["condition"] == "clean"]
    first = clean[(clean["row"] == clean["row"].iloc[0]) & (clean["seed"] == clean["seed"].min())]
    if "train_domains" in first.columns:
        first = first[first["train_domains"] == first["train_domains"].iloc[0]]
    counts = {}
    for domain in sorted(first.loc[first["label"] == 1, "domain"].unique()):
        reals = first[(first["label"] == 0) & first["domain"].isin({domain, family(domain)})]
        fakes = first[(first["label"] == 1) & (first["domain"] == domain)]
        counts[domain] = {"real": int(reals["video_id"].nunique()), "fake": int(fakes["video_id"].nunique())}
    return counts


def banner(profile: Profile, seeds: list[int], counts: dict[str, dict[str, int]]) -> str:
    """One Markdown block: the profile, the data, the seeds and the test-set sizes of a page."""
    sizes = ", ".join(f"{d} {c['real']} / {c['fake']}" for d, c in counts.items())
    return (
        f"**This run** · profile `{profile.name}` · data: {data_label(profile)} · "
        f"seeds: {', '.join(map(str, seeds))} ({len(seeds)} per row) · test videos real / fake per "
        f"domain: {sizes}. Every AUC below is the mean over the seeds with its 95 % interval over "
        "test videos and seeds ({numref}`Section %s <sec-how-sure>`)."
    )


def difference_sentence(row: Mapping[str, Any], what: str) -> str:
    """``"SDR − FTCN on CDF: +3.2 [−1.0, +7.5] points, not distinguishable from zero"``."""
    if not np.isfinite(row["diff"]):
        return f"{what} on {row['column']}: no value"
    interval = f" [{row['low']:+.1f}, {row['high']:+.1f}]" if np.isfinite(row["low"]) else ""
    verdict = "" if row["distinguishable"] else ", not distinguishable from zero"
    return f"{what} on {row['column']}: {row['diff']:+.1f}{interval} points{verdict}"


def interval_text(summary: pd.DataFrame, method: str, column: str) -> str:
    """``"84.3 [78.1, 90.2]"`` of one cell of an interval summary."""
    row = summary[(summary["method"] == method) & (summary["column"] == column)]
    if row.empty or not np.isfinite(row["mean"].iloc[0]):
        return "n/a"
    r = row.iloc[0]
    return f"{r['mean']:.1f} [{r['low']:.1f}, {r['high']:.1f}]" if np.isfinite(r["low"]) else f"{r['mean']:.1f}"


def bullet_list(lines: list[str]) -> str:
    """Markdown bullets."""
    return "\n".join(f"- {line}" for line in lines)


def ci_dict(summary: pd.DataFrame) -> dict[str, dict[str, list[float]]]:
    """``{method: {column: [low, high]}}`` of an interval summary (for ``metrics.json``)."""
    out: dict[str, dict[str, list[float]]] = {}
    for row in summary.to_dict("records"):
        out.setdefault(row["method"], {})[row["column"]] = [round(row["low"], 2), round(row["high"], 2)]
    return out


def mean_dict(summary: pd.DataFrame) -> dict[str, dict[str, float]]:
    """``{method: {column: mean}}`` of an interval summary (for ``metrics.json``)."""
    out: dict[str, dict[str, float]] = {}
    for row in summary.to_dict("records"):
        out.setdefault(row["method"], {})[row["column"]] = round(row["mean"], 2)
    return out
