"""`prepare` on fake FF++/Celeb-DF/DFDC trees of tiny synthetic mp4 files, with an injected extractor.

The extractor really decodes each file (so a corrupt one fails as it would in the real pipeline)
and returns a centre crop as the "track"; the face pipeline itself is tested by its own module.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from sdrlib.data.prepare import (
    Shard,
    list_celebdf,
    list_dfdc,
    list_ffpp,
    load_progress,
    merge_shards,
    prepare,
)
from sdrlib.data.prepare.runner import align_len_of
from sdrlib.data.prepare.splits import celebdf_test_list, dfdc_test_subset_3215, ffpp_pairs
from sdrlib.data.tracks import alignment_windows
from sdrlib.data.video import probe, read_frames, write_video

T, SIZE, CROP = 12, 64, 32
CALLS: list[str] = []


@dataclasses.dataclass
class FakeTrack:
    frames: np.ndarray
    fps: float
    track_id: int
    warnings: tuple[str, ...] = ()


def fake_extract(item):
    """Decode the video and return its centre as one track (two tracks for DFDC fakes)."""
    CALLS.append(item.video_id)
    frames = read_frames(item.source)
    crop = frames[:, SIZE // 4 : SIZE // 4 + CROP, SIZE // 4 : SIZE // 4 + CROP].copy()
    fps = probe(item.source).fps
    tracks = [FakeTrack(crop, fps, 0)]
    if item.domain == "dfdc" and item.label == 1:
        tracks.append(FakeTrack(crop[::-1].copy(), fps, 1, ("second face",)))
    return tracks


def npy_writer(path: Path, track: FakeTrack) -> None:
    np.save(path, track.frames)


def mp4_writer(path: Path, track: FakeTrack) -> None:
    write_video(path, track.frames, fps=track.fps)


def read_rows(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def synthetic_video(path: Path, seed: int) -> Path:
    """A moving bright square on a dark textured background, T frames of SIZE x SIZE."""
    rng = np.random.default_rng(seed)
    frames = np.repeat(rng.integers(0, 60, (1, SIZE, SIZE, 3), dtype=np.uint8), T, axis=0)
    for t in range(T):
        frames[t, 20 + t : 36 + t, 24:40] = (200, 150 + 4 * t, 100)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_video(path, frames, fps=25.0, preset="ultrafast")


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> dict[str, Path]:
    """FF++ (c23, a test pair and a train pair, Deepfakes; one corrupt NeuralTextures file), CDF, DFDC."""
    base = tmp_path_factory.mktemp("raw")
    ffpp = base / "FaceForensics++"
    seed = 0
    for split in ("test", "train"):
        a, b = ffpp_pairs()[split][0]
        for name in (a, b):
            seed += 1
            synthetic_video(ffpp / f"original_sequences/youtube/c23/videos/{name}.mp4", seed)
        for name in (f"{a}_{b}", f"{b}_{a}"):
            seed += 1
            synthetic_video(ffpp / f"manipulated_sequences/Deepfakes/c23/videos/{name}.mp4", seed)
    a, b = ffpp_pairs()["test"][0]
    corrupt = ffpp / f"manipulated_sequences/NeuralTextures/c23/videos/{a}_{b}.mp4"
    corrupt.parent.mkdir(parents=True)
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4)
    cdf = base / "Celeb-DF-v2"
    test = celebdf_test_list()
    for rel in (
        next(p for p in test if p.startswith("Celeb-synthesis/")),
        next(p for p in test if "real" in p),
    ):
        seed += 1
        synthetic_video(cdf / rel, seed)
    seed += 1
    synthetic_video(cdf / "Celeb-synthesis/id90_id91_0000.mp4", seed)
    dfdc = base / "DFDC"
    for vid in sorted(dfdc_test_subset_3215())[:3]:
        seed += 1
        synthetic_video(dfdc / "test" / "videos" / f"{vid}.mp4", seed)
    return {"ffpp": ffpp, "celebdf": cdf, "dfdc": dfdc}


def run(items, out, **kwargs):
    kwargs.setdefault("writer", npy_writer)
    kwargs.setdefault("track_format", "npy")
    return prepare(items, out, fake_extract, settings={"test": 1}, progress=False, **kwargs)


def test_ffpp_tracks_manifest_failures_and_resume(raw, tmp_path):
    items = list_ffpp(raw["ffpp"], "c23")
    assert len(items) == 9
    CALLS.clear()
    summary = run(items, tmp_path)
    assert (summary.selected, summary.processed, summary.failed, summary.tracks) == (9, 9, 1, 8)
    assert summary.failures_by_type == {"VideoError": 1} and summary.failures == tmp_path / "failures.csv"
    rows = {row["video_id"]: row for row in read_rows(tmp_path / "manifest.csv")}
    a, b = ffpp_pairs()["test"][0]
    fake = rows[f"ffpp/c23/Deepfakes/{a}_{b}"]
    assert (fake["label"], fake["split"], fake["domain"], fake["method"]) == (
        "1",
        "test",
        "ffpp-df",
        "Deepfakes",
    )
    assert (fake["identity"], fake["source_identity"], fake["track"], fake["frames"]) == (a, b, "0", str(T))
    assert fake["source"] == f"manipulated_sequences/Deepfakes/c23/videos/{a}_{b}.mp4"
    assert float(fake["fps"]) == pytest.approx(25.0)
    assert fake["align_len"] == ""  # these tracks carry no alignment windows
    assert fake["path"] == f"tracks/ffpp/c23/Deepfakes/{a}_{b}.t0.npy"
    assert np.load(tmp_path / fake["path"]).shape == (T, CROP, CROP, 3)
    assert rows[f"ffpp/c23/real/{a}"]["label"] == "0" and rows[f"ffpp/c23/real/{a}"]["domain"] == "ffpp"
    ta, tb = ffpp_pairs()["train"][0]
    assert rows[f"ffpp/c23/Deepfakes/{ta}_{tb}"]["split"] == "train"
    failures = read_rows(tmp_path / "failures.csv")
    assert [(f["video_id"], f["error_type"]) for f in failures] == [
        (f"ffpp/c23/NeuralTextures/{a}_{b}", "VideoError")
    ]
    assert "\n" not in failures[0]["message"] and failures[0]["message"]

    CALLS.clear()
    again = run(items, tmp_path)
    assert (again.processed, again.skipped, again.failed, CALLS) == (0, 9, 1, [])
    assert read_rows(tmp_path / "manifest.csv") == list(rows.values())

    (tmp_path / fake["path"]).unlink()  # a lost track file makes its video count as not done
    again = run(items, tmp_path, retry_failed=True)
    assert sorted(CALLS) == sorted([fake["video_id"], f"ffpp/c23/NeuralTextures/{a}_{b}"])
    assert again.failed == 1 and (tmp_path / fake["path"]).is_file()


def test_two_shards_and_merge_equal_one_run(raw, tmp_path):
    items = list_ffpp(raw["ffpp"], "c23") + list_celebdf(raw["celebdf"]) + list_dfdc(raw["dfdc"])
    run(items, tmp_path / "one")
    first = run(items, tmp_path / "sharded", shard=Shard.parse("0/2"))
    assert first.manifest is None and first.selected == 8
    with pytest.raises(FileNotFoundError, match=r"shard\(s\) \[1\] of 2"):
        merge_shards(tmp_path / "sharded")
    second = run(items, tmp_path / "sharded", shard=Shard(1, 2))
    assert second.manifest == tmp_path / "sharded" / "manifest.csv"
    one = read_rows(tmp_path / "one" / "manifest.csv")
    assert read_rows(tmp_path / "sharded" / "manifest.csv") == one
    assert read_rows(tmp_path / "sharded" / "failures.csv") == read_rows(tmp_path / "one" / "failures.csv")
    assert read_rows(tmp_path / "one" / "failures.csv")[0]["error_type"] == "VideoError"
    # Celeb-DF: the official list's 1 = real became 1 = fake; DFDC fakes kept both tracks.
    by_id = {(r["video_id"], r["track"]): r for r in one}
    labels = {vid: row["label"] for (vid, _), row in by_id.items() if vid.startswith("celebdf/")}
    assert all(label == ("1" if "/Celeb-synthesis/" in vid else "0") for vid, label in labels.items())
    assert by_id[("celebdf/Celeb-synthesis/id90_id91_0000", "0")]["split"] == "train"
    dfdc_fakes = {
        vid for (vid, track), row in by_id.items() if vid.startswith("dfdc/") and row["label"] == "1"
    }
    assert all((vid, "1") in by_id for vid in dfdc_fakes)
    assert merge_shards(tmp_path / "sharded", 2) == tmp_path / "sharded" / "manifest.csv"


def test_parallel_workers_give_the_same_rows(raw, tmp_path):
    items = list_celebdf(raw["celebdf"]) + list_dfdc(raw["dfdc"])
    run(items, tmp_path / "serial", writer=mp4_writer, track_format="mp4")
    parallel = run(items, tmp_path / "parallel", writer=mp4_writer, track_format="mp4", workers=2)
    assert parallel.processed == len(items) and parallel.failed == 0
    assert read_rows(tmp_path / "parallel" / "manifest.csv") == read_rows(
        tmp_path / "serial" / "manifest.csv"
    )
    row = read_rows(tmp_path / "parallel" / "manifest.csv")[0]
    assert read_frames(tmp_path / "parallel" / row["path"]).shape == (T, CROP, CROP, 3)


def test_settings_are_checked_and_cut_lines_ignored(raw, tmp_path):
    items = list_dfdc(raw["dfdc"])
    run(items, tmp_path, limit=1)
    with pytest.raises(ValueError, match="other settings"):
        prepare(items, tmp_path, fake_extract, settings={"test": 2}, writer=npy_writer, track_format="npy")
    with pytest.raises(ValueError, match="other settings"):
        run(items, tmp_path, writer=mp4_writer, track_format="mp4")
    log = tmp_path / "progress" / "all.jsonl"
    log.write_text(log.read_text() + '{"video_id": "dfdc/x", "sta')  # a crash in the middle of a line
    assert set(load_progress(tmp_path)) == {items[0].video_id}
    summary = run(items, tmp_path)
    assert (summary.skipped, summary.processed) == (1, 2)
    assert json.loads((tmp_path / "prepare.json").read_text()) == {"test": 1, "track_format": "npy"}


def failing_writer(path: Path, track: FakeTrack) -> None:
    raise OSError(28, "No space left on device")


def test_output_errors_stop_the_run_and_leave_no_record(raw, tmp_path):
    items = list_dfdc(raw["dfdc"])
    with pytest.raises(OSError, match="No space"):
        run(items, tmp_path, writer=failing_writer)
    assert load_progress(tmp_path) == {}
    assert not list(tmp_path.rglob("*.npy"))


def test_shard_parsing():
    assert Shard.parse(" 3/8 ") == Shard(3, 8) and Shard(3, 8).tag == "shard-3-of-8"
    for bad in ("8/8", "1", "a/b", "-1/2"):
        with pytest.raises(ValueError, match="shard"):
            Shard.parse(bad)


def test_align_len_is_read_from_the_windows():
    frames = np.zeros((70, 4, 4, 3), np.uint8)
    pipeline_like = FakeTrack(frames, 25.0, 0)
    assert align_len_of(pipeline_like) is None  # no windows attribute
    pipeline_like.windows = alignment_windows(70, 32)
    assert align_len_of(pipeline_like) == 32
    pipeline_like.windows = alignment_windows(70, 100)  # one window: the whole track
    assert align_len_of(pipeline_like) == 70
    pipeline_like.windows = np.array([[0, 10], [10, 70]])  # not alignment_windows' layout
    assert align_len_of(pipeline_like) is None
