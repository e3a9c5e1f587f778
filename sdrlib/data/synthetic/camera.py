"""The camera and codec every SynthDF video goes through, real and fake alike.

Exposure (including low light and its slow drift), resampling from the native rendering
resolution, per-frame sensor noise, 8-bit quantisation and a per-frame JPEG-like codec (8x8 DCT
blocks quantised with the IJG tables). Because both classes of a domain share this chain, it
shapes what a domain looks like without telling real from fake; the only exception is the
``noise_keep`` map, through which a manipulation can remove sensor noise from the face it pasted.
"""

from __future__ import annotations

import numpy as np

_LUMA_TABLE = np.array(
    [
        [16, 11, 10, 16, 24, 40, 51, 61],
        [12, 12, 14, 19, 26, 58, 60, 55],
        [14, 13, 16, 24, 40, 57, 69, 56],
        [14, 17, 22, 29, 51, 87, 80, 62],
        [18, 22, 37, 56, 68, 109, 103, 77],
        [24, 35, 55, 64, 81, 104, 113, 92],
        [49, 64, 78, 87, 103, 121, 120, 101],
        [72, 92, 95, 98, 112, 100, 103, 99],
    ],
    dtype=np.float32,
)
_CHROMA_TABLE = np.full((8, 8), 99.0, dtype=np.float32)
_CHROMA_TABLE[:4, :4] = [[17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99], [47, 66, 99, 99]]

_RGB_TO_YCC = np.array(
    [[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]], dtype=np.float32
)
_YCC_TO_RGB = np.linalg.inv(_RGB_TO_YCC).astype(np.float32)


def _dct_matrix() -> np.ndarray:
    n = np.arange(8)
    basis = np.cos(np.pi * (2 * n[None, :] + 1) * n[:, None] / 16.0)
    basis[0] *= np.sqrt(1.0 / 8.0)
    basis[1:] *= np.sqrt(2.0 / 8.0)
    return basis.astype(np.float32)


_DCT = _dct_matrix()


def quant_table(base: np.ndarray, quality: int) -> np.ndarray:
    """The IJG scaling of a base quantisation table to ``quality`` in 1..100."""
    quality = int(np.clip(quality, 1, 100))
    scale = 5000.0 / quality if quality < 50 else 200.0 - 2.0 * quality
    return np.clip(np.floor((base * scale + 50.0) / 100.0), 1.0, 255.0).astype(np.float32)


def _block_transform(blocks: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``matrix @ block @ matrix.T`` for every 8x8 block, as two large matrix products."""
    n = blocks.shape[0]
    left = (matrix @ blocks.transpose(1, 0, 2).reshape(8, n * 8)).reshape(8, n, 8).transpose(1, 0, 2)
    return (left.reshape(n * 8, 8) @ matrix.T).reshape(n, 8, 8)


def jpeg_like(planes: np.ndarray, quality: int) -> np.ndarray:
    """Compress and decompress every frame as a baseline JPEG would (no chroma subsampling).

    Frames are converted to YCbCr, cut into 8x8 blocks (edge-padded to a multiple of 8), each
    block's DCT is quantised with the IJG luma/chroma tables scaled to ``quality``, and the result
    goes back to RGB: blocking, ringing and lost fine detail, increasing as quality drops.

    Shape:
        planes: channel-first RGB ``(3, T, H, W)`` in 0..255 -> same shape, rounded to integers.
    """
    _, t, h, w = planes.shape
    ph, pw = (-h) % 8, (-w) % 8
    # Level shift: Y is centred on 128 as in JPEG; Cb and Cr come out of the matrix centred on 0.
    x = np.tensordot(_RGB_TO_YCC, planes, axes=1)
    x[0] -= 128.0
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (0, ph), (0, pw)), mode="edge")
    hb, wb = x.shape[2] // 8, x.shape[3] // 8
    blocks = x.reshape(3, t, hb, 8, wb, 8).transpose(0, 1, 2, 4, 3, 5).reshape(3, -1, 8, 8)
    for channel, base in enumerate((_LUMA_TABLE, _CHROMA_TABLE, _CHROMA_TABLE)):
        table = quant_table(base, quality)
        coeffs = np.rint(_block_transform(blocks[channel], _DCT) / table) * table
        blocks[channel] = _block_transform(coeffs, _DCT.T)
    x = blocks.reshape(3, t, hb, wb, 8, 8).transpose(0, 1, 2, 4, 3, 5).reshape(3, t, hb * 8, wb * 8)
    x = x[:, :, :h, :w]
    x[0] += 128.0
    return np.clip(np.rint(np.tensordot(_YCC_TO_RGB, x, axes=1)), 0, 255).astype(np.float32)


def _bilinear_matrix(src: int, dst: int) -> np.ndarray:
    pos = np.clip((np.arange(dst) + 0.5) * (src / dst) - 0.5, 0, src - 1)
    low = np.floor(pos).astype(int)
    high = np.minimum(low + 1, src - 1)
    frac = (pos - low).astype(np.float32)
    matrix = np.zeros((dst, src), dtype=np.float32)
    np.add.at(matrix, (np.arange(dst), low), 1.0 - frac)
    np.add.at(matrix, (np.arange(dst), high), frac)
    return matrix


def upsample(frames: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resampling of square images to ``size`` x ``size`` (pixel-centre aligned).

    Shape:
        frames: ``(..., S, S)`` float32 -> ``(..., size, size)``.
    """
    matrix = _bilinear_matrix(frames.shape[-1], size)
    return (matrix @ frames @ matrix.T).astype(np.float32)


def capture(
    frames: np.ndarray,
    exposure: np.ndarray,
    noise: np.ndarray,
    noise_std: float,
    jpeg_quality: int,
    noise_keep: np.ndarray | None = None,
) -> np.ndarray:
    """Film rendered frames: exposure, resampling to the noise's size, sensor noise, 8 bits, codec.

    Args:
        frames: rendered channel-first frames in [0, 1] at the native resolution.
        exposure: per-frame gain.
        noise: standard-normal sensor noise at the output resolution (shared by a real video
            and its fake, so that the pair differs only by the manipulation).
        noise_std: noise standard deviation in grey levels (0..255).
        jpeg_quality: codec quality 1..100, or 0 for none.
        noise_keep: optional fraction of the noise kept at each pixel, at native resolution.

    Shape:
        frames: ``(3, T, S, S)``; exposure: ``(T,)``; noise: ``(3, T, H, W)``;
        noise_keep: ``(T, S, S)``; returns ``(T, H, W, 3)`` uint8.
    """
    x = frames * exposure[:, None, None]
    size = noise.shape[-1]
    if x.shape[-1] != size:
        x = upsample(x, size)
        if noise_keep is not None:
            noise_keep = upsample(noise_keep, size)
    grain = noise * np.float32(noise_std / 255.0)
    if noise_keep is not None:
        grain = grain * noise_keep
    x = np.clip(np.rint((x + grain) * 255.0), 0, 255)
    if jpeg_quality:
        x = jpeg_like(x, jpeg_quality)
    return np.ascontiguousarray(x.astype(np.uint8).transpose(1, 2, 3, 0))
