"""Official lists and dataset adapters: ids, labels (1 = fake), splits and domains on fake trees."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sdrlib.data.prepare import domain_mask, expand_domains, list_celebdf, list_dfdc, list_ffpp, list_folder
from sdrlib.data.prepare.items import VideoItem, check_unique, filter_splits, track_relpath
from sdrlib.data.prepare.splits import (
    celebdf_test_list,
    dfdc_test_labels,
    dfdc_test_subset_3215,
    ffpp_pairs,
    ffpp_split_of,
)
from sdrlib.data.video.files import list_videos, scan_videos


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_ffpp_official_split_sizes_and_pairs():
    pairs = ffpp_pairs()
    assert {k: len(v) for k, v in pairs.items()} == {"train": 360, "val": 70, "test": 70}
    split_of = ffpp_split_of()
    reals = [name for name in split_of if "_" not in name]
    assert len(reals) == 1000 and len(split_of) == 2000
    a, b = pairs["test"][0]
    assert split_of[a] == split_of[b] == split_of[f"{a}_{b}"] == split_of[f"{b}_{a}"] == "test"
    assert sum(split == "train" for name, split in split_of.items() if "_" not in name) == 720


def test_celebdf_list_is_converted_to_one_means_fake():
    test = celebdf_test_list()
    assert len(test) == 518
    # The distributed file says "1 YouTube-real/..." and "0 Celeb-synthesis/...": inverted here.
    assert all(label == 1 for path, label in test.items() if path.startswith("Celeb-synthesis/"))
    assert all(label == 0 for path, label in test.items() if "real" in path.split("/")[0])
    assert sum(test.values()) == 340


def test_dfdc_lists():
    labels = dfdc_test_labels()
    subset = dfdc_test_subset_3215()
    assert len(labels) == 5000 and sum(labels.values()) == 2500
    assert len(subset) == 3215 and subset <= set(labels)


def _ffpp_tree(root: Path, compression: str = "c23") -> dict[str, tuple[str, str]]:
    """A few FF++ names from each official split, as empty files."""
    pairs = {split: ffpp_pairs()[split][0] for split in ("train", "val", "test")}
    for a, b in pairs.values():
        for real in (a, b):
            touch(root / f"original_sequences/youtube/{compression}/videos/{real}.mp4")
        for method in ("Deepfakes", "NeuralTextures"):
            touch(root / f"manipulated_sequences/{method}/{compression}/videos/{a}_{b}.mp4")
            touch(root / f"manipulated_sequences/{method}/{compression}/videos/{b}_{a}.mp4")
    touch(root / f"original_sequences/actors/{compression}/videos/01__walking.mp4")
    touch(root / f"manipulated_sequences/DeepFakeDetection/{compression}/videos/01_02__walking__XYZ.mp4")
    touch(root / f"manipulated_sequences/Deepfakes/{compression}/videos/notlisted.mp4")
    return pairs


def test_ffpp_listing_ids_labels_splits_domains(tmp_path):
    pairs = _ffpp_tree(tmp_path)
    items = {item.video_id: item for item in list_ffpp(tmp_path, "c23")}
    a, b = pairs["test"]
    fake = items[f"ffpp/c23/Deepfakes/{a}_{b}"]
    assert (fake.label, fake.split, fake.domain, fake.method) == (1, "test", "ffpp-df", "Deepfakes")
    assert (fake.identity, fake.source_identity) == (a, b)
    assert fake.source_rel == f"manipulated_sequences/Deepfakes/c23/videos/{a}_{b}.mp4"
    # The same FF++ name exists in every manipulation; ids stay unique.
    assert items[f"ffpp/c23/NeuralTextures/{a}_{b}"].domain == "ffpp-nt"
    real = items[f"ffpp/c23/real/{a}"]
    assert (real.label, real.domain, real.method, real.split) == (0, "ffpp", "real", "test")
    ta, tb = pairs["train"]
    assert items[f"ffpp/c23/Deepfakes/{tb}_{ta}"].split == "train"
    assert items[f"ffpp/c23/real/{pairs['val'][1]}"].split == "val"
    dfd_real, dfd_fake = (
        items["dfd/c23/actors/01__walking"],
        items["dfd/c23/DeepFakeDetection/01_02__walking__XYZ"],
    )
    assert (dfd_real.label, dfd_real.domain, dfd_real.split) == (0, "dfd", "test")
    assert (dfd_fake.label, dfd_fake.identity, dfd_fake.source_identity) == (1, "01", "02")
    assert not any("notlisted" in vid for vid in items)
    assert len(items) == 6 + 12 + 2


def test_ffpp_method_selection_and_errors(tmp_path):
    _ffpp_tree(tmp_path)
    items = list_ffpp(tmp_path, "c23", "nt")
    assert {item.method for item in items} == {"real", "NeuralTextures"}
    assert {item.method for item in list_ffpp(tmp_path, "c23", ["dfd"])} == {"real", "DeepFakeDetection"}
    assert all(item.domain == "dfd" for item in list_ffpp(tmp_path, "c23", ["dfd"]))
    with pytest.raises(FileNotFoundError, match="Face2Face"):
        list_ffpp(tmp_path, "c23", "f2f")
    with pytest.raises(ValueError, match="unknown FF\\+\\+ method"):
        list_ffpp(tmp_path, "c23", "xyz")
    with pytest.raises(FileNotFoundError, match="no FF\\+\\+ videos"):
        list_ffpp(tmp_path, "c40")


def test_celebdf_listing_labels_and_test_split(tmp_path):
    test = celebdf_test_list()
    fake_test = next(p for p in test if p.startswith("Celeb-synthesis/"))
    real_test = next(p for p in test if p.startswith("YouTube-real/"))
    celeb_real_test = next(p for p in test if p.startswith("Celeb-real/"))
    for rel in (fake_test, real_test, celeb_real_test, "Celeb-synthesis/id98_id99_0001.mp4"):
        touch(tmp_path / rel)
    items = {item.source_rel: item for item in list_celebdf(tmp_path)}
    assert (items[fake_test].label, items[fake_test].split) == (1, "test")
    assert (items[real_test].label, items[real_test].split) == (0, "test")
    assert items[celeb_real_test].label == 0
    train = items["Celeb-synthesis/id98_id99_0001.mp4"]
    assert (train.split, train.label, train.video_id) == (
        "train",
        1,
        "celebdf/Celeb-synthesis/id98_id99_0001",
    )
    assert (train.identity, train.source_identity) == ("id98", "id99")
    assert {item.domain for item in items.values()} == {"celebdf"}


def test_dfdc_listing_subset_and_labels(tmp_path):
    labels = dfdc_test_labels()
    subset = dfdc_test_subset_3215()
    inside = sorted(subset)[:2]
    outside = sorted(set(labels) - subset)[0]
    for vid in (*inside, outside):
        touch(tmp_path / "test" / "videos" / f"{vid}.mp4")
    touch(tmp_path / "train_part_0" / "notatest.mp4")
    assert [item.video_id for item in list_dfdc(tmp_path, "3215")] == [f"dfdc/{v}" for v in inside]
    full = {item.video_id: item for item in list_dfdc(tmp_path, "full")}
    assert set(full) == {f"dfdc/{v}" for v in (*inside, outside)}
    assert all(
        full[f"dfdc/{v}"].label == labels[v] and full[f"dfdc/{v}"].split == "test" for v in (*inside, outside)
    )


def test_folder_labels_from_csv_words(tmp_path):
    touch(tmp_path / "a" / "x.mp4")
    touch(tmp_path / "b.mp4")
    (tmp_path / "labels.csv").write_text(
        "path,label,split\na/x.mp4,FAKE,train\nb.mp4,real,\nmissing.mp4,fake,\n"
    )
    items = {item.source_rel: item for item in list_folder(tmp_path, domain="mine")}
    assert set(items) == {"a/x.mp4", "b.mp4"}
    assert (items["a/x.mp4"].label, items["a/x.mp4"].split, items["a/x.mp4"].video_id) == (
        1,
        "train",
        "mine/a/x",
    )
    assert (items["b.mp4"].label, items["b.mp4"].split) == (0, "test")


def test_folder_labels_from_folder_names_and_refusal(tmp_path):
    touch(tmp_path / "set" / "Real" / "r.mp4")
    touch(tmp_path / "set" / "fake" / "sub" / "f.mp4")
    items = {item.source_rel: item for item in list_folder(tmp_path / "set")}
    assert items["Real/r.mp4"].label == 0 and items["fake/sub/f.mp4"].label == 1
    assert {item.domain for item in items.values()} == {"set"}
    touch(tmp_path / "plain" / "v.mp4")
    with pytest.raises(ValueError, match="no labelled videos"):
        list_folder(tmp_path / "plain")
    (tmp_path / "plain" / "labels.csv").write_text("path,label\nv.mp4,maybe\n")
    with pytest.raises(ValueError, match="maybe"):
        list_folder(tmp_path / "plain")


def test_folder_takes_every_video_suffix_predict_takes(tmp_path):
    """One list of video suffixes: a .webm (or .m4v) in real/ or fake/ is a video for prepare
    folder as for predict; prepare folder used to skip it without a word."""
    for name in ("real/a.webm", "fake/b.M4V", "fake/c.mp4", "real/notes.txt"):
        touch(tmp_path / "set" / name)
    items = {item.source_rel for item in list_folder(tmp_path / "set")}
    assert items == {"real/a.webm", "fake/b.M4V", "fake/c.mp4"}
    videos, skipped = scan_videos(tmp_path / "set")
    assert [v.name for v in videos] == ["b.M4V", "c.mp4", "a.webm"]
    assert [(s.path.name, s.reason) for s in skipped] == [("notes.txt", "not a video file name (.txt)")]
    assert list_videos(tmp_path / "set") == videos


@pytest.mark.videos
def test_folder_accepts_the_shared_videos_manifest(shared_videos):
    items = list_folder(shared_videos)
    assert len(items) >= 2 and {item.label for item in items} == {0, 1}


def test_video_items_validate_and_name_tracks(tmp_path):
    assert track_relpath("ffpp/c23/Deepfakes/000_003", 1, "npy") == "tracks/ffpp/c23/Deepfakes/000_003.t1.npy"
    for bad in ("", "a//b", "../x", "a/./b", "a\\b"):
        with pytest.raises(ValueError, match="video id"):
            track_relpath(bad, 0, "mp4")
    item = VideoItem("d/x", tmp_path, "x.mp4", 1, "test", "d", "fake")
    with pytest.raises(ValueError, match="label"):
        VideoItem("d/x", tmp_path, "x.mp4", 2, "test", "d", "fake")
    with pytest.raises(ValueError, match="appears twice"):
        check_unique([item, item])
    assert filter_splits([item], ("train",)) == []
    with pytest.raises(ValueError, match="unknown split"):
        filter_splits([item], ("dev",))


def test_domain_scheme_shares_ffpp_reals():
    domains = ["ffpp", "ffpp-df", "ffpp-nt", "celebdf", "dfd"]
    assert domain_mask(domains, "ffpp-nt").tolist() == [True, False, True, False, False]
    assert domain_mask(domains, ["ffpp-df", "ffpp-nt"]).tolist() == [True, True, True, False, False]
    assert domain_mask(domains, "celebdf").tolist() == [False, False, False, True, False]
    assert expand_domains(["dfd"]) == {"dfd"}
    assert domain_mask(np.array(domains), "ffpp-df").sum() == 2
