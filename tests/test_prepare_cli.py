"""`sdr prepare` end to end: dry runs, exit statuses, shards + merge, and the real face pipeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sdrlib.cli import main
from sdrlib.data.manifest import read_manifest
from sdrlib.data.prepare.splits import ffpp_pairs
from sdrlib.data.video import read_frames, write_video


def blank_video(path: Path) -> None:
    """A faceless 8-frame clip: the real pipeline must record it as a failure, not crash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = np.zeros((8, 64, 64, 3), np.uint8)
    frames[:, 16:48, 16:48] = 90
    write_video(path, frames, preset="ultrafast")


def test_dry_run_counts_and_usage_errors(tmp_path, capsys):
    a, b = ffpp_pairs()["test"][0]
    for rel in (
        f"original_sequences/youtube/c23/videos/{a}.mp4",
        f"manipulated_sequences/FaceSwap/c23/videos/{a}_{b}.mp4",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    assert main(["prepare", "ffpp", "--root", str(tmp_path), "--out", str(tmp_path / "o"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "test   ffpp-fs           0      1" in out and "test   ffpp              1      0" in out
    assert not (tmp_path / "o").exists()
    assert main(["prepare", "ffpp", "--root", str(tmp_path), "--out", "o", "--shard", "2/2"]) == 2
    assert "shard" in capsys.readouterr().err
    assert main(["prepare", "ffpp", "--root", str(tmp_path), "--out", "o", "--splits", "dev"]) == 2
    assert main(["prepare", "ffpp", "--root", str(tmp_path), "--out", "o", "--splits", "train"]) == 2
    assert "no video of split(s) train" in capsys.readouterr().err
    assert main(["prepare", "celebdf", "--root", str(tmp_path), "--out", "o"]) == 2
    assert "no Celeb-DF-v2 videos" in capsys.readouterr().err
    assert main(["prepare", "merge", "--out", str(tmp_path)]) == 2


def test_faceless_videos_fail_cleanly_in_shards_then_merge(tmp_path, capsys):
    for name in ("real/a.mp4", "fake/b.mp4"):
        blank_video(tmp_path / "videos" / name)
    args = [
        "prepare",
        "folder",
        "--root",
        str(tmp_path / "videos"),
        "--out",
        str(tmp_path / "out"),
        "--no-progress",
    ]
    args += ["--device", "cpu", "--set", "detector=haar", "--set", "size=32"]
    assert main([*args, "--shard", "0/2"]) == 3
    assert main([*args, "--shard", "1/2"]) == 3
    failures = (tmp_path / "out" / "failures.csv").read_text().splitlines()
    assert failures[0] == "video_id,source,error_type,message" and len(failures) == 3
    assert all(",NoFaceError," in line for line in failures[1:])
    assert not (tmp_path / "out" / "manifest.csv").exists()
    assert main(["prepare", "merge", "--out", str(tmp_path / "out")]) == 0
    assert main([*args, "--set", "size=48"]) == 2  # other pipeline settings than the directory's
    assert "other settings" in capsys.readouterr().err


@pytest.mark.videos
def test_real_pipeline_on_an_ffpp_pair(tmp_path, shared_videos):
    """Two real FF++ videos (real 004 and its NeuralTextures fake 004_982) laid out like FF++."""
    root = tmp_path / "FaceForensics++"
    links = {
        "original_sequences/youtube/c23/videos/004.mp4": "youtube_004.mp4",
        "manipulated_sequences/NeuralTextures/c23/videos/004_982.mp4": "NeuralTextures_004_982.mp4",
    }
    for rel, name in links.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).symlink_to(shared_videos / "ffpp_icpr2020" / name)
    args = [
        "prepare",
        "ffpp",
        "--root",
        str(root),
        "--out",
        str(tmp_path / "out"),
        "--no-progress",
        "--device",
        "cpu",
    ]
    for option in (
        "max_frames=16",
        "max_side=320",
        "size=64",
        "clip_len=8",
        "min_track_len=8",
        "detect_every=8",
    ):
        args += ["--set", option]
    assert main(args) == 0
    manifest = read_manifest(tmp_path / "out").set_index("video_id")
    assert sorted(manifest.index) == ["ffpp/c23/NeuralTextures/004_982", "ffpp/c23/real/004"]
    assert manifest["split"].tolist() == ["val", "val"]
    fake = manifest.loc["ffpp/c23/NeuralTextures/004_982"]
    assert (fake["label"], fake["domain"], fake["frames"]) == (1, "ffpp-nt", 16)
    # one transform per 8 frames (clip_len): training clips will stay inside those windows
    assert manifest["align_len"].tolist() == [8, 8]
    assert read_frames(tmp_path / "out" / fake["path"]).shape == (16, 64, 64, 3)
    assert main(args) == 0  # resumed: nothing left to do
