"""Importing a hand-made DeepfakeBench dataset JSON: ids, labels, splits, frame order, its traps."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from sdrlib.data.manifest import read_manifest
from sdrlib.data.prepare import FrameListExtractor, list_deepfakebench, prepare

FF = "FaceForensics++"


def crop(root: Path, rel: str, value: int, size: int = 16) -> str:
    """Write a solid-colour PNG crop (value encodes the frame) and return its path relative to root."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.full((size, size, 3), (value, 255 - value, 7), np.uint8)
    assert cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return rel


@pytest.fixture()
def dfb(tmp_path) -> tuple[Path, Path]:
    root = tmp_path / "datasets"
    real = [crop(root, f"{FF}/original_sequences/youtube/c23/frames/953/{i:03d}.png", i) for i in (0, 10, 20)]
    # Listed out of order; natural order is 2, 3, 10, 11 (consecutive within the file names' numbers is
    # not required for the order, only for the "consecutive" check).
    fake = [
        crop(root, f"{FF}/manipulated_sequences/Deepfakes/c23/frames/953_974/{i}.png", 100 + i)
        for i in (0, 1, 2, 3)
    ]
    fake_listed = [fake[2], fake[0], fake[3], fake[1]]
    cdf = [
        crop(root, f"Celeb-DF-v2/Celeb-synthesis/frames/id0_id1_0000/{i:04d}.png", 50 + i) for i in range(3)
    ]
    dfdc = [crop(root, f"DFDC/test/frames/aalscayrfi/{i:03d}.png", 200 + i) for i in range(2)]
    author = "C:\\Users\\author\\DeepfakeBench\\datasets\\"  # DeepfakeBench's Windows joins
    data = {
        FF: {
            "FF-real": {
                "train": {"c23": {}},
                "test": {
                    "c23": {
                        "953": {"label": "FF-real", "frames": [author + p.replace("/", "\\") for p in real]}
                    }
                },
            },
            "FF-DF": {
                "test": {
                    "c23": {"953_974": {"label": "FF-DF", "frames": fake_listed, "masks": []}},
                    "c40": {"953_974": {"label": "FF-DF", "frames": fake_listed}},
                }
            },
        },
        "Celeb-DF-v2": {
            "CelebDFv2_fake": {
                split: {"id0_id1_0000": {"label": "CelebDFv2_fake", "frames": cdf}}
                for split in ("train", "val", "test")
            }
        },
        "DFDC": {
            "DFDC_Real": {
                "test": {
                    "aalscayrfi": {
                        "label": "DFDC_Real",
                        "frames": ["/home/someone/datasets/" + p for p in dfdc],
                    }
                },
                "val": {"label": "DFDC_Real", "frames": dfdc},  # DeepfakeBench's DFDC 'val' bug
            }
        },
    }
    path = tmp_path / "dataset.json"
    path.write_text(json.dumps(data))
    return path, root


def test_listing_maps_ids_labels_splits_and_counts_traps(dfb):
    path, root = dfb
    items, report = list_deepfakebench(path, root, "c23")
    by_id = {item.video_id: item for item in items}
    assert set(by_id) == {
        "ffpp/c23/real/953",
        "ffpp/c23/Deepfakes/953_974",
        "celebdf/CelebDFv2_fake/id0_id1_0000",
        "dfdc/DFDC_Real/aalscayrfi",
    }
    real, fake = by_id["ffpp/c23/real/953"], by_id["ffpp/c23/Deepfakes/953_974"]
    assert (real.label, real.domain, real.method, real.split) == (0, "ffpp", "real", "test")
    assert (fake.label, fake.domain, fake.method) == (1, "ffpp-df", "Deepfakes")
    assert [p.name for p in fake.frame_paths] == ["0.png", "1.png", "2.png", "3.png"]
    assert real.frame_paths[0] == root / FF / "original_sequences/youtube/c23/frames/953/000.png"
    cdf = by_id["celebdf/CelebDFv2_fake/id0_id1_0000"]
    assert (cdf.label, cdf.split, cdf.domain) == (1, "test", "celebdf")
    assert by_id["dfdc/DFDC_Real/aalscayrfi"].label == 0
    assert (report.duplicates, report.malformed, report.other_compression, report.non_consecutive) == (
        2,
        1,
        1,
        1,
    )
    text = " ".join(report.warnings())
    assert "aligned frame by frame" in text and "non-consecutive" in text


def test_import_writes_tracks_in_frame_order(dfb, tmp_path):
    path, root = dfb
    items, _ = list_deepfakebench(path, root)
    extractor = FrameListExtractor(size=8)
    summary = prepare(
        items, tmp_path / "out", extractor, settings={"dataset": "deepfakebench"}, writer=extractor.writer,
        track_format="npy", progress=False,
    )  # fmt: skip
    assert (summary.failed, summary.tracks) == (0, 4)
    manifest = read_manifest(tmp_path / "out").set_index("video_id")
    row = manifest.loc["ffpp/c23/Deepfakes/953_974"]
    track = np.load(tmp_path / "out" / row["path"])
    assert track.shape == (4, 8, 8, 3) and row["frames"] == 4
    assert row["align_len"] == 1  # DeepfakeBench crops are aligned frame by frame
    assert track[:, 0, 0, 0].tolist() == [100, 101, 102, 103]
    assert not (tmp_path / "out" / (row["path"] + ".json")).exists()


def test_missing_frame_is_a_recorded_failure_and_bad_json_is_refused(dfb, tmp_path):
    path, root = dfb
    items, _ = list_deepfakebench(path, root)
    items[0].frame_paths[-1].unlink()
    summary = prepare(
        items, tmp_path / "out", FrameListExtractor(), settings={}, track_format="npy", progress=False
    )
    assert summary.failures_by_type == {"InputError": 1}
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(ValueError, match="top level"):
        list_deepfakebench(bad, root)
    bad.write_text(json.dumps({"X": {"Weird_label": {"test": {"v": {"frames": ["a.png"]}}}}}))
    with pytest.raises(ValueError, match="unknown DeepfakeBench label"):
        list_deepfakebench(bad, root)
