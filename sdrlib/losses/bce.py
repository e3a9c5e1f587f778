"""Binary cross-entropy on the fake logit (label 1 = fake).

SDR_SPEC section 2.6 (the cross-entropy term of eq. 6); book chapter 'training'.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def check_labels(labels: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Validate clip labels and return them as float32 (1 = fake, 0 = real).

    Values are checked only for CPU tensors: on an accelerator the check would force a
    host-device sync at every training step.

    Raises:
        TypeError: ``labels`` is not a bool, integer or float tensor.
        ValueError: wrong shape, or (CPU) a value other than 0 and 1.

    Shape:
        labels: ``(batch_size,)``.
    """
    if not torch.is_tensor(labels) or labels.is_complex():
        raise TypeError(f"labels must be a bool, integer or float tensor, got {type(labels).__name__}")
    if labels.shape != (batch_size,):
        raise ValueError(
            f"labels must have shape ({batch_size},) to match the logits, got {tuple(labels.shape)}"
        )
    labels = labels.float()
    if labels.device.type == "cpu" and bool(((labels != 0) & (labels != 1)).any()):
        raise ValueError("labels must be 0 (real) or 1 (fake)")
    return labels


def bce_loss(logit: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy of ``sigmoid(logit)`` against ``labels``, in float32.

    Args:
        logit: fake logit per clip (any float dtype, e.g. bf16 under autocast).
        labels: 1 = fake, 0 = real.

    Returns:
        Scalar float32 tensor.

    Shape:
        logit: ``(B,)``; labels: ``(B,)``.
    """
    if not torch.is_tensor(logit) or not torch.is_floating_point(logit) or logit.dim() != 1:
        raise ValueError(
            f"logit must be a float (B,) tensor, got {getattr(logit, 'shape', type(logit).__name__)}"
        )
    labels = check_labels(labels, logit.shape[0])
    return F.binary_cross_entropy_with_logits(logit.float(), labels)
