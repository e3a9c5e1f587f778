"""Scoring clips with a trained model: the one loop behind validation, ``evaluate``, ``diagnose``
and ``predict``.

Inputs go in ``channels_last_3d`` by default, on the CPU as well as on CUDA: the trunk's pointwise
convolutions and poolings run several times faster in that layout on both (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from sdrlib.data.normalize import clips_to_input, normalize
from sdrlib.utils import autocast_context

#: A test-time transform of float clips in [0, 1], ``(B, 3, T, H, W)`` -> same shape.
ClipTransform = Callable[[torch.Tensor], torch.Tensor]


def model_input(
    clips: torch.Tensor,
    device: torch.device,
    channels_last: bool = False,
    transform: ClipTransform | None = None,
) -> torch.Tensor:
    """uint8 ``(B, T, H, W, 3)`` -> normalized model input, optionally transformed in [0, 1] first."""
    if transform is None:
        return clips_to_input(clips, device, channels_last=channels_last)
    x01 = clips.to(device).permute(0, 4, 1, 2, 3).float().div_(255.0)
    x = normalize(transform(x01).clamp_(0.0, 1.0))
    return x.contiguous(memory_format=torch.channels_last_3d) if channels_last else x.contiguous()


@torch.no_grad()
def score_batches(
    model: nn.Module,
    clips: torch.Tensor,
    device: torch.device,
    batch_size: int = 16,
    precision: str = "auto",
    transform: ClipTransform | None = None,
    channels_last: bool = True,
) -> np.ndarray:
    """Fake probabilities of uint8 clips ``(N, T, H, W, 3)`` (e.g. the clips of one video)."""
    model.eval()
    probs = []
    for i in range(0, len(clips), batch_size):
        x = model_input(clips[i : i + batch_size], device, channels_last, transform)
        with autocast_context(device, precision):
            logit = model(x).logit
        probs.append(torch.sigmoid(logit.float()).cpu())
    return torch.cat(probs).numpy() if probs else np.zeros(0, dtype=np.float32)


@torch.no_grad()
def predict_clips(
    model: nn.Module,
    dataset: Dataset,
    device: torch.device,
    batch_size: int = 16,
    precision: str = "auto",
    num_workers: int = 0,
    transform: ClipTransform | None = None,
    progress: bool = True,
    desc: str = "eval",
    channels_last: bool = True,
) -> pd.DataFrame:
    """Score every clip of an eval-mode :class:`sdrlib.data.ClipDataset`.

    ``num_workers`` processes decode the clips (0: this process), as the training loader does.

    Returns:
        One row per clip: ``video_id``, ``label``, ``domain``, ``track``, ``start``, ``prob``,
        ``logit``.
    """
    model.eval()
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=False,
        num_workers=num_workers,
        pin_memory=device.type == "cuda",
    )
    columns = ("video_id", "label", "domain", "track", "start", "prob", "logit")
    rows: dict[str, list] = {column: [] for column in columns}
    for batch in tqdm(loader, desc=desc, disable=not progress, leave=False):
        x = model_input(batch["clip"], device, channels_last, transform)
        with autocast_context(device, precision):
            logit = model(x).logit.float()
        rows["video_id"] += list(batch["video_id"])
        rows["label"] += batch["label"].tolist()
        rows["domain"] += list(batch["domain"])
        rows["track"] += batch["track"].tolist()
        rows["start"] += batch["start"].tolist()
        rows["logit"] += logit.cpu().tolist()
        rows["prob"] += torch.sigmoid(logit).cpu().tolist()
    return pd.DataFrame(rows)


def clip_bce(clips: pd.DataFrame) -> float:
    """Mean binary cross-entropy of a clip table (used to break ties between checkpoints)."""
    logits = torch.tensor(clips["logit"].to_numpy(), dtype=torch.float32)
    labels = torch.tensor(clips["label"].to_numpy(), dtype=torch.float32)
    return float(F.binary_cross_entropy_with_logits(logits, labels))
