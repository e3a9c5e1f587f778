"""Optimizer and learning-rate schedule: AdamW, linear warm-up, cosine decay, stepped every step.

DeepfakeBench builds a scheduler and never steps it (SDR_SPEC section 5); here the schedule is a
pure function of the step, stepped after every optimizer step and logged, and a test checks that
the learning rate really changes. Explained in the book chapter 'training end to end'.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from sdrlib.engine.config import OptimConfig


def lr_factor(step: int, total_steps: int, warmup_frac: float, min_lr_ratio: float) -> float:
    """Multiplier of the base LR at optimizer ``step`` (0-based): warm-up, then cosine to the floor.

    The ``w`` warm-up steps use ``1/(w+1) ... w/(w+1)``, so the peak (factor 1) is reached on the
    first step after the warm-up, where the cosine starts.
    """
    warmup = int(round(warmup_frac * total_steps))
    if warmup > 0 and step < warmup:
        return (step + 1) / (warmup + 1)
    span = max(1, total_steps - warmup)
    progress = min(1.0, (step - warmup) / span)
    return min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """No weight decay on biases, norms, embeddings and tokens.

    That is: every 1-D tensor (norm scales, most biases), every tensor named ``bias`` whatever its
    shape (TRFI's ``(K, 2D)`` bias of the K posterior heads), and the learned positions and class
    token of the temporal transformer.
    """
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        leaf = name.rpartition(".")[2]
        if param.ndim <= 1 or leaf in ("bias", "pos_embed", "cls_token", "pos", "cls"):
            no_decay.append(param)
        else:
            decay.append(param)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def build_optimizer(
    model: nn.Module, cfg: OptimConfig, total_steps: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW over ``model`` and its per-step LR schedule.

    The fused AdamW takes ``optimizer.found_inf`` (a device tensor, 1 = skip): the trainer skips a
    non-finite update on the device without a host sync, as ``torch.amp.GradScaler`` does.
    """
    optimizer = torch.optim.AdamW(
        param_groups(model, cfg.weight_decay), lr=cfg.lr, betas=tuple(cfg.betas), fused=True
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, total_steps, cfg.warmup_frac, cfg.min_lr_ratio)
    )
    return optimizer, scheduler
