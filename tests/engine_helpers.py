"""A micro run configuration for engine tests: seconds on a 2-core CPU."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sdrlib.engine.config import RunConfig, run_config_from_dict
from sdrlib.engine.profiles import Profile

MICRO_MODELS = {
    "ftcn": {"width_mult": 0.125, "depth_mult": 0.34, "num_frames": 4, "input_size": 16},
    "i3d": {"width_mult": 0.125, "depth_mult": 0.34, "num_frames": 4, "input_size": 16},
    "sdr": {
        "width_mult": 0.125,
        "depth_mult": 0.34,
        "num_frames": 4,
        "input_size": 16,
        "latent_dim": 16,
        "K": 2,
    },
    "frame2d": {"backbone": "resnet10t", "num_frames": 4, "input_size": 16},
}

MICRO_RUN = {
    "data": {
        "synth": {
            "domains": ["ffpp-df", "ffpp-nt", "celebdf"],
            "n_per_split": {"train": 3, "val": 2, "test": 2},
            "frames": 8,
            "size": 16,
            "seed": 0,
        },
        "train_domains": ["ffpp-df", "ffpp-nt"],
        "clip_len": 4,
        "batch_size": 4,
        "eval_batch_size": 16,
    },
    "optim": {"lr": 1e-3, "warmup_frac": 0.25},
    "train": {"steps": 4, "eval_every": 2, "log_every": 1},
}


def micro_config(model: str = "ftcn", overrides: tuple[str, ...] = ()) -> RunConfig:
    run = dict(MICRO_RUN)
    run["model"] = {"name": model, "options": MICRO_MODELS[model]}
    return run_config_from_dict(run, list(overrides))

def micro_profile(**experiments) -> Profile:
    """A profile of micro runs (2 steps, seed 0, FTCN and SDR on two FF++ domains and Celeb-DF);
    ``experiments`` adds to or replaces its ``experiments`` settings."""
    settings = {
        "seeds": [0],
        "table2_models": ["ftcn", "sdr"],
        "ffpp_domains": ["ffpp-df", "ffpp-nt"],
        "cross_domains": ["celebdf"],
        "table1_models": ["ftcn"],
        "figure2_K": [1, 2],
        **experiments,
    }
    run = dict(MICRO_RUN)
    run["train"] = {"steps": 2, "eval_every": 0, "log_every": 1}
    return Profile(name="micro", run=run, models=MICRO_MODELS, experiments=settings)


#: The six SynthDF test domains.
DOMAINS = ["ffpp-df", "ffpp-f2f", "ffpp-fs", "ffpp-nt", "celebdf", "dfdc"]


def synthetic_videos(
    rows: dict[str, dict[str, float]], seeds=(0, 1), n: int = 20, train: str | None = None, condition="clean"
) -> pd.DataFrame:
    """Per-video scores: ``rows[method][domain]`` = how far the fakes are shifted up (0 = chance)."""
    out = []
    for method, per_domain in rows.items():
        for domain, shift in per_domain.items():
            for seed in seeds:
                rng = np.random.default_rng(abs(hash((method, domain, seed))) % 2**32)
                for i in range(2 * n):
                    label = int(i >= n)
                    out.append(
                        {
                            "row": method,
                            "seed": seed,
                            "condition": condition,
                            "train_domains": train or ",".join(DOMAINS[:4]),
                            "video_id": f"{domain}/{i}",
                            "domain": domain,
                            "label": label,
                            "prob": rng.normal() + shift * label,
                            "ffpp": domain.startswith("ffpp-"),
                        }
                    )
    return pd.DataFrame(out)
