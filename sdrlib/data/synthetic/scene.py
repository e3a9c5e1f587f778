"""Random parameters of a SynthDF video: identities, head motion, expressions, light, background.

Everything random about a video is drawn here, before any pixel is rendered, from generators
seeded by the video's own key (see :mod:`sdrlib.data.synthetic.generate`). The renderer is then a
pure function of these parameters, which is what makes SynthDF deterministic.

Coordinates: the frame spans [-1, 1] in x (right) and y (down). Face coordinates ``(u, v)`` are in
units of the face half-height, centred on the face, v pointing to the chin.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from sdrlib.data.synthetic.domains import SceneStyle
from sdrlib.data.synthetic.signals import blink_openness, mouth_opening, random_walk, smooth_noise

_SKIN_PALETTE = np.array([[0.96, 0.80, 0.69], [0.82, 0.60, 0.46], [0.45, 0.29, 0.20]], dtype=np.float32)
_HAIR_PALETTE = np.array(
    [
        [0.08, 0.06, 0.05],
        [0.24, 0.15, 0.08],
        [0.45, 0.30, 0.16],
        [0.80, 0.66, 0.42],
        [0.58, 0.25, 0.10],
        [0.62, 0.60, 0.58],
    ],
    dtype=np.float32,
)
_IRIS_PALETTE = np.array(
    [[0.33, 0.20, 0.10], [0.14, 0.09, 0.06], [0.30, 0.45, 0.66], [0.32, 0.46, 0.30]], dtype=np.float32
)


@dataclass(frozen=True)
class Identity:
    """What makes a face recognisable: shape, colours, feature layout and a fixed skin texture.

    Lengths are in face units (the face half-height is 1); colours are RGB in [0, 1].
    """

    aspect: float
    jaw: float
    skin: np.ndarray
    hair: np.ndarray
    hairline: float
    hair_volume: float
    eye_x: float
    eye_y: float
    eye_w: float
    eye_h: float
    iris: np.ndarray
    brow: np.ndarray
    brow_gap: float
    brow_thickness: float
    nose_length: float
    mouth_y: float
    mouth_w: float
    lip: np.ndarray
    texture_freq: np.ndarray
    texture_phase: np.ndarray
    texture_amp: np.ndarray
    blush: float


# The inner face a face-swap generator replaces; the head outline, hair and skin colour (matched by
# colour transfer) stay the target's.
_INNER_FIELDS = (
    "eye_x",
    "eye_y",
    "eye_w",
    "eye_h",
    "iris",
    "brow",
    "brow_gap",
    "brow_thickness",
    "nose_length",
    "mouth_y",
    "mouth_w",
    "lip",
    "texture_freq",
    "texture_phase",
    "texture_amp",
    "blush",
)


def sample_identity(rng: np.random.Generator, style: SceneStyle) -> Identity:
    """Draw one identity from the skin-tone range of ``style``."""
    tone = rng.uniform(*style.skin_tone) * (len(_SKIN_PALETTE) - 1)
    low = min(int(tone), len(_SKIN_PALETTE) - 2)
    skin = _SKIN_PALETTE[low] + (tone - low) * (_SKIN_PALETTE[low + 1] - _SKIN_PALETTE[low])
    skin = np.clip(skin + rng.normal(0, 0.025, 3), 0.05, 1.0).astype(np.float32)
    hair = np.clip(_HAIR_PALETTE[rng.integers(len(_HAIR_PALETTE))] + rng.normal(0, 0.03, 3), 0.02, 1.0)
    lip = np.clip(skin * np.array([0.95, 0.62, 0.64]) + rng.normal(0, 0.03, 3), 0.05, 1.0)
    n_tex = 4
    angles = rng.uniform(0, np.pi, n_tex)
    radii = rng.uniform(1.0, 4.0, n_tex)
    return Identity(
        aspect=float(rng.uniform(0.70, 0.84)),
        jaw=float(rng.uniform(0.05, 0.22)),
        skin=skin,
        hair=hair.astype(np.float32),
        hairline=float(rng.uniform(-0.62, -0.44)),
        hair_volume=float(rng.uniform(1.04, 1.18)),
        eye_x=float(rng.uniform(0.27, 0.35)),
        eye_y=float(rng.uniform(-0.16, -0.04)),
        eye_w=float(rng.uniform(0.13, 0.17)),
        eye_h=float(rng.uniform(0.06, 0.085)),
        iris=np.clip(_IRIS_PALETTE[rng.integers(len(_IRIS_PALETTE))] + rng.normal(0, 0.03, 3), 0, 1).astype(
            np.float32
        ),
        brow=(hair * rng.uniform(0.6, 0.9)).astype(np.float32),
        brow_gap=float(rng.uniform(0.15, 0.22)),
        brow_thickness=float(rng.uniform(0.025, 0.045)),
        nose_length=float(rng.uniform(0.15, 0.24)),
        mouth_y=float(rng.uniform(0.40, 0.52)),
        mouth_w=float(rng.uniform(0.18, 0.28)),
        lip=lip.astype(np.float32),
        texture_freq=np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1).astype(np.float32),
        texture_phase=rng.uniform(0, 2 * np.pi, n_tex).astype(np.float32),
        texture_amp=rng.uniform(0.008, 0.025, n_tex).astype(np.float32),
        blush=float(rng.uniform(0.0, 0.6)),
    )


def swap_identity(target: Identity, source: Identity) -> Identity:
    """The face a swap produces: ``source``'s inner face inside ``target``'s head and skin colour."""
    return dataclasses.replace(target, **{name: getattr(source, name) for name in _INNER_FIELDS})


@dataclass(frozen=True)
class Pose:
    """Per-frame head pose: centre (frame units), face half-height (frame units), rotation (rad).

    Shape:
        each field ``(T,)`` float32.
    """

    cx: np.ndarray
    cy: np.ndarray
    scale: np.ndarray
    angle: np.ndarray


@dataclass(frozen=True)
class Expression:
    """Per-frame eye opening and mouth opening in [0, 1], gaze and brow offsets (face units).

    Shape:
        each field ``(T,)`` float32.
    """

    eyes: np.ndarray
    mouth: np.ndarray
    gaze_x: np.ndarray
    gaze_y: np.ndarray
    brow_raise: np.ndarray


@dataclass(frozen=True)
class Light:
    """Per-frame light direction (face frame), ambient and diffuse weights, camera exposure.

    Shape:
        ``lx``, ``ly``, ``exposure``: ``(T,)`` float32.
    """

    lx: np.ndarray
    ly: np.ndarray
    ambient: float
    diffuse: float
    exposure: np.ndarray


@dataclass(frozen=True)
class Background:
    """A moving backdrop: vertical gradient, soft blobs, faint stripes, and the person's torso."""

    top: np.ndarray
    bottom: np.ndarray
    blob_xy: np.ndarray
    blob_radius: np.ndarray
    blob_color: np.ndarray
    blob_alpha: np.ndarray
    stripe_freq: float
    stripe_angle: float
    stripe_amp: float
    pan: np.ndarray
    shirt: np.ndarray


