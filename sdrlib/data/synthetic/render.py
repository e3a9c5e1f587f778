"""Vectorised rendering of SynthDF frames: every shape of every frame of a video in one pass.

All drawing is analytic on coordinate grids (float32 numpy, no per-pixel loop): a shape is a soft
mask from an approximate signed distance, anti-aliased over one pixel, and layers are alpha
blended. A video of T frames is one channel-first ``(3, T, H, W)`` array while it is rendered
(numpy is several times faster when the innermost axis is long, not the 3 colours); per-frame
parameters broadcast as ``(T, 1, 1)``, colours as ``(3, 1, 1, 1)``.
"""

from __future__ import annotations

import numpy as np

from sdrlib.data.synthetic.scene import Background, Expression, Identity, Light, Pose

_SCLERA = np.array([0.93, 0.91, 0.88], dtype=np.float32)
_MOUTH = np.array([0.28, 0.08, 0.08], dtype=np.float32)


def pixel_centres(size: int) -> np.ndarray:
    """Pixel-centre coordinates of a ``size``-pixel axis spanning [-1, 1]."""
    return ((np.arange(size, dtype=np.float32) + 0.5) * (2.0 / size) - 1.0).astype(np.float32)


def _col(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)[:, None, None]


def rgb(color: np.ndarray) -> np.ndarray:
    """An RGB triple shaped ``(3, 1, 1, 1)`` to broadcast over channel-first frames."""
    return np.asarray(color, dtype=np.float32).reshape(3, 1, 1, 1)


