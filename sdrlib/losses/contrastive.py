"""The contrastive term ``L_con`` over the branch latents of SDR.

Default: cross-branch InfoNCE, whose critic is the cosine similarity of token-pooled latents
divided by a temperature; it is the same bound as :func:`sdrlib.mi.bounds.infonce_lower_bound`,
so minimizing it maximizes a lower bound on the MI shared by two branches. Option: supervised
contrastive (Khosla et al. 2020), where every clip of the same label is a positive.
SDR_SPEC sections 2.4 and 2.6; book chapters 'mutual information' and 'training'.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from sdrlib.losses.mi_losses import branch_pairs, check_latents
from sdrlib.mi.bounds import infonce_lower_bound


def pooled_embeddings(z: torch.Tensor) -> torch.Tensor:
    """Average the latents over tokens and L2-normalize them, in float32.

    Shape:
        z: ``(B, K, T', D)``; returns ``(B, K, D)``.
    """
    check_latents("z", z)
    return F.normalize(z.float().mean(dim=2), dim=-1)


def _check_temperature(temperature: float) -> None:
    if not isinstance(temperature, (int, float)) or not temperature > 0:
        raise ValueError(f"temperature must be a number > 0, got {temperature!r}")


def cross_branch_infonce(z: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Symmetric InfoNCE loss between every pair of branches, averaged over pairs ``i < j``.

    For a pair, ``scores[b, c] = cos(e_i[b], e_j[c]) / temperature`` on token-pooled, normalized
    latents; the positive of clip b in branch i is the same clip in branch j. The loss is the
    cross-entropy ``log B - I_NCE`` averaged over both directions, so it lies in
    ``[0, log B + 2 / temperature]``: 0 for one clip, 0 for one branch (no pairs).
    The matrix product runs in float32 even under autocast.

    Args:
        z: branch latents (samples or means).
        temperature: softmax temperature.

    Returns:
        Scalar float32 tensor.

    Shape:
        z: ``(B, K, T', D)``.
    """
    _check_temperature(temperature)
    check_latents("z", z)
    batch = z.shape[0]
    i, j = branch_pairs(z.shape[1], z.device)
    if i.numel() == 0:
        return z.new_zeros((), dtype=torch.float32)
    with torch.autocast(device_type=z.device.type, enabled=False):
        emb = pooled_embeddings(z)
        scores = torch.einsum("bpd,cpd->pbc", emb[:, i], emb[:, j]) / temperature
        bounds = torch.stack([infonce_lower_bound(s, symmetric=True) for s in scores])
    return math.log(batch) - bounds.mean()


def supervised_contrastive(z: torch.Tensor, labels: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Supervised contrastive loss over all ``B K`` branch embeddings (labels as positives).

    Every embedding is an anchor; its positives are all other embeddings with the same label
    (the clip's other branches included), its contrast set every other embedding:
    ``L = mean_a -1/|P(a)| sum_{p in P(a)} log softmax_{c != a}(e_a . e_c / t)[p]``, averaged over
    anchors that have at least one positive; 0 when none has (e.g. one clip, one branch).

    Args:
        z: branch latents (samples or means).
        labels: clip labels (1 = fake, 0 = real), already validated.
        temperature: softmax temperature.

    Returns:
        Scalar float32 tensor.

    Shape:
        z: ``(B, K, T', D)``; labels: ``(B,)``.
    """
    _check_temperature(temperature)
    check_latents("z", z)
    batch, branches = z.shape[:2]
    if labels.shape != (batch,):
        raise ValueError(f"labels must have shape ({batch},), got {tuple(labels.shape)}")
    count = batch * branches
    if count < 2:
        return z.new_zeros((), dtype=torch.float32)
    with torch.autocast(device_type=z.device.type, enabled=False):
        emb = pooled_embeddings(z).reshape(count, -1)
        owner = labels.detach().repeat_interleave(branches)
        self_mask = torch.eye(count, dtype=torch.bool, device=z.device)
        logits = (emb @ emb.transpose(0, 1) / temperature).masked_fill(self_mask, float("-inf"))
        log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
        positive = (owner.unsqueeze(0) == owner.unsqueeze(1)) & ~self_mask
        num_pos = positive.sum(dim=1)
        per_anchor = -torch.where(positive, log_prob, 0.0).sum(dim=1) / num_pos.clamp_min(1)
        has_pos = (num_pos > 0).float()
        return (per_anchor * has_pos).sum() / has_pos.sum().clamp_min(1.0)
