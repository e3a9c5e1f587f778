"""TPA: the K branch perturbations of SDR applied to one batch (SDR_SPEC sections 2.1-2.2; book chapter 'TPA').

:class:`TPA` holds one op name per spatial perturbation branch (SPB) and turns a batch of ``B``
clips into ``K * B`` perturbed views, branch-major (views ``k * B ... (k + 1) * B - 1`` belong to
branch ``k``), so that the SDR model can run all views through ONE trunk call.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from sdrlib.augment.ops import OPS, check_clips
from sdrlib.data.normalize import denormalize, normalize

#: the four default TPA ops, one per branch for K = 2..4 (SDR_SPEC 2.1, [A]). Chosen by what the
#: FTCN trunk sees: each changes the untrained trunk's tokens at 224 px by at least half the median
#: change of the set (:func:`sdrlib.studies.visibility.visibility_rule`, docs/tpa_visibility.md).
#: The spec's fourth, ``patch_shuffle``, fails that rule on smooth content and is kept by name.
DEFAULT_OPS: tuple[str, ...] = ("color_jitter", "gaussian_blur", "random_erasing", "sharpen")
#: the default set before the visibility measurement (``--set model.options.branch_ops=...``).
SPEC_DEFAULT_OPS: tuple[str, ...] = ("color_jitter", "gaussian_blur", "random_erasing", "patch_shuffle")
#: the op added as the fifth branch ("Gaussian noise of the same intensity", SDR_SPEC 2.1, [I]).
FIFTH_OP = "gaussian_noise"
MAX_BRANCHES = 5


def list_ops() -> list[str]:
    """Names of every TPA op, sorted."""
    return sorted(OPS)


def default_branch_ops(k: int) -> list[str]:
    """The default op of each of ``k`` branches.

    ``k = 1`` is the "w/o SPB" ablation (the clean clip only); ``k = 2..4`` take the first ``k``
    of :data:`DEFAULT_OPS` (the paper "arbitrarily" chooses 2 and 3 of them); ``k = 5`` adds
    :data:`FIFTH_OP`.
    """
    if not 1 <= k <= MAX_BRANCHES:
        raise ValueError(f"number of branches K must be in 1..{MAX_BRANCHES}, got {k}")
    if k == 1:
        return ["identity"]
    if k <= len(DEFAULT_OPS):
        return list(DEFAULT_OPS[:k])
    return [*DEFAULT_OPS, FIFTH_OP]


def apply_op(
    name: str, x01: torch.Tensor, strength: float = 1.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Apply the TPA op ``name`` to clips in [0, 1] (see :mod:`sdrlib.augment.ops` for the ranges).

    Shape:
        x01: ``(B, 3, T, H, W)`` -> same shape.
    """
    if name not in OPS:
        raise ValueError(f"unknown TPA op {name!r}; valid: {list_ops()}")
    return OPS[name](x01, strength, generator)


class TPA(nn.Module):
    """The K branch perturbations of one SDR model (no parameters).

    Args:
        ops: one op name per branch (see :func:`list_ops`).
        strength: in [0, 1], scales the parameter range of every op.
    """

    def __init__(self, ops: Sequence[str], strength: float = 1.0) -> None:
        super().__init__()
        ops = list(ops)
        if not ops:
            raise ValueError("TPA needs at least one op")
        unknown = [op for op in ops if op not in OPS]
        if unknown:
            raise ValueError(f"unknown TPA op(s) {unknown}; valid: {list_ops()}")
        if not 0.0 <= strength <= 1.0:
            raise ValueError(f"TPA strength must be in [0, 1], got {strength}")
        self.ops = ops
        self.strength = float(strength)

    @property
    def num_branches(self) -> int:
        return len(self.ops)

    def forward(self, x01: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Perturb clips in [0, 1] once per branch.

        Shape:
            x01: ``(B, 3, T, H, W)`` -> ``(K * B, 3, T, H, W)``, branch-major, in [0, 1].
        """
        check_clips(x01, self.strength)
        return torch.cat([OPS[op](x01, self.strength, generator) for op in self.ops], dim=0)

    def views(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Perturb ImageNet-normalized model input once per branch (denormalize, perturb, normalize).

        An ``identity`` branch returns ``x`` bit-for-bit (no normalisation round trip), so a K = 1
        identity model is exactly the model without TPA. The memory format of ``x`` is kept.

        Shape:
            x: ``(B, 3, T, H, W)`` normalized -> ``(K * B, 3, T, H, W)`` normalized, branch-major.
        """
        check_clips(x, self.strength)
        x01 = None
        views = []
        for op in self.ops:
            if op == "identity":
                views.append(x)
                continue
            if x01 is None:
                x01 = denormalize(x).clamp(0.0, 1.0)
            views.append(normalize(OPS[op](x01, self.strength, generator)))
        out = views[0] if len(views) == 1 else torch.cat(views, dim=0)
        if x.is_contiguous(memory_format=torch.channels_last_3d) and not x.is_contiguous():
            out = out.contiguous(memory_format=torch.channels_last_3d)
        return out

    def extra_repr(self) -> str:
        return f"ops={self.ops}, strength={self.strength}"
