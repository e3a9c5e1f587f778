"""TPA: temporally-preserving spatial perturbations (SDR_SPEC section 2.1; book chapter 'TPA')."""

from sdrlib.augment.ops import AFFINE_OPS, OPS
from sdrlib.augment.tpa import (
    DEFAULT_OPS,
    FIFTH_OP,
    SPEC_DEFAULT_OPS,
    TPA,
    apply_op,
    default_branch_ops,
    list_ops,
)

__all__ = [
    "AFFINE_OPS",
    "DEFAULT_OPS",
    "FIFTH_OP",
    "OPS",
    "SPEC_DEFAULT_OPS",
    "TPA",
    "apply_op",
    "default_branch_ops",
    "list_ops",
]
