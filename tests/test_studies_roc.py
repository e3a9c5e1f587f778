"""ROC curves of an evaluation (sdrlib.studies.curves.plot_roc): one panel per fake domain."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sdrlib.studies.curves import plot_roc


def test_every_domain_gets_its_own_panel_with_its_auc():
    rng = np.random.default_rng(0)
    rows = []
    for domain in ("ffpp-df", "ffpp-f2f", "celebdf", "dfdc"):
        for label in (0, 1):
            for video in range(6):
                prob = 1.0 if label else 0.0  # a perfect detector: every curve is the same corner
                rows.append(
                    {
                        "video_id": f"{domain}-{label}-{video}",
                        "domain": domain,
                        "label": label,
                        "prob": prob if domain != "dfdc" else float(rng.random()),
                    }
                )
    fig = plot_roc(pd.DataFrame(rows), title="test")
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible() and ax.axison]
    assert sorted(t.split(":")[0] for t in titles) == ["celebdf", "dfdc", "ffpp-df", "ffpp-f2f"]
    assert "ffpp-df: AUC 1.00" in titles
    assert len([ax for ax in fig.axes if not ax.axison]) == 2  # 4 panels in a 2 x 3 grid
