"""The SynthDF face swap: a second identity's inner face, rendered frame by frame, blended in.

A real face-swap pipeline detects and aligns the face in every frame, generates the new face
for that frame alone, and blends it back with a mask. Nothing ties one frame's output to the
next, so the pasted face wobbles against the head (alignment jitter), flickers in brightness and
colour, opens its eyes and mouth out of step with the head, and its mask boundary breathes. These
are the *temporal* artifacts (:class:`~sdrlib.data.synthetic.domains.TemporalArtifacts`), common to
every method. On top, each method leaves its own *spatial* fingerprint
(:class:`~sdrlib.data.synthetic.domains.Fingerprint`). SDR_SPEC section 1 (the claim) is why the
split matters; the book chapter 'SynthDF' shows both.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sdrlib.data.synthetic.domains import DomainSpec, Fingerprint, TemporalArtifacts
from sdrlib.data.synthetic.render import blend, ellipse, render_head, rgb
from sdrlib.data.synthetic.scene import Expression, Identity, Pose, Scene, SwapDraws, swap_identity

# Centre (v) and half-axes (fraction of the target face's width, face units) of the blend mask:
# from the brows to below the mouth, inside the face outline.
_MASK_CENTRE_V = 0.12
_MASK_HALF_WIDTH = 0.8
_MASK_HALF_HEIGHT = 0.8
_REFERENCE_SIZE = 64.0
_POSTERIZE_LEVELS = 15.0


def gaussian_blur(frames: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur over the two trailing (spatial) axes, edges replicated.

    Shape:
        frames: ``(..., H, W)`` -> same shape.
    """
    if sigma <= 0:
        return frames
    radius = max(1, int(np.ceil(3.0 * sigma)))
    taps = np.arange(-radius, radius + 1, dtype=np.float32)
    kernel = np.exp(-0.5 * (taps / sigma) ** 2)
    kernel /= kernel.sum()
    out = frames
    for axis in (frames.ndim - 2, frames.ndim - 1):
        pad = [(0, 0)] * frames.ndim
        pad[axis] = (radius, radius)
        padded = np.pad(out, pad, mode="edge")
        window = [slice(None)] * frames.ndim
        acc = np.zeros_like(out)
        for k, weight in enumerate(kernel):
            window[axis] = slice(k, k + out.shape[axis])
            acc += weight * padded[tuple(window)]
        out = acc
    return out


def _smooth_in_time(series: np.ndarray, sigma: float, axis: int) -> np.ndarray:
    """Gaussian low-pass of unit-variance draws along ``axis`` (time), rescaled to unit variance."""
    length = series.shape[axis]
    radius = min(length - 1, max(1, int(np.ceil(3.0 * sigma))))
    taps = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (taps / sigma) ** 2)
    kernel /= np.sqrt((kernel**2).sum())  # white noise of unit variance stays unit variance
    moved = np.moveaxis(series.astype(np.float64), axis, -1)
    padded = np.pad(moved, [(0, 0)] * (moved.ndim - 1) + [(radius, radius)], mode="reflect")
    out = np.stack([padded[..., t : t + 2 * radius + 1] @ kernel for t in range(length)], axis=-1)
    return np.moveaxis(out, -1, axis).astype(np.float32)


def smooth_draws(draws: SwapDraws, smoothness: float) -> SwapDraws:
    """The draws of a fake whose errors drift with time scale ``smoothness`` frames (0: unchanged).

    Every per-frame series is low-pass filtered in time and keeps its variance, so a smooth fake has
    the same amplitude of errors as a jumpy one, at lower temporal frequencies.
    """
    if smoothness <= 0 or draws.gain.shape[0] < 2:
        return draws
    return dataclasses.replace(
        draws,
        pose=_smooth_in_time(draws.pose, smoothness, axis=1),
        gain=_smooth_in_time(draws.gain, smoothness, axis=0),
        color=_smooth_in_time(draws.color, smoothness, axis=0),
        eyes=_smooth_in_time(draws.eyes, smoothness, axis=0),
        mouth=_smooth_in_time(draws.mouth, smoothness, axis=0),
        mask=_smooth_in_time(draws.mask, smoothness, axis=1),
    )


def jitter_pose(pose: Pose, draws: SwapDraws, temporal: TemporalArtifacts, strength: float) -> Pose:
    """The per-frame alignment of the pasted face: the head's pose plus independent errors."""
    return Pose(
        cx=pose.cx + strength * temporal.jitter * pose.scale * draws.pose[0],
        cy=pose.cy + strength * temporal.jitter * pose.scale * draws.pose[1],
        scale=pose.scale * (1.0 + strength * temporal.scale_jitter * draws.pose[2]),
        angle=pose.angle + np.deg2rad(strength * temporal.rotation_jitter_deg) * draws.pose[3],
    )


def mismatch_expression(
    expression: Expression, draws: SwapDraws, temporal: TemporalArtifacts, strength: float
) -> Expression:
    """The pasted face's expression: the head's, mixed with an independent per-frame estimate."""
    weight = float(np.clip(strength * temporal.expression_mismatch, 0.0, 1.0))
    eyes = np.clip(expression.eyes + 0.5 * draws.eyes, 0.0, 1.0)
    mouth = np.clip(expression.mouth + 0.4 * draws.mouth, 0.0, 1.0)
    return dataclasses.replace(
        expression,
        eyes=expression.eyes + weight * (eyes - expression.eyes),
        mouth=expression.mouth + weight * (mouth - expression.mouth),
    )


