"""Calibrate SynthDF's unseen domains on the published FTCN, never looking at SDR (docs/benchmark.md).

    python scripts/calibrate_synthdf.py                       # tiny profile, seeds of the profile
    python scripts/calibrate_synthdf.py --profile small --celebdf 0.3,0.5 --dfdc 0.5,0.8

What it does, and only this: it trains (or reads from the run cache) the ``ftcn`` runs of the
profile's ``table2`` grid, then, for every candidate ``temporal_strength`` of the ``celebdf`` and
the ``dfdc`` domains (the difficulty knob of each: how strong their fakes' temporal artifacts are),
renders that domain's **validation** videos with the candidate value and scores them with every
FTCN run. It prints the video-level AUC (mean over seeds) of each candidate and the candidate
closest to FTCN's published cross-dataset AUC (Celeb-DF-v2 86.9, DFDC 74.0; SDR_SPEC section 3).
The chosen values are then written into ``sdrlib/data/synthetic/domains.py`` by hand, and the
printout into docs/benchmark.md. The training domains do not depend on these knobs, so the FTCN
runs are trained once; the validation videos are not the test videos the tables report.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

import pandas as pd

from sdrlib.data.synthetic import generate_synthdf, get_domain
from sdrlib.engine.evaluate import evaluate_checkpoint
from sdrlib.engine.runs import ensure_trained
from sdrlib.experiments import Profile, grid, grid_seeds

#: FTCN's published cross-dataset video AUC (%) (SDR_SPEC section 3).
TARGETS = {"celebdf": 86.9, "dfdc": 74.0}


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",") if v.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="tiny")
    parser.add_argument("--celebdf", default="0.2,0.3,0.4,0.5,0.6,0.8", help="candidate temporal_strength values")
    parser.add_argument("--dfdc", default="0.3,0.4,0.5,0.6,0.8,1.0", help="candidate temporal_strength values")
    parser.add_argument("--videos", type=int, default=50, help="validation reals (and fakes) per candidate")
    args = parser.parse_args()

    profile = Profile.load(args.profile)
    synth = profile.run["data"]["synth"]
    spec = next(s for s in grid("table2", profile) if s.model == "ftcn")
    runs = [ensure_trained(spec.config(profile, seed), progress=False) for seed in grid_seeds("table2", profile)]
    print(f"FTCN runs of profile {profile.name}: {len(runs)} seeds")
    frames = synth["frames"]["val"] if isinstance(synth["frames"], dict) else synth["frames"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for domain, candidates in (("celebdf", _floats(args.celebdf)), ("dfdc", _floats(args.dfdc))):
            for strength in candidates:
                tuned = dataclasses.replace(get_domain(domain), temporal_strength=strength)
                root = generate_synthdf(
                    Path(tmp) / f"{domain}-{strength}",
                    [tuned],
                    {"val": args.videos},
                    {"val": frames},
                    synth["size"],
                    synth.get("seed", 0),
                    progress=False,
                )
                aucs = [
                    evaluate_checkpoint(run, [root], split="val", progress=False).overall["video_auc"] for run in runs
                ]
                rows.append({"domain": domain, "temporal_strength": strength, "ftcn_auc": 100 * sum(aucs) / len(aucs)})
                print(f"{domain:8s} temporal_strength {strength:4.2f}: FTCN video AUC {rows[-1]['ftcn_auc']:5.1f}")
    table = pd.DataFrame(rows)
    print("\n" + table.to_markdown(index=False, floatfmt=".2f"))
    for domain, target in TARGETS.items():
        sub = table[table["domain"] == domain]
        best = sub.iloc[(sub["ftcn_auc"] - target).abs().argmin()]
        print(f"{domain}: closest to FTCN's published {target} is temporal_strength {best['temporal_strength']:.2f} "
              f"({best['ftcn_auc']:.1f})")


if __name__ == "__main__":
    main()
