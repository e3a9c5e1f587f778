"""From a :class:`DataConfig` to datasets: generate SynthDF on demand or open prepared directories."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sdrlib.config import ConfigError
from sdrlib.data import ClipDataset, generate_synthdf
from sdrlib.data.preparation import crop_differences, face_settings, prepare_hint
from sdrlib.data.synthetic import GENERATOR_VERSION, synthdf_params
from sdrlib.engine.cache import data_cache_dir
from sdrlib.engine.config import DataConfig, SynthSpec, check_clip_options
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
                what = "has no manifest.csv" if root.is_dir() else "does not exist"
                raise ConfigError(f"data root {root} (data.roots) {what}; write it with {prepare_hint(root)}")
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


def check_prepared_sizes(cfg: DataConfig, options: Mapping[str, Any], roots: list[Path]) -> None:
    """Check, before any clip is read, that the clips of ``roots`` fit the config.

    Clips of several roots share batches, so they need one size unless ``data.size`` resizes them;
    the model options must agree with that size (:func:`~sdrlib.engine.config.check_clip_options`
    reads it from the roots' ``prepare.json`` when ``data.size`` is unset).

    Raises:
        ConfigError: roots prepared at different sizes without ``data.size``, or a model size that
            contradicts the data's; the message names the keys and the files.
    """
    sizes = {root: face["size"] for root in roots if (face := face_settings(root)) and "size" in face}
    if cfg.size is None and len(set(sizes.values())) > 1:
        listed = ", ".join(f"{root}: {size}" for root, size in sizes.items())
        raise ConfigError(
            f"data.roots were prepared at different sizes ({listed}): set data.size to resize every clip "
            "to one size on load"
        )
    if sizes:
        root, size = next(iter(sizes.items()))
        check_clip_options(dict(options), cfg, size, f"{root}/prepare.json face.size={size}")


def training_preparation(roots: list[Path], train_paths: Iterable[str]) -> dict[str, Any]:
    """The face-preparation record of a run's training data, for its checkpoints.

    Args:
        roots: the dataset directories.
        train_paths: absolute track paths of the training set (which roots hold training data).

    Returns:
        ``{"face": face options, "dataset_dirs": [training roots]}`` from their ``prepare.json``
        (:mod:`sdrlib.data.preparation`), ``{}`` for SynthDF or data without one.

    Raises:
        ConfigError: training roots prepared with different crops.
    """
    resolved = {root: str(root.resolve()) for root in roots}
    paths = list(train_paths)
    used = [root for root in roots if any(p.startswith(resolved[root] + os.sep) for p in paths)]
    faces = {root: face for root in used if (face := face_settings(root))}
    if not faces:
        return {}
    prepared = list(faces)
    first = faces[prepared[0]]
    for root in prepared[1:]:
        differ = crop_differences(first, faces[root])
        if differ:
            listed = ", ".join(f"face.{key} {a} and {b}" for key, a, b in differ)
            raise ConfigError(
                f"the training data mixes two face preparations ({prepared[0]} and {root}: {listed}); "
                "prepare them with the same face options"
            )
    return {"face": first, "dataset_dirs": [str(root) for root in prepared]}