@dataclass(frozen=True)
class Scene:
    """Everything random about a real video except its identity and its sensor noise."""

    pose: Pose
    expression: Expression
    light: Light
    background: Background


def sample_scene(rng: np.random.Generator, style: SceneStyle, frames: int) -> Scene:
    """Draw the motion, expressions, lighting and background of one video of ``frames`` frames."""
    walks = random_walk(rng, 4, frames, style.motion_smoothness)
    scale0 = rng.uniform(*style.head_scale)
    pose = Pose(
        cx=(rng.normal(0, 0.03) + style.head_speed * walks[0]).astype(np.float32),
        cy=(0.06 + rng.normal(0, 0.03) + style.head_speed * walks[1]).astype(np.float32),
        scale=(scale0 * (1.0 + 0.5 * style.head_speed * walks[2])).astype(np.float32),
        angle=np.deg2rad(rng.normal(0, style.head_rotation_deg) + style.rotation_speed_deg * walks[3]).astype(
            np.float32
        ),
    )
    gaze = 0.03 * smooth_noise(rng, 2, frames, 4.0)
    expression = Expression(
        eyes=blink_openness(rng, frames, style.blink_rate),
        mouth=mouth_opening(rng, frames, style.talk_probability),
        gaze_x=gaze[0],
        gaze_y=0.5 * gaze[1],
        brow_raise=(0.015 * smooth_noise(rng, 1, frames, 5.0)[0]).astype(np.float32),
    )
    light_angle = rng.uniform(0, 2 * np.pi) + 0.02 * random_walk(rng, 1, frames, 6.0)[0]
    tilt = rng.uniform(0.2, 0.6)
    drift = smooth_noise(rng, 1, frames, max(4.0, frames / 3.0))[0]
    light = Light(
        lx=(tilt * np.cos(light_angle)).astype(np.float32),
        ly=(tilt * np.sin(light_angle)).astype(np.float32),
        ambient=float(rng.uniform(0.45, 0.6)),
        diffuse=float(rng.uniform(0.35, 0.5)),
        exposure=(style.light_level * (1.0 + style.light_drift * drift)).astype(np.float32),
    )
    n_blobs = 3
    background = Background(
        top=rng.uniform(0.15, 0.85, 3).astype(np.float32),
        bottom=rng.uniform(0.1, 0.7, 3).astype(np.float32),
        blob_xy=rng.uniform(-1.1, 1.1, (n_blobs, 2)).astype(np.float32),
        blob_radius=rng.uniform(0.2, 0.6, n_blobs).astype(np.float32),
        blob_color=rng.uniform(0.0, 1.0, (n_blobs, 3)).astype(np.float32),
        blob_alpha=rng.uniform(0.3, 0.8, n_blobs).astype(np.float32),
        stripe_freq=float(rng.uniform(1.0, 4.0)),
        stripe_angle=float(rng.uniform(0, np.pi)),
        stripe_amp=float(rng.uniform(0.0, 0.08)),
        pan=(0.01 * random_walk(rng, 2, frames, 5.0) + rng.normal(0, 0.004, (2, 1))).astype(np.float32),
        shirt=rng.uniform(0.05, 0.9, 3).astype(np.float32),
    )
    return Scene(pose=pose, expression=expression, light=light, background=background)


