"""``sdr predict``: clip cutting, timelines, and every bad input as a one-line error."""

from __future__ import annotations

import json

import av
import numpy as np
import pandas as pd
import pytest
import torch
from engine_helpers import micro_config

from sdrlib.cli import main as sdr_main
from sdrlib.data.tracks import eval_clip_starts
from sdrlib.engine.checkpoint import load_checkpoint
from sdrlib.engine.trainer import train
from sdrlib.predict import score_track


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("predict") / "run"
    train(micro_config("ftcn", ("train.steps=1",)), out, progress=False)
    return out


def _write_mp4(path, frames):
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _predict_starts(length: int, clip_len: int) -> list[int]:
    return eval_clip_starts(length, clip_len, align_len=clip_len, cover_tail=True).tolist()


def test_clip_starts_cover_the_track(checkpoint):
    assert _predict_starts(8, 4) == [0, 4]
    assert _predict_starts(10, 4) == [0, 4, 6]  # the last clip ends at the end of the track
    assert _predict_starts(4, 4) == [0]
    assert _predict_starts(70, 32) == [0, 32, 38]  # inside the last alignment window [32, 70)
    model, meta = load_checkpoint(checkpoint)
    short = np.zeros((meta.clip_len - 1, 24, 24, 3), np.uint8)
    with pytest.raises(ValueError, match="shorter than one clip"):
        score_track(short, model, meta, torch.device("cpu"))


def test_score_track_timeline(checkpoint):
    model, meta = load_checkpoint(checkpoint)
    frames = np.random.default_rng(0).integers(0, 255, (10, 24, 24, 3), dtype=np.uint8)
    starts, probs, timeline = score_track(frames, model, meta, torch.device("cpu"))
    assert starts == [0, 4, 6] and probs.shape == (3,)
    assert timeline.shape == (10,)
    np.testing.assert_allclose(timeline[:4], probs[0], rtol=1e-6)  # frames covered by one clip
    np.testing.assert_allclose(timeline[6:8], (probs[1] + probs[2]) / 2, rtol=1e-6)  # by two clips


def test_bad_inputs_fail_one_line_each_and_the_batch_continues(checkpoint, tmp_path, capsys):
    folder = tmp_path / "videos"
    folder.mkdir()
    (folder / "notes.mp4").write_text("this is not a video\n")
    noise = np.random.default_rng(1).integers(0, 255, (12, 64, 64, 3), dtype=np.uint8)
    _write_mp4(folder / "noface.mp4", noise)
    data = (folder / "noface.mp4").read_bytes()
    (folder / "truncated.mp4").write_bytes(data[: len(data) // 3])
    (folder / "empty.mp4").write_bytes(b"")
    code = sdr_main(["predict", str(folder), "--checkpoint", str(checkpoint), "--out", str(tmp_path / "out")])
    assert code == 3
    err = capsys.readouterr().err.strip().splitlines()
    per_file = [line for line in err if line.startswith(str(folder))]
    assert len(per_file) == 4 and all(": error: " in line for line in per_file)
    assert any("NoFaceError" in line for line in per_file)
    table = pd.read_csv(tmp_path / "out" / "predictions.csv")
    assert (table["verdict"] == "error").sum() == 4
    assert sdr_main(["predict", str(tmp_path / "absent.mp4"), "--checkpoint", str(checkpoint)]) == 2


def test_real_clip_shorter_than_a_clip_is_padded(checkpoint, shared_videos, tmp_path, capsys):
    video = shared_videos / "liveportrait" / "d1.mp4"
    code = sdr_main(
        [
            "predict",
            str(video),
            "--checkpoint",
            str(checkpoint),
            "--out",
            str(tmp_path),
            "--plot",
            "--set",
            "max_frames=3",
            "--set",
            "min_track_len=1",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "p(fake) =" in out and "mirror-padded" in out
    result = json.loads((tmp_path / "d1.json").read_text())
    track = result["tracks"][0]
    assert track["padded"] and track["n_frames"] == 4 and 0.0 <= track["prob"] <= 1.0
    assert result["verdict"] in {"fake", "real"}
    assert (tmp_path / "d1.png").stat().st_size > 1000


def _track(track_id: int, clip_probs: list[float], threshold: float = 0.5):
    from sdrlib.predict.scoring import TrackPrediction

    prob = float(np.mean(clip_probs))
    return TrackPrediction(
        track_id, prob, "fake" if prob >= threshold else "real", threshold, len(clip_probs), 8 * len(clip_probs),
        [8 * i for i in range(len(clip_probs))], clip_probs, [], [], False, 100.0,
    )


def test_a_video_is_scored_as_validation_and_evaluation_score_it():
    """Issue 11, item 14: the verdict compares the threshold with the score validation chose it on."""
    from sdrlib.engine.metrics import video_scores
    from sdrlib.predict.scoring import VideoPrediction

    prediction = VideoPrediction("v.mp4", [_track(0, [0.1, 0.2, 0.3]), _track(1, [0.8, 0.6])], runtime_s=0.0)
    clips = pd.DataFrame(
        {"video_id": "v", "label": 1, "domain": "dfdc", "track": [0, 0, 0, 1, 1], "prob": [0.1, 0.2, 0.3, 0.8, 0.6]}
    )
    assert prediction.prob == pytest.approx(video_scores(clips)["prob"].iloc[0])
    assert prediction.prob == pytest.approx(0.7) and prediction.verdict == "fake"
    assert VideoPrediction("w.mp4", [_track(0, [0.2, 0.4])], 0.0).prob == pytest.approx(0.3)
