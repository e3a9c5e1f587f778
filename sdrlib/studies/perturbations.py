"""The perturbations of the robustness study: DeeperForensics-1.0's seven corruptions, five levels each.

The protocol comes from LipForensics, which borrowed the perturbations of DeeperForensics-1.0:
seven types (colour saturation, colour contrast, block-wise occlusion, colour Gaussian noise,
Gaussian blur, pixelation, H.264 video compression), each at five intensity levels, applied to the
FF++ test videos at test time only (no model saw them in training). The level parameters below
are DeeperForensics-1.0's (its ``perturbation/add_distortion_to_video.py``); what differs:

- DeeperForensics corrupts whole frames before the face is cropped; here the aligned face clip the
  model sees is corrupted. Sizes in pixels (blur kernel, block side) are given for a 224-pixel
  crop, FTCN's input, and scaled with the crop, so a 32-pixel SynthDF clip gets the same relative
  corruption. Block-wise draws ``count`` 8 x 8 blocks (at 224) per frame; DeeperForensics scales
  its count by the frame size (``min(H, W) // 256``), which has no meaning for a crop.
- DeeperForensics' key ``JPEG`` is in fact a down-then-up resize (pixelation); it is named
  ``pixelation`` here. Compression is real H.264 (x264, CRF) of each clip, with PyAV.
- Random perturbations (blocks, noise) draw new values in every frame, as DeeperForensics does,
  from a generator seeded once per evaluation, so a result is reproducible.

Every perturbation is a test-time clip transform for
:func:`sdrlib.engine.evaluate.evaluate_model` (float clips in [0, 1], ``(B, 3, T, H, W)``);
:mod:`sdrlib.studies.robustness` scores the ``table2`` detectors under them. Book chapter
'robustness'.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import av
import numpy as np
import torch
import torch.nn.functional as F
from av.video.reformatter import VideoReformatter

from sdrlib.augment.base import as_frames, blur_frames, from_frames, luma
from sdrlib.engine.inference import ClipTransform
from sdrlib.engine.runs import Condition

#: The crop side (pixels) at which pixel sizes are specified: FTCN's input.
REFERENCE_SIZE = 224
#: Intensity levels; 0 is the clean clip.
LEVELS = (1, 2, 3, 4, 5)
_BLOCK_SIDE = 8
_GREY = 128 / 255


def _check(x: torch.Tensor) -> None:
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(
            f"clips must be a float tensor in [0, 1], got {type(x).__name__} {getattr(x, 'dtype', '')}"
        )
    if x.ndim != 5 or x.shape[1] != 3:
        raise ValueError(f"clips must have shape (B, 3, T, H, W), got {tuple(x.shape)}")


def _scaled(pixels: float, x: torch.Tensor) -> float:
    """A length given at :data:`REFERENCE_SIZE` expressed at the clip's size."""
    return pixels * min(x.shape[-2:]) / REFERENCE_SIZE


def saturation(x: torch.Tensor, factor: float) -> torch.Tensor:
    """Scale the chroma (Cb, Cr) by ``factor`` around grey, luma kept: 0 gives a grey-scale clip.

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same.
    """
    _check(x)
    grey = luma(x)
    return (grey + factor * (x - grey)).clamp(0.0, 1.0)


def contrast(x: torch.Tensor, factor: float) -> torch.Tensor:
    """DeeperForensics' 'colour contrast': every value multiplied by ``factor`` (< 1 darkens).

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same.
    """
    _check(x)
    return (x * factor).clamp(0.0, 1.0)