def face_coords(pose: Pose, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Face coordinates ``(u, v)`` of every pixel of every frame, and one pixel in face units.

    Shape:
        returns ``u``, ``v``: ``(T, size, size)``; pixel size: ``(T, 1, 1)``.
    """
    axis = pixel_centres(size)
    dx = axis[None, None, :] - _col(pose.cx)
    dy = axis[None, :, None] - _col(pose.cy)
    cos = _col(np.cos(pose.angle) / pose.scale)
    sin = _col(np.sin(pose.angle) / pose.scale)
    u = cos * dx + sin * dy
    v = cos * dy - sin * dx
    return u, v, _col((2.0 / size) / pose.scale)


def ellipse(
    du: np.ndarray, dv: np.ndarray, a: float | np.ndarray, b: float | np.ndarray, width: float | np.ndarray
) -> np.ndarray:
    """Soft mask of the ellipse ``(du/a)^2 + (dv/b)^2 <= 1``, ramping from 1 to 0 over ``width``.

    The signed distance is estimated as ``s (s - 1) / |(du/a^2, dv/b^2)|`` with
    ``s = |(du/a, dv/b)|``: exact on the boundary and along the axes, good for moderately
    elongated ellipses. Thinner ones (an eye closing, a closed mouth) would be badly estimated, so
    an axis below half the ramp width is held there and the shape fades instead of thinning.
    """
    a_held = np.maximum(a, 0.5 * width)
    b_held = np.maximum(b, 0.5 * width)
    qa = du / a_held
    qb = dv / b_held
    radius = np.sqrt(qa * qa + qb * qb)
    grad = np.sqrt((qa / a_held) ** 2 + (qb / b_held) ** 2) + 1e-6
    alpha = np.clip(0.5 - radius * (radius - 1.0) / (grad * width), 0.0, 1.0)
    fade = (np.minimum(a, a_held) / a_held) * (np.minimum(b, b_held) / b_held)
    return alpha * fade


def blend(canvas: np.ndarray, color: np.ndarray, alpha: np.ndarray) -> None:
    """Alpha-blend ``color`` (an RGB triple or frames) over ``canvas`` in place.

    Shape:
        canvas: ``(3, T, H, W)``; color: ``(3,)`` or broadcastable to canvas; alpha: ``(T, H, W)``.
    """
    if color.ndim == 1:
        color = rgb(color)
    canvas += alpha * (color - canvas)


def render_background(background: Background, pose: Pose, size: int) -> np.ndarray:
    """The backdrop and the person's torso (it follows the head's translation).

    Shape:
        returns ``(3, T, size, size)`` float32 in [0, 1].
    """
    axis = pixel_centres(size)
    x = axis[None, None, :]
    y = axis[None, :, None]
    ramp = ((axis + 1.0) * 0.5)[None, None, :, None]
    base = rgb(background.top) + ramp * rgb(background.bottom - background.top)
    pan_x = _col(background.pan[0])
    pan_y = _col(background.pan[1])
    phase = (x - pan_x) * np.cos(background.stripe_angle) + (y - pan_y) * np.sin(background.stripe_angle)
    stripes = 1.0 + background.stripe_amp * np.sin((2 * np.pi * background.stripe_freq) * phase)
    canvas = (base * stripes).astype(np.float32)
    for (bx, by), radius, color, strength in zip(
        background.blob_xy, background.blob_radius, background.blob_color, background.blob_alpha, strict=True
    ):
        d2 = ((x - pan_x - bx) ** 2 + (y - pan_y - by) ** 2) / (radius * radius)
        blend(canvas, color, strength * np.exp(-d2))
    scale = _col(pose.scale)
    torso = ellipse(
        x - _col(pose.cx), y - (_col(pose.cy) + 1.85 * scale), 1.5 * scale, 0.95 * scale, 2.0 / size
    )
    blend(canvas, background.shirt, torso)
    return canvas


def render_head(
    background: np.ndarray,
    identity: Identity,
    pose: Pose,
    expression: Expression,
    light: Light,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Draw a head (neck, shaded face with texture and features, hair) over ``background``.

    The face's texture and features live in face coordinates, so they move rigidly with the
    head; eyes follow the blink signal, the mouth the mouth signal, the irises the gaze.

    Returns:
        the new frames, and the face coordinates ``(u, v, pixel)`` of :func:`face_coords`.

    Shape:
        background: ``(3, T, H, W)``; returns ``(3, T, H, W)`` float32.
    """
    size = background.shape[2]
    u, v, px = face_coords(pose, size)
    ident = identity
    au = np.abs(u)

    texture = np.ones_like(u)
    for (fu, fv), phase, amp in zip(ident.texture_freq, ident.texture_phase, ident.texture_amp, strict=True):
        texture += amp * np.sin(phase + 2 * np.pi * (fu * u + fv * v))
    albedo = rgb(ident.skin) * texture
    blush = ident.blush * np.exp(-(((au - 0.42) / 0.17) ** 2 + ((v - 0.28) / 0.15) ** 2))
    albedo[0] += 0.12 * blush
    albedo[2] -= 0.04 * blush
    nose = ellipse(u, v - 0.12, 0.07, ident.nose_length, 0.15)
    albedo *= 1.0 - 0.12 * nose

    mouth = _col(expression.mouth)
    dv = v - ident.mouth_y
    blend(albedo, ident.lip, ellipse(u, dv, ident.mouth_w, 0.04 + 0.07 * mouth, px))
    blend(albedo, _MOUTH, ellipse(u, dv, 0.78 * ident.mouth_w, 0.06 * mouth, px))

    eyes = _col(expression.eyes)
    eu = au - ident.eye_x
    ev = v - ident.eye_y
    lid = ident.eye_h * eyes
    blend(albedo, 0.4 * ident.brow, ellipse(eu, ev, 1.1 * ident.eye_w, lid + 0.018, px))
    white = ellipse(eu, ev, ident.eye_w, lid, px)
    blend(albedo, _SCLERA, white)
    iu = np.abs(u - _col(expression.gaze_x)) - ident.eye_x
    iv = ev - _col(expression.gaze_y)
    blend(albedo, ident.iris, white * ellipse(iu, iv, 0.85 * ident.eye_h, 0.85 * ident.eye_h, px))
    brow_v = v - (ident.eye_y - ident.brow_gap - _col(expression.brow_raise))
    blend(albedo, ident.brow, ellipse(eu, brow_v, 1.2 * ident.eye_w, ident.brow_thickness, px))

    # Lambertian shading of an ellipsoid head: the normal's depth component from the face shape.
    depth = np.sqrt(np.clip(1.0 - (u / ident.aspect) ** 2 - v * v, 0.04, 1.0))
    lz = np.sqrt(np.clip(1.0 - light.lx**2 - light.ly**2, 0.0, 1.0))
    lambert = _col(light.lx) * (u / ident.aspect) + _col(light.ly) * v + _col(lz) * depth
    shade = light.ambient + light.diffuse * np.clip(lambert, 0.0, 1.0)

    canvas = background.copy()
    blend(canvas, 0.72 * ident.skin, ellipse(u, v - 1.05, 0.36 * ident.aspect, 0.6, px))
    jaw_u = u / (1.0 - ident.jaw * np.clip(v, 0.0, 1.0))
    blend(canvas, albedo * shade, ellipse(jaw_u, v, ident.aspect, 1.0, px))
    cap = ellipse(u, v + 0.08, ident.aspect * ident.hair_volume, ident.hair_volume, px)
    above = np.clip(0.5 + (ident.hairline + 0.35 * u * u - v) / px, 0.0, 1.0)
    blend(canvas, rgb(ident.hair) * (0.6 + 0.5 * shade), cap * above)
    return canvas, (u, v, px)
