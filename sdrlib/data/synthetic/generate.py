"""Write a SynthDF dataset directory: ``.npy`` tracks, ``manifest.csv`` and ``dataset.json``.

The layout is the project's dataset format (``docs/data_format.md``): one ``.npy`` uint8
``(T, H, W, 3)`` track per video at ``<domain>/<split>/<real|fake>-<index>.npy``, video ids
``synth/<domain>/<split>/<real|fake>-<index>``. Every domain gets ``n`` real and ``n`` fake videos
per split (balanced labels); identities are drawn per split (identity-disjoint splits).

The directory appears atomically: it is built in a temporary sibling and renamed into place, so a
crash never leaves a half-written dataset, and a directory holding ``dataset.json`` is complete.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from sdrlib.config import to_dict
from sdrlib.data.manifest import write_manifest
from sdrlib.data.synthetic.domains import SYNTHDF_DOMAINS, DomainSpec, resolve_domains
from sdrlib.data.synthetic.pairs import SPLITS, render_pair
from sdrlib.utils.io import atomic_open, atomic_write_json

GENERATOR = "sdrlib.data.synthetic"
# Bump when the rendering changes, so that cached datasets are regenerated.
GENERATOR_VERSION = 2
DATASET_JSON = "dataset.json"
FPS = 25.0


def per_split(value: int | Mapping[str, int], name: str) -> dict[str, int]:
    """``8`` or ``{"train": 16, "val": 8}`` -> an int >= 0 for each of train, val, test (missing: 0).

    Raises:
        ValueError: an unknown split, a non-integer or a negative value.
    """
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(SPLITS))
        if unknown:
            raise ValueError(f"{name}: unknown split(s) {unknown}; use {list(SPLITS)}")
        values = {split: value.get(split, 0) for split in SPLITS}
    else:
        values = dict.fromkeys(SPLITS, value)
    for split, number in values.items():
        if isinstance(number, bool) or not isinstance(number, (int, np.integer)) or number < 0:
            raise ValueError(f"{name}[{split}] must be an integer >= 0, got {number!r}")
    return {split: int(number) for split, number in values.items()}


def parse_per_split(text: str, name: str) -> int | dict[str, int]:
    """Parse ``"16"`` or ``"train=32,val=16,test=16"`` (the CLI syntax of ``--n`` and ``--frames``).

    Raises:
        ValueError: anything else, with the expected syntax in the message.
    """
    text = text.strip()
    try:
        if "=" not in text:
            return int(text)
        out = {}
        for part in text.split(","):
            key, number = part.split("=")
            out[key.strip()] = int(number)
        return out
    except ValueError:
        raise ValueError(
            f"{name}: expected an integer or split=N pairs like train=16,val=8,test=8, got {text!r}"
        ) from None


@dataclass(frozen=True)
class _Job:
    spec: DomainSpec
    split: str
    index: int
    frames: int
    size: int
    seed: int
    spatial_scale: float
    temporal_scale: float
    root: str


def _save_npy(path: Path, array: np.ndarray) -> None:
    with atomic_open(path, "wb") as handle:
        np.save(handle, array, allow_pickle=False)


def _render_job(job: _Job) -> list[dict[str, Any]]:
    pair = render_pair(
        job.spec, job.split, job.index, job.frames, job.size, job.seed, job.spatial_scale, job.temporal_scale
    )
    rows = []
    for label, kind, frames in ((0, "real", pair.real), (1, "fake", pair.fake)):
        name = f"{kind}-{job.index:05d}"
        relative = f"{job.spec.name}/{job.split}/{name}.npy"
        _save_npy(Path(job.root) / relative, frames)
        rows.append(
            {
                "path": relative,
                "label": label,
                "video_id": f"synth/{job.spec.name}/{job.split}/{name}",
                "split": job.split,
                "domain": job.spec.name,
                "frames": job.frames,
                "identity": pair.identity,
                "source_identity": pair.source_identity if label else "",
                "method": pair.method if label else "real",
                "fps": FPS,
            }
        )
    return rows


def synthdf_params(
    domains: Sequence[str | DomainSpec] | str,
    n_per_split: int | Mapping[str, int],
    frames: int | Mapping[str, int],
    size: int,
    seed: int,
    spatial_scale: float,
    temporal_scale: float,
) -> dict[str, Any]:
    """The parameters that define a SynthDF dataset, as stored in ``dataset.json``.

    Two calls with equal parameters produce identical bytes, so equal parameters mean the
    dataset can be reused. The full domain specs are included, so tuning a knob invalidates it.
    """
    specs = resolve_domains(domains)
    counts = per_split(n_per_split, "n_per_split")
    lengths = per_split(frames, "frames")
    for split in SPLITS:
        if counts[split] and lengths[split] < 1:
            raise ValueError(f"frames[{split}] must be >= 1 for a split with videos, got {lengths[split]}")
        if not counts[split]:
            lengths[split] = 0
    if not isinstance(size, int) or not 8 <= size <= 1024:
        raise ValueError(f"size must be an integer in 8..1024, got {size!r}")
    if spatial_scale < 0 or temporal_scale < 0:
        raise ValueError("spatial_scale and temporal_scale must be >= 0")
    if sum(counts.values()) == 0:
        raise ValueError("n_per_split asks for no video at all")
    return {
        "domains": [to_dict(spec) for spec in specs],
        "n_per_split": counts,
        "frames": lengths,
        "size": size,
        "seed": int(seed),
        "spatial_scale": float(spatial_scale),
        "temporal_scale": float(temporal_scale),
    }


def _description(params: dict[str, Any]) -> dict[str, Any]:
    return {"generator": GENERATOR, "version": GENERATOR_VERSION, "params": params}


def holds_dataset(out_dir: str | Path, params: dict[str, Any]) -> bool:
    """Whether ``out_dir`` already holds the SynthDF dataset of ``params`` (see :func:`synthdf_params`)."""
    description = _description(params)
    path = Path(out_dir) / DATASET_JSON
    if not path.is_file():
        return False
    try:
        stored = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return False
    # JSON round trip: tuples in the specs become lists, as in the stored file.
    return {k: stored.get(k) for k in description} == json.loads(json.dumps(description))


def generate_synthdf(
    out_dir: str | Path,
    domains: Sequence[str | DomainSpec] | str = SYNTHDF_DOMAINS,
    n_per_split: int | Mapping[str, int] = 8,
    frames: int | Mapping[str, int] = 16,
    size: int = 64,
    seed: int = 0,
    spatial_scale: float = 1.0,
    temporal_scale: float = 1.0,
    *,
    overwrite: bool = False,
    workers: int = 0,
    progress: bool = True,
) -> Path:
    """Generate a SynthDF dataset directory, or reuse an identical one already there.

    Args:
        out_dir: the dataset directory to create.
        domains: domain names (see :data:`SYNTHDF_DOMAINS`) or :class:`DomainSpec` objects
            (tuned copies, e.g. ``dataclasses.replace(get_domain("dfdc"), temporal_strength=0)``).
        n_per_split: real videos per domain per split, and as many fakes: an int for every
            split or a mapping like ``{"train": 16, "val": 8, "test": 8}`` (missing splits: 0).
        frames: track length T, an int or a mapping per split (e.g. longer train tracks, so
            that random training windows differ between epochs).
        size: frame height and width.
        seed: the dataset seed; identities, scenes and artifacts all derive from it.
        spatial_scale, temporal_scale: global multipliers of every domain's artifact strengths.
        overwrite: replace a directory that holds anything else.
        workers: render in this many processes (0 or 1: in this process); the bytes do not
            depend on it.
        progress: show a progress bar.

    Returns:
        ``out_dir``.

    Raises:
        FileExistsError: ``out_dir`` is not empty, holds a different dataset and ``overwrite``
            is False.
        ValueError: bad parameters.
    """
    out_dir = Path(out_dir)
    params = synthdf_params(domains, n_per_split, frames, size, seed, spatial_scale, temporal_scale)
    if holds_dataset(out_dir, params):
        return out_dir
    if out_dir.exists() and not out_dir.is_dir():
        raise FileExistsError(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise FileExistsError(f"{out_dir} is not empty and does not hold this dataset")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        jobs = [
            _Job(
                spec,
                split,
                index,
                params["frames"][split],
                size,
                seed,
                spatial_scale,
                temporal_scale,
                str(staging),
            )
            for spec in resolve_domains(domains)
            for split in SPLITS
            for index in range(params["n_per_split"][split])
        ]
        rows = []
        bar = tqdm(total=2 * len(jobs), desc="SynthDF", unit="video", disable=not progress)
        with contextlib.ExitStack() as stack:
            if workers > 1:
                pool = stack.enter_context(ProcessPoolExecutor(max_workers=workers))
                results = pool.map(_render_job, jobs, chunksize=4)
            else:
                results = map(_render_job, jobs)
            for job_rows in results:
                rows.extend(job_rows)
                bar.update(len(job_rows))
        bar.close()
        write_manifest(staging, rows)
        atomic_write_json(staging / DATASET_JSON, {**_description(params), "videos": len(rows)})
        _move_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def _move_into_place(staging: Path, out_dir: Path) -> None:
    """Rename ``staging`` to ``out_dir``, replacing what is there only once the new one is whole."""
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    os.replace(out_dir, old / "data")
    os.replace(staging, out_dir)
    shutil.rmtree(old, ignore_errors=True)