def block_wise(x: torch.Tensor, count: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Paste ``count`` grey squares (side 8 px at 224) at random places, new places in every frame.

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same.
    """
    _check(x)
    b, _, t, h, w = x.shape
    side = max(1, round(_scaled(_BLOCK_SIDE, x)))
    side_h, side_w = min(side, h), min(side, w)
    n = int(count)
    device = generator.device if generator is not None else x.device  # draw where the generator lives
    tops = torch.randint(0, h - side_h + 1, (b, t, n), generator=generator, device=device).to(x.device)
    lefts = torch.randint(0, w - side_w + 1, (b, t, n), generator=generator, device=device).to(x.device)
    rows = torch.arange(h, device=x.device).view(1, 1, 1, h)
    cols = torch.arange(w, device=x.device).view(1, 1, 1, w)
    in_rows = (rows >= tops[..., None]) & (rows < tops[..., None] + side_h)  # (B, T, n, H)
    in_cols = (cols >= lefts[..., None]) & (cols < lefts[..., None] + side_w)  # (B, T, n, W)
    # any block covers pixel (r, c) <=> some k has in_rows[k, r] and in_cols[k, c]: a boolean matmul
    covered = torch.einsum("btkh,btkw->bthw", in_rows.float(), in_cols.float()) > 0
    return torch.where(covered[:, None], torch.full_like(x, _GREY), x)


def color_noise(x: torch.Tensor, variance: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Gaussian noise of ``variance`` added to Y, Cb and Cr, new noise in every pixel of every frame.

    DeeperForensics adds it to studio-range YCbCr in [0, 1]; in full-range units its standard
    deviation is ``sqrt(variance) * 255 / 219`` on luma and ``* 255 / 224`` on chroma, which is
    what is drawn here and mapped to RGB with the BT.601 matrix.

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same.
    """
    _check(x)
    std = math.sqrt(variance)
    b, _, t, h, w = x.shape
    device = generator.device if generator is not None else x.device  # draw where the generator lives
    noise = torch.randn((b, 3, t, h, w), generator=generator, device=device).to(
        device=x.device, dtype=x.dtype
    )
    y = noise[:, 0] * std * 255 / 219
    cb = noise[:, 1] * std * 255 / 224
    cr = noise[:, 2] * std * 255 / 224
    rgb = torch.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], dim=1)
    return (x + rgb).clamp(0.0, 1.0)


def blur(x: torch.Tensor, kernel: float) -> torch.Tensor:
    """Gaussian blur of every frame: kernel ``kernel`` px and sigma ``kernel / 6`` at 224, scaled.

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same.
    """
    _check(x)
    return blur_frames(x, _scaled(kernel, x) / 6, max(3, 2 * math.floor(_scaled(kernel, x) / 2) + 1))


