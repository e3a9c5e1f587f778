"""``sdr bench --data DIR``: the loader benchmark's tables, JSON and worker estimate on a tiny
prepared directory (no speed is asserted: speeds come from the command itself)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from sdrlib.bench.loader import (
    H100_FTCN_CLIPS_PER_S,
    LoaderBenchConfig,
    format_loader_table,
    gpu_target,
    run_loader_bench,
)
from sdrlib.cli import main as sdr_main
from sdrlib.config import ConfigError
from sdrlib.data import write_manifest
from sdrlib.data.video import write_track_video


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory):
    """Two video tracks (the face-track format) and one .npy track, 24 x 24 pixels."""
    root = tmp_path_factory.mktemp("prepared")
    rng = np.random.default_rng(0)
    rows = []
    for i, length in enumerate((40, 56, 12)):
        frames = rng.integers(0, 255, (length, 24, 24, 3), dtype=np.uint8)
        if i < 2:
            write_track_video(root / f"tracks/v{i}.t0.mp4", frames)
            path = f"tracks/v{i}.t0.mp4"
        else:
            path = f"tracks/v{i}.t0.npy"
            np.save(root / path, frames)
        rows.append({"path": path, "label": i % 2, "video_id": f"v{i}", "split": "test", "domain": "d"})
        rows[-1] |= {"frames": length, "align_len": 16}
    write_manifest(root, rows)
    return root


def test_gpu_target_follows_the_profile():
    target, text, workers = gpu_target("paper")
    assert target == pytest.approx(H100_FTCN_CLIPS_PER_S / 4) and "K=4" in text and workers == 12
    assert gpu_target(None)[0] == H100_FTCN_CLIPS_PER_S
    with pytest.raises(ConfigError, match="worker counts"):
        run_loader_bench(LoaderBenchConfig(roots=["x"], workers=[-1]))


def test_report_measures_every_stage_and_worker_count(prepared):
    cfg = LoaderBenchConfig(
        roots=[str(prepared)], clip_len=8, size=16, batch_size=2, workers=[0, 1], batches=2, stage_clips=6
    )
    report = run_loader_bench(cfg, progress=False)
    assert report.tracks == 3 and report.frame_size == "8x16x16x3"
    stages = report.stages
    assert min(stages.decode_ms, stages.collate_ms) > 0 and stages.transform_ms >= 0
    total = stages.decode_ms + stages.transform_ms + stages.collate_ms
    assert stages.total_ms == pytest.approx(total, abs=0.01)
    assert stages.clips_per_core == pytest.approx(1e3 / stages.total_ms, rel=0.01)
    assert [row.workers for row in report.rows] == [0, 1]
    assert [row.clips for row in report.rows] == [4, 8], "at least 4 batches per worker are timed"
    assert all(row.clips_per_s > 0 for row in report.rows)
    assert report.workers_needed == math.ceil(report.target / stages.clips_per_core)
    assert report.windows.draws == 6 and report.windows.ratio > 0
    table = format_loader_table(report)
    for text in (
        "decode (read_track)",
        "collation",
        "clips/s per core",
        "| 1 |",
        "random / first",
        "GPU target",
    ):
        assert text in table


def test_cli_prints_the_table_and_writes_json(prepared, tmp_path, capsys):
    out = tmp_path / "loader.json"
    argv = ["bench", "--data", str(prepared), "--frames", "8", "--batch", "2", "--iters", "1"]
    argv += ["--workers", "1", "--target", "100", "--no-progress", "--json", str(out)]
    assert sdr_main(argv) == 0
    printed = capsys.readouterr().out
    assert "| stage (one core) | CPU ms/clip |" in printed and "GPU target 100.0 clips/s" in printed
    data = json.loads(out.read_text())
    assert data["target"] == 100.0 and data["rows"][0]["workers"] == 1 and data["frame_size"] == "8x24x24x3"
    assert sdr_main(["bench", "--data", str(tmp_path / "absent"), "--no-progress"]) == 2
    assert "no manifest.csv" in capsys.readouterr().err
    assert sdr_main(["bench", "--data", str(prepared), "--frames", "0", "--no-progress"]) == 2
    assert "clip_len must be >= 1" in capsys.readouterr().err
