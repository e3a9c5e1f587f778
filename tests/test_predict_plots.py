"""Figures of the chapter 'your own video': the demo video and the frame-by-frame views."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from sdrlib.data.video import read_frames
from sdrlib.predict import TrackPrediction, VideoPrediction, plots


def test_demo_video_falls_back_to_a_synthdf_mp4(tmp_path, monkeypatch):
    monkeypatch.setenv("SDR_SHARED_VIDEOS", str(tmp_path / "absent"))
    path, description = plots.demo_video(tmp_path, frames=8, size=64)
    assert path == tmp_path / "synthdf_demo.mp4" and "SynthDF" in description
    assert read_frames(path).shape == (8, 64, 64, 3)


def _prediction(frames: np.ndarray | None) -> VideoPrediction:
    track = TrackPrediction(
        track_id=0,
        prob=0.4,
        verdict="real",
        threshold=0.5,
        n_clips=2,
        n_frames=8,
        clip_starts=[0, 4],
        clip_probs=[0.3, 0.5],
        frame_indices=list(range(8)),
        frame_scores=[0.3] * 4 + [0.5] * 4,
        padded=False,
        mean_face_size=80.0,
        frames=frames,
    )
    return VideoPrediction(video="v.mp4", tracks=[track], runtime_s=0.1)


def test_frame_views_show_crops_and_need_kept_frames():
    prediction = _prediction(np.zeros((8, 24, 24, 3), dtype=np.uint8))
    fig = plots.plot_frame_score(prediction, 5)
    assert "p = 0.50" in fig.axes[0].get_title()
    plt.close(fig)
    fig = plots.plot_frame_strip(prediction, count=4)
    assert len(fig.axes) == 4
    plt.close(fig)
    assert "frames" not in prediction.to_json()["tracks"][0]
    with pytest.raises(ValueError, match="keep_frames=True"):
        plots.plot_frame_score(_prediction(None), 0)
    with pytest.raises(ValueError, match="position must be in 0..7"):
        plots.plot_frame_score(prediction, 8)
