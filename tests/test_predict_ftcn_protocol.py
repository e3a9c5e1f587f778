"""``sdr predict --protocol ftcn``: the published demos' stride-1 clips, template, box and means."""

from __future__ import annotations

import json
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch

from sdrlib.cli import main as sdr_main
from sdrlib.data.faces import face_template, invert_similarity
from sdrlib.data.faces.align import apply_transform, fit_similarity, warp_face
from sdrlib.data.video import read_frames, write_video
from sdrlib.engine.checkpoint import CheckpointMeta, save_checkpoint
from sdrlib.models import create_model
from sdrlib.predict import ftcn_protocol
from sdrlib.predict.ftcn_protocol import enlarged_box, ftcn_template, protocol_face_options, score_track_ftcn

MICRO = {"width_mult": 0.125, "depth_mult": 0.34, "num_frames": 4, "input_size": 16}


def test_template_box_and_face_options():
    np.testing.assert_allclose(ftcn_template(224)[0], [75.10, 75.06])
    np.testing.assert_allclose(ftcn_template(112), ftcn_template(224) / 2)
    assert enlarged_box(np.array([100, 100, 200, 180]), 1000, 1000) == (50, 60, 250, 220)
    assert enlarged_box(np.array([10, 10, 60, 60]), 80, 100) == (0, 0, 85, 79)  # clipped to the frame
    # FTCN's template shows the face about twice as large as the default pipeline's crop
    ours, theirs = face_template(224, 0.5), ftcn_template(224)
    ratio = np.linalg.norm(theirs[1] - theirs[0]) / np.linalg.norm(ours[1] - ours[0])
    assert 2.0 < ratio < 2.1
    meta = CheckpointMeta("i3d", {}, source={"demo_max_frames": 400})
    assert protocol_face_options(meta) == {"detect_every": 1, "max_frames": 400}
    assert protocol_face_options(CheckpointMeta("ftcn", {}))["max_frames"] == 768


def _similarity(angle_deg: float, scale: float, tx: float, ty: float) -> np.ndarray:
    a = np.deg2rad(angle_deg)
    return np.array([[scale * np.cos(a), -scale * np.sin(a), tx], [scale * np.sin(a), scale * np.cos(a), ty]])


def test_stride_one_clips_their_crops_and_the_means(tmp_path, monkeypatch):
    """Each clip is warped with the fit of its own landmarks to the template; what lies outside a
    frame's enlarged box is black; clip starts 0..T-L; frame score = mean of the covering clips."""
    rng = np.random.default_rng(0)
    length, clip_len, size, side = 7, 4, 64, 240
    base = cv2.GaussianBlur(rng.integers(0, 255, (side, side, 3), dtype=np.uint8), (9, 9), 3)
    video = write_video(
        tmp_path / "v.mp4", np.stack([np.roll(base, 2 * t, axis=1) for t in range(length)]), crf=10
    )
    decoded = read_frames(video)
    # the face moves: each frame's landmarks are the template seen through its own similarity
    matrices = [_similarity(8 + t, 0.6, -40 + 3 * t, -30) for t in range(length)]
    landmarks = np.stack([apply_transform(invert_similarity(m), ftcn_template(size)) for m in matrices])
    boxes = np.tile([60.0, 60.0, 180.0, 180.0], (length, 1))  # enlarged: the whole frame
    centre = apply_transform(invert_similarity(matrices[5]), np.array([size / 2, size / 2]))
    boxes[5] = np.concatenate([centre - 10, centre + 10])  # enlarged: 40 px, half the view
    track = SimpleNamespace(frame_indices=np.arange(length), boxes=boxes, landmarks=landmarks)
    seen = []

    def fake_scores(model, clips, device, batch_size):
        seen.extend(clips.numpy())
        return np.arange(len(seen) - len(clips), len(seen), dtype=np.float64) / 10

    monkeypatch.setattr(ftcn_protocol, "score_batches", fake_scores)
    meta = CheckpointMeta("ftcn", {}, clip_len=clip_len, input_size=None)
    starts, probs, timeline = score_track_ftcn(video, track, None, meta, torch.device("cpu"), 2, size)
    assert starts == [0, 1, 2, 3] and len(seen) == 4
    np.testing.assert_allclose(probs, [0.0, 0.1, 0.2, 0.3])
    np.testing.assert_allclose(timeline, [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3])
    grid = np.stack(np.meshgrid(np.arange(size), np.arange(size)), axis=-1).reshape(-1, 2).astype(float)
    template = np.tile(ftcn_template(size), (clip_len, 1))
    fits = [fit_similarity(landmarks[s : s + clip_len].reshape(-1, 2), template) for s in starts]
    assert (
        min(np.abs(a - b).max() for a, b in zip(fits[:-1], fits[1:], strict=True)) > 1.0
    )  # one transform per clip
    for start, (clip, fitted) in enumerate(zip(seen, fits, strict=True)):
        where = apply_transform(invert_similarity(fitted), grid)  # frame position of each crop pixel
        for i, frame in enumerate(decoded[start : start + clip_len]):
            x1, y1, x2, y2 = enlarged_box(boxes[start + i], side, side)
            inside = (
                (where[:, 0] > x1 + 1)
                & (where[:, 0] < x2 - 2)
                & (where[:, 1] > y1 + 1)
                & (where[:, 1] < y2 - 2)
            )
            outside = (
                (where[:, 0] < x1 - 1) | (where[:, 0] > x2) | (where[:, 1] < y1 - 1) | (where[:, 1] > y2)
            )
            crop, full = clip[i].reshape(-1, 3), warp_face(frame, fitted, size).reshape(-1, 3)
            np.testing.assert_array_equal(crop[inside], full[inside])
            assert (crop[outside] == 0).all() and inside.sum() > 0.1 * len(grid)
            assert outside.any() == (start + i == 5)  # only the small box cuts the view


@pytest.fixture(scope="module")
def micro_checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("micro")
    torch.manual_seed(0)
    model = create_model("ftcn", **MICRO)
    save_checkpoint(
        folder / "checkpoints" / "best",
        model,
        CheckpointMeta("ftcn", MICRO, threshold=0.5, clip_len=4, input_size=16),
    )
    return folder


def test_predict_protocol_ftcn_on_a_shared_clip(micro_checkpoint, shared_videos, tmp_path):
    video = str(shared_videos / "ffpp_icpr2020" / "FaceSwap_634_660.mp4")
    runs = {}
    for protocol in ("ftcn", "sdr"):
        out = tmp_path / protocol
        argv = [
            "predict",
            video,
            "--checkpoint",
            str(micro_checkpoint),
            "--protocol",
            protocol,
            "--out",
            str(out),
        ]
        assert sdr_main([*argv, "--set", "max_frames=12"]) == 0
        runs[protocol] = json.loads((out / "FaceSwap_634_660.json").read_text())
    ftcn, ours = runs["ftcn"]["tracks"][0], runs["sdr"]["tracks"][0]
    assert runs["ftcn"]["protocol"] == "ftcn" and ftcn["n_frames"] == 12
    assert ftcn["clip_starts"] == list(range(9)) and ours["clip_starts"] == [0, 4, 8]
    probs, scores = np.array(ftcn["clip_probs"]), np.array(ftcn["frame_scores"])
    assert ftcn["prob"] == pytest.approx(probs.mean())
    assert scores[0] == pytest.approx(probs[0]) and scores[5] == pytest.approx(probs[2:6].mean())
    assert ftcn["verdict"] in {"fake", "real"}
