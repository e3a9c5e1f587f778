"""``sdr synth``: write a SynthDF dataset directory (``.npy`` tracks, manifest.csv, dataset.json).

Examples::

    sdr synth --out data/synthdf-tiny --n train=16,val=8,test=8
    sdr synth --domains ffpp-df,ffpp-f2f --n 32 --frames train=32,val=16,test=16 --out data/ffpp
    sdr synth --out data/control --temporal-scale 0           # fakes without temporal artifacts
    sdr synth --out data/tuned --set dfdc.style.jpeg_quality=60 --set ffpp-nt.spatial_strength=0.5
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sdrlib.cli import CLIError
from sdrlib.config import ConfigError, apply_overrides, from_dict, to_dict
from sdrlib.data.synthetic import (
    SYNTHDF_DOMAINS,
    DomainSpec,
    generate_synthdf,
    parse_per_split,
    resolve_domains,
    synthdf_params,
)
from sdrlib.data.synthetic.generate import holds_dataset

COMMAND = "synth"
HELP = "Generate SynthDF, the synthetic cross-domain deepfake-video benchmark."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, type=Path, help="dataset directory to create")
    parser.add_argument(
        "--domains",
        default=",".join(SYNTHDF_DOMAINS),
        help=f"comma-separated domains (default: all of {', '.join(SYNTHDF_DOMAINS)})",
    )
    parser.add_argument(
        "--n",
        default="train=16,val=8,test=8",
        help="real videos per domain per split, and as many fakes: N or train=N,val=N,test=N "
        "(default: train=16,val=8,test=8)",
    )
    parser.add_argument(
        "--frames", default="16", help="frames per video: T or train=T,val=T,test=T (default: 16)"
    )
    parser.add_argument("--size", type=int, default=64, help="frame height and width (default: 64)")
    parser.add_argument("--seed", type=int, default=0, help="dataset seed (default: 0)")
    parser.add_argument(
        "--spatial-scale", type=float, default=1.0, help="multiplies every domain's spatial artifacts"
    )
    parser.add_argument(
        "--temporal-scale", type=float, default=1.0, help="multiplies every domain's temporal artifacts"
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="DOMAIN.KEY=VALUE",
        help="change a domain knob, e.g. ffpp-df.temporal_strength=0.5 or dfdc.style.noise_std=8 (repeatable)",
    )
    parser.add_argument("--workers", type=int, default=0, help="render in this many processes (default: 0)")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out directory")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _domain_specs(names: str, overrides: list[str]) -> list:
    specs = resolve_domains(names)
    tree = apply_overrides({spec.name: to_dict(spec) for spec in specs}, overrides)
    unknown = sorted(set(tree) - {spec.name for spec in specs})
    if unknown:
        raise CLIError(f"--set names domain(s) {unknown} that are not generated ({names})")
    tuned = []
    for spec in specs:
        if tree[spec.name].get("name") != spec.name:
            raise CLIError(f"--set cannot rename domain {spec.name!r}")
        tuned.append(from_dict(DomainSpec, tree[spec.name], where=spec.name))
    return tuned


def run(args: argparse.Namespace) -> int:
    try:
        options = dict(
            domains=_domain_specs(args.domains, args.overrides),
            n_per_split=parse_per_split(args.n, "--n"),
            frames=parse_per_split(args.frames, "--frames"),
            size=args.size,
            seed=args.seed,
            spatial_scale=args.spatial_scale,
            temporal_scale=args.temporal_scale,
        )
        if holds_dataset(args.out, synthdf_params(**options)):
            print(f"{args.out}: already holds this dataset (same dataset.json); nothing to do")
            return 0
        generate_synthdf(
            args.out, **options, overwrite=args.overwrite, workers=args.workers, progress=not args.no_progress
        )
    except FileExistsError as err:
        raise CLIError(f"{err} (pass --overwrite to replace it)") from err
    except ConfigError:
        raise
    except ValueError as err:
        raise CLIError(str(err)) from err
    print(f"wrote {args.out}")
    return 0
