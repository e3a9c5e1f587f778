"""From a :class:`DataConfig` to datasets: generate SynthDF on demand or open prepared directories."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sdrlib.config import ConfigError
from sdrlib.data import ClipDataset, generate_synthdf
from sdrlib.data.synthetic import GENERATOR_VERSION, synthdf_params
from sdrlib.engine.cache import data_cache_dir
from sdrlib.engine.config import DataConfig, SynthSpec
from sdrlib.engine.fingerprint import source_fingerprint


@functools.lru_cache(maxsize=1)
def generator_fingerprint() -> str:
    """Hash of the SynthDF generator's source: :mod:`sdrlib.data.synthetic` and the modules it imports."""
    return source_fingerprint(["sdrlib.data.synthetic"], packages=False)


def synth_key(spec: SynthSpec) -> str:
    """The cache key of the SynthDF set of ``spec``: everything that defines its bytes.

    The full domain specs, and the generator's source (a change to the generator without a
    ``GENERATOR_VERSION`` bump must not reuse stale data), so a changed default gets a new folder
    instead of a refused one.
    """
    params = synthdf_params(
        list(spec.domains),
        dict(spec.n_per_split),
        spec.frames if isinstance(spec.frames, int) else dict(spec.frames),
        spec.size,
        spec.seed,
        spec.spatial_scale,
        spec.temporal_scale,
    )
    payload = {"params": params, "version": GENERATOR_VERSION, "code": generator_fingerprint()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]


def synth_root(spec: SynthSpec) -> Path:
    """Generate (once) the SynthDF data set described by ``spec``; return its directory."""
    key = synth_key(spec)
    out = data_cache_dir(f"synthdf-{key}")
    return Path(
        generate_synthdf(
            out,
            domains=list(spec.domains),
            n_per_split=dict(spec.n_per_split),
            frames=spec.frames if isinstance(spec.frames, int) else dict(spec.frames),
            size=spec.size,
            seed=spec.seed,
            spatial_scale=spec.spatial_scale,
            temporal_scale=spec.temporal_scale,
            progress=False,
        )
    )


def resolve_roots(cfg: DataConfig) -> list[Path]:
    """Dataset directories of ``cfg`` (generating SynthDF when ``cfg.synth`` is used)."""
    if cfg.roots:
        roots = [Path(r).expanduser() for r in cfg.roots]
        for root in roots:
            if not (root / "manifest.csv").is_file():
                raise ConfigError(
                    f"data root {root} has no manifest.csv; write one with `sdr synth` or `sdr prepare`"
                )
        return roots
    if cfg.synth is None:
        raise ConfigError("data: neither roots nor synth given")
    return [synth_root(cfg.synth)]


def eval_workers(cfg: DataConfig | Mapping[str, Any]) -> int:
    """Worker processes of the validation and evaluation loaders: ``eval_workers``, else
    ``num_workers`` (of a :class:`DataConfig`, or of its dict as a checkpoint stores it)."""
    values = cfg if isinstance(cfg, Mapping) else vars(cfg)
    workers = values.get("eval_workers")
    return int(values.get("num_workers") or 0) if workers is None else int(workers)


def open_split(
    cfg: DataConfig,
    split: str,
    mode: str,
    domains: list[str] | None,
    seed: int = 0,
    roots: list[Path] | None = None,
):
    """A :class:`sdrlib.data.ClipDataset` over ``split`` of the configured data."""
    return ClipDataset(
        roots if roots is not None else resolve_roots(cfg),
        split=split,
        clip_len=cfg.clip_len,
        mode=mode,
        domains=list(domains) if domains else None,
        seed=seed,
        size=cfg.size,
    )
