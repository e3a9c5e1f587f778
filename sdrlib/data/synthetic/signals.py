"""Random signals over time: the smooth ones give real videos their natural motion.

Head pose, gaze, mouth and lighting follow smoothed random walks (smooth velocity, hence smooth
position); blinks are short dips of the eye opening at random times. Everything is float32,
vectorised over several series at once, and a pure function of the random generator passed in.
"""

from __future__ import annotations

import numpy as np


def _gaussian_kernel(sigma: float) -> np.ndarray:
    radius = max(1, int(np.ceil(3.0 * sigma)))
    taps = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (taps / sigma) ** 2)
    return kernel / kernel.sum()


def smooth_noise(rng: np.random.Generator, n: int, frames: int, sigma: float) -> np.ndarray:
    """White noise smoothed along time with a Gaussian of ``sigma`` frames, unit variance.

    The noise is drawn with a margin on both sides, so the first and last frames are as smooth as
    the middle ones.

    Shape:
        returns ``(n, frames)`` float32.
    """
    if sigma <= 0:
        return rng.standard_normal((n, frames)).astype(np.float32)
    kernel = _gaussian_kernel(sigma)
    white = rng.standard_normal((n, frames + len(kernel) - 1))
    out = np.zeros((n, frames))
    for k, weight in enumerate(kernel):
        out += weight * white[:, k : k + frames]
    # The smoothed process has variance sum(w^2); dividing by its root restores unit variance.
    return (out / np.sqrt(np.sum(kernel**2))).astype(np.float32)


def random_walk(rng: np.random.Generator, n: int, frames: int, sigma: float) -> np.ndarray:
    """A walk whose steps are :func:`smooth_noise`: position starts at 0, velocity is smooth.

    Shape:
        returns ``(n, frames)`` float32; one unit-variance step per frame.
    """
    steps = smooth_noise(rng, n, frames, sigma)
    walk = np.cumsum(steps, axis=1)
    return (walk - walk[:, :1]).astype(np.float32)


def blink_openness(rng: np.random.Generator, frames: int, rate: float) -> np.ndarray:
    """Eye opening in [0, 1] (1 = open) with blinks at Poisson times, each a few frames long.

    Blinks may start before the first frame or end after the last one, so a clip can begin or end
    mid-blink.

    Shape:
        returns ``(frames,)`` float32.
    """
    margin = 4
    count = rng.poisson(rate * (frames + 2 * margin))
    centres = rng.uniform(-margin, frames + margin, size=count)
    half_widths = rng.uniform(1.0, 1.8, size=count)
    t = np.arange(frames, dtype=np.float64)[:, None]
    dips = np.exp(-(((t - centres[None, :]) / half_widths[None, :]) ** 2))
    return np.prod(1.0 - dips, axis=1).astype(np.float32)


def mouth_opening(rng: np.random.Generator, frames: int, talk_probability: float) -> np.ndarray:
    """Mouth opening in [0, 1]: syllable-rate fluctuations when talking, nearly closed otherwise.

    Shape:
        returns ``(frames,)`` float32.
    """
    talking = rng.uniform() < talk_probability
    wave = smooth_noise(rng, 1, frames, 1.5)[0]
    if not talking:
        return (0.05 + 0.03 * np.abs(wave)).astype(np.float32)
    return (1.0 / (1.0 + np.exp(-(1.8 * wave - 0.3)))).astype(np.float32)
