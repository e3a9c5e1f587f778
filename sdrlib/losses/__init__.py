"""Training losses (SDR_SPEC sections 2.4 and 2.6; book chapters 'mutual information' and 'training').

- :mod:`~sdrlib.losses.bce`: BCE on the fake logit.
- :mod:`~sdrlib.losses.mi_losses`: ``L_MI`` (eq. 3 symmetric KL; critic-based alternatives).
- :mod:`~sdrlib.losses.contrastive`: ``L_con`` (cross-branch InfoNCE; supervised contrastive).
- :mod:`~sdrlib.losses.sdr_loss`: eq. 6, :class:`LossConfig` and :class:`SDRLoss`.
"""

from sdrlib.losses.bce import bce_loss, check_labels
from sdrlib.losses.contrastive import cross_branch_infonce, pooled_embeddings, supervised_contrastive
from sdrlib.losses.mi_losses import CriticMILoss, branch_pairs, symmetric_kl_loss
from sdrlib.losses.sdr_loss import CON_LOSSES, MI_LOSSES, LossConfig, SDRLoss, mi_warmup_weight

__all__ = [
    "CON_LOSSES",
    "MI_LOSSES",
    "CriticMILoss",
    "LossConfig",
    "SDRLoss",
    "bce_loss",
    "branch_pairs",
    "check_labels",
    "cross_branch_infonce",
    "mi_warmup_weight",
    "pooled_embeddings",
    "supervised_contrastive",
    "symmetric_kl_loss",
]