def pixelation(x: torch.Tensor, factor: float) -> torch.Tensor:
    """Bilinear down-sizing by ``factor`` and back (DeeperForensics' key ``JPEG``).

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same.
    """
    _check(x)
    h, w = x.shape[-2:]
    small = (max(1, int(h // factor)), max(1, int(w // factor)))
    frames = F.interpolate(as_frames(x), size=small, mode="bilinear", align_corners=False)
    frames = F.interpolate(frames, size=(h, w), mode="bilinear", align_corners=False)
    return from_frames(frames, x).clamp(0.0, 1.0)


def _h264_roundtrip(frames: np.ndarray, crf: int) -> np.ndarray:
    """Encode uint8 RGB frames ``(T, H, W, 3)`` with x264 at ``crf`` (4:2:0) and decode them back."""
    t, h, w, _ = frames.shape
    # 4:2:0 chroma needs even sides: replicate the last row/column, crop after decoding
    padded = np.pad(frames, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="h264") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = padded.shape[2], padded.shape[1], "yuv420p"
        # One thread and x264's C code instead of its assembly: with the assembly, the same input
        # now and then gave a different bitstream (seen at 32 and 224 px, in one process as well
        # as across processes); the C code never did. It costs about 3x at 224 px.
        stream.options = {"crf": str(int(crf)), "preset": "medium", "threads": "1", "x264-params": "asm=0"}
        for frame in padded:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    buffer.seek(0)
    # One reformatter for all frames: frame.to_ndarray(format=...) builds a new swscale context for
    # every frame, which cost most of the round trip at 32 px (the same pixels either way).
    reformatter = VideoReformatter()
    with av.open(buffer, mode="r", format="h264") as container:
        decoded = [reformatter.reformat(f, format="rgb24").to_ndarray() for f in container.decode(video=0)]
    if len(decoded) != t:
        raise RuntimeError(f"H.264 round trip returned {len(decoded)} frames for {t}")
    return np.stack(decoded)[:, :h, :w]


def compression(x: torch.Tensor, crf: float) -> torch.Tensor:
    """H.264 compression of every clip at constant rate factor ``crf`` (higher = worse).

    Shape:
        x: ``(B, 3, T, H, W)`` in [0, 1] -> same (values on the 1/255 grid).
    """
    _check(x)
    clips = (x.detach().clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 4, 1).cpu().numpy()
    out = np.stack([_h264_roundtrip(clip, int(crf)) for clip in clips])
    return torch.from_numpy(out).to(device=x.device, dtype=x.dtype).permute(0, 4, 1, 2, 3).div(255.0)


@dataclass(frozen=True)
class Perturbation:
    """One perturbation type: its function and its parameter at each level (1..5)."""

    name: str
    description: str
    parameter: str
    values: tuple[float, ...]
    function: Callable[..., torch.Tensor]
    random: bool = False

    def value(self, level: int) -> float:
        return self.values[level - 1]


#: The seven DeeperForensics-1.0 perturbations with its level parameters (LipForensics' order).
PERTURBATIONS: dict[str, Perturbation] = {
    p.name: p
    for p in (
        Perturbation(
            "saturation", "colour saturation", "chroma factor", (0.4, 0.3, 0.2, 0.1, 0.0), saturation
        ),
        Perturbation(
            "contrast", "colour contrast", "value factor", (0.85, 0.725, 0.6, 0.475, 0.35), contrast
        ),
        Perturbation(
            "block", "block-wise grey squares", "squares per frame", (16, 32, 48, 64, 80), block_wise, True
        ),
        Perturbation(
            "noise", "colour Gaussian noise", "variance", (0.001, 0.002, 0.005, 0.01, 0.05), color_noise, True
        ),
        Perturbation("blur", "Gaussian blur", "kernel px at 224", (7, 9, 13, 17, 21), blur),
        Perturbation("pixelation", "down-up resize", "factor", (2, 3, 4, 5, 6), pixelation),
        Perturbation("compression", "H.264 compression", "CRF", (30, 32, 35, 38, 40), compression),
    )
}


def get_perturbation(name: str, level: int) -> Perturbation:
    """The spec of perturbation ``name``, after checking that ``level`` is one of 0..5.

    Raises:
        ValueError: an unknown name or a level outside 0..5.
    """
    if name not in PERTURBATIONS:
        raise ValueError(f"unknown perturbation {name!r}; known: {list(PERTURBATIONS)}")
    if not isinstance(level, (int, np.integer)) or isinstance(level, bool) or not 0 <= level <= len(LEVELS):
        raise ValueError(f"level must be an integer in 0..{len(LEVELS)} (0 = clean), got {level!r}")
    return PERTURBATIONS[name]


def perturb(x: torch.Tensor, name: str, level: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Apply perturbation ``name`` at ``level`` (0 returns ``x`` unchanged).

    Shape:
        x: ``(B, 3, T, H, W)`` float in [0, 1] -> same.

    Raises:
        ValueError: unknown name, a level outside 0..5, or clips of the wrong shape.
    """
    spec = get_perturbation(name, level)
    _check(x)
    if level == 0:
        return x
    if spec.random:
        return spec.function(x, spec.value(level), generator)
    return spec.function(x, spec.value(level))


@dataclass
class PerturbationTransform:
    """Perturbation ``name`` at ``level`` as a clip transform for
    :func:`~sdrlib.engine.evaluate.evaluate_model`, reproducible given ``seed``.

    Random perturbations draw from one generator seeded here, created on the device of the first
    batch (no host-side noise copied to a GPU), so the same sequence of batches on the same device
    gets the same corruption every time. A picklable object (not a closure), so that the grids can
    score it in worker processes.
    """

    name: str
    level: int
    seed: int = 0
    generators: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        get_perturbation(self.name, self.level)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.device not in self.generators:
            self.generators[x.device] = torch.Generator(device=x.device).manual_seed(self.seed)
        return perturb(x, self.name, self.level, self.generators[x.device])


def perturbation_transform(name: str, level: int, seed: int = 0) -> ClipTransform:
    """:class:`PerturbationTransform` (validated: an unknown name or level is a ValueError)."""
    return PerturbationTransform(name, level, seed)


def perturbation_condition(name: str, level: int, seed: int) -> Condition:
    """One perturbed evaluation for :func:`sdrlib.engine.runs.evaluate_runs`: its cache label names
    the perturbation, the level and the seed of its random draws."""
    get_perturbation(name, level)
    return Condition(
        f"robust-{name}-{level}-s{seed}",
        perturbation_transform(name, level, seed),
        {"perturbation": name, "level": level, "value": PERTURBATIONS[name].value(level)},
    )