@dataclass(frozen=True)
class SwapDraws:
    """The random draws of a face swap, in unit scale; strengths multiply them at render time.

    Keeping the draws independent of the strengths makes ``temporal_strength=0`` the same fake
    without its temporal artifacts, rather than a different fake.

    Shape:
        ``pose``: ``(4, T)`` (x, y, scale, angle), ``gain``: ``(T,)``, ``color``: ``(T, 3)``,
        ``eyes``/``mouth``: ``(T,)`` per-frame expression noise, ``mask``: ``(3, T)`` (size, x, y).
    """

    pose: np.ndarray
    gain: np.ndarray
    color: np.ndarray
    eyes: np.ndarray
    mouth: np.ndarray
    mask: np.ndarray
    seam_sign: float


def sample_swap_draws(rng: np.random.Generator, frames: int) -> SwapDraws:
    """Independent per-frame draws for a fake of ``frames`` frames (see :class:`SwapDraws`)."""
    return SwapDraws(
        pose=rng.standard_normal((4, frames)).astype(np.float32),
        gain=rng.standard_normal(frames).astype(np.float32),
        color=rng.standard_normal((frames, 3)).astype(np.float32),
        eyes=rng.standard_normal(frames).astype(np.float32),
        mouth=rng.standard_normal(frames).astype(np.float32),
        mask=rng.standard_normal((3, frames)).astype(np.float32),
        seam_sign=float(rng.choice([-1.0, 1.0])),
    )
