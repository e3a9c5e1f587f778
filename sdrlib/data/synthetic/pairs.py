"""One SynthDF real/fake pair, rendered in memory from its key (domain, split, index, seed).

Every random number of a video comes from generators seeded by that key, so a video never depends
on which other videos are generated with it, in what order or in how many processes. The fake of
pair ``i`` is the real video ``i`` with its inner face swapped: same head motion, background,
lighting and sensor noise, so the pair differs by the manipulation only (as in FF++, whose fakes
are made from its real videos).
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass

import numpy as np
from threadpoolctl import ThreadpoolController

from sdrlib.data.synthetic.camera import capture
from sdrlib.data.synthetic.domains import DomainSpec
from sdrlib.data.synthetic.render import render_background, render_head
from sdrlib.data.synthetic.scene import sample_identity, sample_scene, sample_swap_draws
from sdrlib.data.synthetic.swap import render_swap

SPLITS: tuple[str, ...] = ("train", "val", "test")

# Tags that keep the seed streams of different purposes apart.
_PAIR_STREAM = 1
_IDENTITY_STREAM = 2
_TARGET, _DONOR = 0, 1


@dataclass(frozen=True)
class SynthPair:
    """A rendered real video, its fake, and what the manifest needs to know about them.

    Shape:
        real, fake: ``(T, H, W, 3)`` uint8.
    """

    real: np.ndarray
    fake: np.ndarray
    identity: str
    source_identity: str
    method: str


def _name_key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def identity_name(pool: str, split: str, index: int, donor: bool = False) -> str:
    """The identity label of a target (real) or donor (source) face, unique per pool and split."""
    return f"{pool}/{split}/{'donor-' if donor else ''}{index:05d}"


@functools.cache
def _threadpools() -> ThreadpoolController:
    return ThreadpoolController()


def _identity_rng(seed: int, pool: str, split: str, index: int, role: int) -> np.random.Generator:
    key = [seed, _IDENTITY_STREAM, _name_key(pool), SPLITS.index(split), role, index]
    return np.random.default_rng(np.random.SeedSequence(key))


def render_pair(
    spec: DomainSpec,
    split: str,
    index: int,
    frames: int = 16,
    size: int = 64,
    seed: int = 0,
    spatial_scale: float = 1.0,
    temporal_scale: float = 1.0,
) -> SynthPair:
    """Render real video ``index`` of ``split`` in domain ``spec`` and its fake.

    Args:
        spec: the domain.
        split: ``train``, ``val`` or ``test``; identities are drawn per split, so splits never
            share an identity.
        index: the pair's index within the split (0, 1, ...).
        frames: number of frames T.
        size: frame height and width in pixels.
        seed: the data-set seed.
        spatial_scale, temporal_scale: global multipliers of the domain's artifact strengths.

    Shape:
        ``real`` and ``fake`` are ``(frames, size, size, 3)`` uint8.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if frames < 1 or size < 8:
        raise ValueError(f"need frames >= 1 and size >= 8, got frames={frames}, size={size}")
    if index < 0:
        raise ValueError(f"index must be >= 0, got {index}")
    # The matrix products here are tiny: a threaded BLAS only adds synchronisation, which costs
    # up to 50x on a busy 2-core machine, so they run on one thread.
    with _threadpools().limit(limits=1, user_api="blas"):
        return _render_pair(spec, split, index, frames, size, seed, spatial_scale, temporal_scale)


def _render_pair(
    spec: DomainSpec,
    split: str,
    index: int,
    frames: int,
    size: int,
    seed: int,
    spatial_scale: float,
    temporal_scale: float,
) -> SynthPair:
    style = spec.style
    pair_key = [seed, _PAIR_STREAM, _name_key(spec.name), SPLITS.index(split), index]
    scene_seq, noise_seq, swap_seq, method_seq = np.random.SeedSequence(pair_key).spawn(4)
    scene = sample_scene(np.random.default_rng(scene_seq), style, frames)
    target = sample_identity(_identity_rng(seed, style.identity_pool, split, index, _TARGET), style)
    source = sample_identity(_identity_rng(seed, style.identity_pool, split, index, _DONOR), style)
    draws = sample_swap_draws(np.random.default_rng(swap_seq), frames)
    method = spec.methods[int(np.random.default_rng(method_seq).integers(len(spec.methods)))]
    noise = np.random.default_rng(noise_seq).standard_normal((3, frames, size, size), dtype=np.float32)

    native = max(8, int(round(size * style.render_scale)))
    background = render_background(scene.background, scene.pose, native)
    real, _ = render_head(background, target, scene.pose, scene.expression, scene.light)
    spatial = spec.spatial_strength * spatial_scale
    temporal = spec.temporal_strength * temporal_scale
    fake, mask = render_swap(real, background, target, source, scene, draws, spec, method, spatial, temporal)
    noise_keep = 1.0 - min(1.0, spatial * method.noise_removal) * mask if method.noise_removal else None
    exposure = scene.light.exposure
    return SynthPair(
        real=capture(real, exposure, noise, style.noise_std, style.jpeg_quality),
        fake=capture(fake, exposure, noise, style.noise_std, style.jpeg_quality, noise_keep),
        identity=identity_name(style.identity_pool, split, index),
        source_identity=identity_name(style.identity_pool, split, index, donor=True),
        method=method.name,
    )
