"""The spatial-dependency diagnostic: each destruction removes what it claims and keeps the rest,
on its own and inside ``diagnose_checkpoint`` (issue 18, item 4: the tests checked column names).
"""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from engine_helpers import micro_config, synthetic_videos
from torch import nn

from sdrlib.engine.checkpoint import CheckpointMeta
from sdrlib.engine.data import resolve_roots
from sdrlib.models.base import ModelOutput
from sdrlib.studies import diagnose
from sdrlib.studies.diagnose import CONDITIONS, condition_transform, diagnostic_drops, frame_repeat

B, T, H = 3, 6, 16


def _clips(seed: int = 0) -> torch.Tensor:
    """Clips whose frames all differ: channel 0 codes the pixel's position, channel 1 the time."""
    position = (torch.arange(H * H, dtype=torch.float32).view(H, H) + 1) / (H * H + 1)
    x = torch.empty(B, 3, T, H, H)
    x[:, 0] = position
    x[:, 1] = (torch.arange(T, dtype=torch.float32) / T).view(1, T, 1, 1)
    x[:, 2] = torch.rand(B, T, H, H, generator=torch.Generator().manual_seed(seed))
    return x


def _sorted_frames(x: torch.Tensor) -> torch.Tensor:
    """Each clip's frames in a canonical order (by their time channel), to compare frame sets."""
    order = x[:, 1, :, 0, 0].argsort(dim=1)
    return x.gather(2, order.view(B, 1, T, 1, 1).expand_as(x))


def _high_freq(x: torch.Tensor) -> float:
    return float((x[..., 1:] - x[..., :-1]).pow(2).mean())


def test_temporal_shuffle_reorders_whole_frames_only():
    x = _clips()
    y = condition_transform("temporal_shuffle", seed=0)(x)
    torch.testing.assert_close(_sorted_frames(y), x)  # the same frames, each intact
    assert not torch.equal(y, x)  # in another order


def test_frame_repeat_leaves_one_frame_and_no_motion():
    x = _clips()
    y = condition_transform("frame_repeat")(x)
    assert y.shape == x.shape
    torch.testing.assert_close(y, x[:, :, T // 2 : T // 2 + 1].expand_as(x))
    assert float((y[:, :, 1:] - y[:, :, :-1]).abs().max()) == 0.0


def test_appearance_remap_replaces_values_and_keeps_layout_and_motion():
    x = _clips()
    y = condition_transform("appearance_remap", seed=0)(x)
    assert (y - x).abs().mean() > 0.05  # every pixel's colour is replaced...
    for b in range(B):
        # ...by one monotone curve per channel and clip, the same in every frame: the position code
        # (channel 0, identical in every frame) lands in one output channel, identical in every
        # frame, and keeps its order (the layout); the time code keeps its order too (the motion)
        out = next(c for c in range(3) if torch.equal(y[b, c], y[b, c, :1].expand_as(y[b, c])))
        order = x[b, 0, 0].flatten().argsort()
        assert (y[b, out, 0].flatten()[order].diff() >= 0).all()
        times = y[b, :, :, 0, 0]
        assert any((times[c].diff() > 0).all() for c in range(3))


def test_blur_removes_texture_and_keeps_motion():
    x = _clips()
    y = condition_transform("blur")(x)
    assert _high_freq(y[:, 2]) < 0.2 * _high_freq(x[:, 2])
    # a flicker (the whole frame brightening over time) is motion, not texture: it survives intact
    flicker = torch.ones(1, 3, T, H, H) * torch.linspace(0.2, 0.8, T).view(1, 1, T, 1, 1)
    torch.testing.assert_close(condition_transform("blur")(flicker), flicker)


class MotionProbe(nn.Module):
    """A "detector" whose logit is the clip's motion energy; it records every input it scores."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> ModelOutput:
        self.inputs.append(x.detach().clone())
        return ModelOutput(logit=10 * (x[:, :, 1:] - x[:, :, :-1]).abs().mean(dim=(1, 2, 3, 4)))


def test_diagnose_checkpoint_scores_what_each_destruction_leaves(monkeypatch):
    config = micro_config()
    probe = MotionProbe()
    meta = CheckpointMeta("probe", {}, clip_len=config.data.clip_len, input_size=config.data.size)
    monkeypatch.setattr(diagnose, "load_checkpoint", lambda *args, **kwargs: (probe, meta))
    table = diagnose.diagnose_checkpoint(
        "probe", resolve_roots(config.data), device="cpu", batch_size=64, progress=False
    )
    seen = dict(zip(CONDITIONS, probe.inputs, strict=True))  # one batch per condition
    clean = seen["clean"]
    motion = (seen["frame_repeat"][:, :, 1:] - seen["frame_repeat"][:, :, :-1]).abs().max()
    assert float(motion) == 0.0
    assert not torch.equal(seen["temporal_shuffle"], clean)
    torch.testing.assert_close(seen["temporal_shuffle"].sort(dim=2).values, clean.sort(dim=2).values)
    assert not torch.equal(seen["appearance_remap"], clean)
    moved = (clean[:, :, 1:] - clean[:, :, :-1]).abs().sum(dim=1) > 0
    remapped = (seen["appearance_remap"][:, :, 1:] - seen["appearance_remap"][:, :, :-1]).abs().sum(dim=1) > 0
    assert (remapped <= moved).all()  # no motion where there was none
    assert _high_freq(seen["blur"]) < 0.5 * _high_freq(clean)
    rows = table.set_index("condition")
    # no motion left: every clip scores the same, an AUC of exactly one half; the drop is measured from clean
    assert rows.loc["frame_repeat", "video_auc"] == 0.5
    assert rows.loc["frame_repeat", "drop"] == pytest.approx(rows.loc["clean", "video_auc"] - 0.5)
    assert rows.loc["temporal reliance", "drop"] == pytest.approx(
        rows.loc[["temporal_shuffle", "frame_repeat"], "drop"].mean()
    )


def test_drops_are_clean_minus_condition_in_points():
    """The drop of a condition is clean minus its AUC on the same test videos and seeds, with a
    paired interval; a condition that changes nothing drops by exactly zero."""
    clean = synthetic_videos({"sdr": {"ffpp-df": 3.0, "ffpp-nt": 3.0, "celebdf": 3.0}})
    frames = [clean]
    for condition, weaker in (("temporal_shuffle", 1.5), ("frame_repeat", 3.0), ("appearance_remap", 0.0), ("blur", 0.5)):
        changed = clean.assign(condition=condition)
        changed["prob"] = changed["prob"] - weaker * changed["label"]
        frames.append(changed)
    drops = diagnostic_drops(pd.concat(frames, ignore_index=True)).set_index("condition")
    assert drops.loc["appearance_remap", ["drop", "low", "high"]].tolist() == [0.0, 0.0, 0.0]
    assert drops.loc["frame_repeat", "drop"] > drops.loc["temporal_shuffle", "drop"] > drops.loc["blur", "drop"] > 0
    assert drops.loc["frame_repeat", "low"] > 0
    assert drops.loc["blur", "kind"] == "spatial" and drops.loc["frame_repeat", "kind"] == "temporal"
    reliance = diagnose.reliance(pd.concat(frames, ignore_index=True)).set_index("condition")
    assert reliance.loc["temporal reliance", "drop"] == pytest.approx(
        drops.loc[["temporal_shuffle", "frame_repeat"], "drop"].mean()
    )
    assert frame_repeat(torch.zeros(1, 3, 2, 4, 4)).shape == (1, 3, 2, 4, 4)