def apply_face_fingerprint(
    face: np.ndarray,
    method: Fingerprint,
    strength: float,
    coords: tuple[np.ndarray, np.ndarray, np.ndarray],
    scale: float,
    seam_sign: float,
) -> np.ndarray:
    """A method's artifacts on the generated face, before blending (see :class:`Fingerprint`).

    Args:
        face: the generated face layer (whole frames; only the blended region will show).
        method: the fingerprint.
        strength: its multiplier (``spatial_strength`` times the global spatial scale).
        coords: face coordinates of the layer, so that the texture moves with the face.
        scale: the face half-height in frame units (pixel lengths are converted with it).
        seam_sign: the random sign of the brightness step.

    Shape:
        face: ``(3, T, H, W)`` -> same shape.
    """
    if strength == 0:
        return face
    size = face.shape[-1]
    pixel_scale = size / _REFERENCE_SIZE
    face = gaussian_blur(face, strength * method.blur_px * pixel_scale)
    if any(method.color_cast):
        face = face + strength * rgb(method.color_cast)
    if method.texture_amplitude:
        u, v, _ = coords
        cycles = method.texture_frequency * size * 0.5 * scale
        a, b = np.deg2rad(35.0), np.deg2rad(-55.0)
        pattern = 0.5 * (
            np.sin(2 * np.pi * cycles * (u * np.cos(a) + v * np.sin(a)))
            + np.sin(2 * np.pi * cycles * (u * np.cos(b) + v * np.sin(b)))
        )
        lower_face = np.clip((v - 0.05) / 0.2, 0.0, 1.0)
        face = face * (1.0 + strength * method.texture_amplitude * pattern * lower_face)
    if method.sharpen:
        face = face + strength * method.sharpen * (face - gaussian_blur(face, pixel_scale))
    if method.posterize:
        banded = np.rint(face * _POSTERIZE_LEVELS) / _POSTERIZE_LEVELS
        face = face + min(1.0, strength * method.posterize) * (banded - face)
    if method.seam_step:
        face = face * (1.0 + strength * method.seam_step * seam_sign)
    return face.astype(np.float32)


def blend_mask(
    coords: tuple[np.ndarray, np.ndarray, np.ndarray],
    aspect: float,
    feather: float,
    draws: SwapDraws,
    boundary_flicker: float,
) -> np.ndarray:
    """Soft elliptical mask of the inner face, whose size and position flicker per frame.

    Shape:
        returns ``(T, H, W)`` float32 in [0, 1].
    """
    u, v, px = coords
    size = 1.0 + boundary_flicker * draws.mask[0][:, None, None]
    du = u - 0.5 * boundary_flicker * draws.mask[1][:, None, None]
    dv = v - _MASK_CENTRE_V - 0.5 * boundary_flicker * draws.mask[2][:, None, None]
    return ellipse(du, dv, _MASK_HALF_WIDTH * aspect * size, _MASK_HALF_HEIGHT * size, feather + px)


def render_swap(
    real: np.ndarray,
    background: np.ndarray,
    target: Identity,
    source: Identity,
    scene: Scene,
    draws: SwapDraws,
    spec: DomainSpec,
    method: Fingerprint,
    spatial: float,
    temporal: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Turn a rendered real video into its fake: same head, ``source``'s inner face pasted in.

    Args:
        real: the real video's rendered frames (before the camera).
        background: its background layer (the pasted head is rendered over it).
        target: the real video's identity; source: the identity whose inner face is pasted.
        scene: the real video's motion, expression and light.
        draws: the fake's random draws, scaled here by the artifact strengths.
        spec: the domain (temporal artifact amplitudes, blend feather).
        method: the manipulation's fingerprint.
        spatial: total spatial strength; temporal: total temporal strength.

    Returns:
        the fake frames and the blend mask (where the pasted face shows).

    Shape:
        real, background: ``(3, T, H, W)``; returns ``(3, T, H, W)`` and ``(T, H, W)``.
    """
    amplitudes = spec.temporal
    draws = smooth_draws(draws, amplitudes.smoothness)
    pose = jitter_pose(scene.pose, draws, amplitudes, temporal)
    expression = mismatch_expression(scene.expression, draws, amplitudes, temporal)
    face, coords = render_head(background, swap_identity(target, source), pose, expression, scene.light)
    gain = 1.0 + temporal * (
        amplitudes.flicker * draws.gain[:, None] + amplitudes.color_flicker * draws.color
    )
    face *= gain.T[:, :, None, None].astype(np.float32)
    face = apply_face_fingerprint(face, method, spatial, coords, float(scene.pose.scale[0]), draws.seam_sign)
    feather = spec.blend_feather * (1.0 - min(1.0, spatial * method.seam))
    mask = blend_mask(coords, target.aspect, feather, draws, temporal * amplitudes.boundary_flicker)
    fake = real.copy()
    blend(fake, face, mask)
    if method.checkerboard:
        size = real.shape[-1]
        parity = np.indices((size, size)).sum(axis=0) % 2
        checker = np.where(parity == 0, 1.0, -1.0).astype(np.float32)
        fake += (spatial * method.checkerboard / 255.0) * checker * mask
    return fake, mask
