"""ClipDataset: windows, mirror padding, the uint8 contract, epochs, workers, several roots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader

from sdrlib.data import ClipDataset, clips_to_input, generate_synthdf, write_manifest
from sdrlib.data.manifest import read_manifest
from sdrlib.data.tracks import alignment_windows, clip_start_ranges, eval_clip_starts, mirror_indices


def _numbered(frames: int, size: int = 8, offset: int = 0) -> np.ndarray:
    """Frame t is filled with the value offset + t, so a clip's content tells which frames it holds."""
    values = (offset + np.arange(frames)).astype(np.uint8)
    return np.broadcast_to(values[:, None, None, None], (frames, size, size, 3)).copy()


def _dataset_dir(root, lengths: dict[str, int], prefix: str = "v", with_frames: bool = True):
    """A dataset directory with one .npy track per video; even videos real, odd fake."""
    rows = []
    for i, (name, length) in enumerate(lengths.items()):
        path = root / f"{name}.npy"
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, _numbered(length, offset=10 * i))
        row = {
            "path": path.name,
            "label": i % 2,
            "video_id": f"{prefix}/{name}",
            "split": "train",
            "domain": "d",
        }
        if with_frames:
            row["frames"] = length
        rows.append(row)
    write_manifest(root, rows)
    return root


def _values(clip: torch.Tensor) -> list[int]:
    return clip[:, 0, 0, 0].tolist()


def test_mirror_indices():
    assert mirror_indices(3, 7).tolist() == [0, 1, 2, 1, 0, 1, 2]
    assert mirror_indices(1, 3).tolist() == [0, 0, 0]
    assert mirror_indices(4, 4).tolist() == [0, 1, 2, 3]


def test_eval_takes_every_non_overlapping_window_and_pads_short_tracks(tmp_path):
    root = _dataset_dir(tmp_path, {"long": 13, "short": 3, "exact": 4}, with_frames=False)
    data = ClipDataset(root, split="train", clip_len=4, mode="eval")
    items = [data[i] for i in range(len(data))]
    by_video = {}
    for item in items:
        by_video.setdefault(item["video_id"], []).append(item)
    assert [it["start"] for it in by_video["v/long"]] == [0, 4, 8]
    assert [_values(it["clip"]) for it in by_video["v/long"]] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    (short,) = by_video["v/short"]
    assert short["padded"] and _values(short["clip"]) == [10, 11, 12, 11]
    (exact,) = by_video["v/exact"]
    assert not exact["padded"] and _values(exact["clip"]) == [20, 21, 22, 23]
    assert data.labels.tolist() == [it["label"] for it in items]
    assert data.videos.set_index("video_id").loc["v/long", "n_items"] == 3


def test_items_keep_the_uint8_contract(tmp_path):
    data = ClipDataset(_dataset_dir(tmp_path, {"a": 6, "b": 6}), clip_len=4, mode="eval")
    item = data[0]
    assert item["clip"].dtype == torch.uint8 and item["clip"].shape == (4, 8, 8, 3)
    assert set(item) == {"clip", "label", "video_id", "domain", "track", "start", "padded"}
    assert isinstance(item["label"], int) and isinstance(item["padded"], bool)
    resized = ClipDataset(tmp_path, clip_len=4, mode="eval", size=5)[0]["clip"]
    assert resized.dtype == torch.uint8 and resized.shape == (4, 5, 5, 3)
    assert _values(resized) == _values(item["clip"])


def test_train_windows_are_random_per_epoch_and_reproducible(tmp_path):
    root = _dataset_dir(tmp_path, {f"x{i}": 40 for i in range(6)} | {"tiny": 2})
    data = ClipDataset(root, clip_len=8, mode="train", seed=3)
    assert len(data) == 7
    starts = {}
    for epoch in range(3):
        data.set_epoch(epoch)
        items = [data[i] for i in range(len(data))]
        starts[epoch] = [it["start"] for it in items]
        for item in items:
            values = _values(item["clip"])
            if item["video_id"] == "v/tiny":
                assert item["padded"] and item["start"] == 0
            else:
                assert 0 <= item["start"] <= 32 and not item["padded"]
                assert values == list(range(values[0], values[0] + 8))
    assert starts[0] != starts[1] != starts[2]
    again = ClipDataset(root, clip_len=8, mode="train", seed=3)
    again.set_epoch(1)
    assert [again[i]["start"] for i in range(len(again))] == starts[1]
    other_seed = ClipDataset(root, clip_len=8, mode="train", seed=4)
    other_seed.set_epoch(1)
    assert [other_seed[i]["start"] for i in range(len(other_seed))] != starts[1]


def test_loader_with_workers_and_default_collate(tmp_path):
    root = _dataset_dir(tmp_path, {f"x{i}": 10 for i in range(4)})
    data = ClipDataset(root, clip_len=4, mode="train")
    data.set_epoch(2)
    expected = [data[i]["start"] for i in range(len(data))]
    batches = list(DataLoader(data, batch_size=2, num_workers=2))
    assert [s for b in batches for s in b["start"].tolist()] == expected
    batch = batches[0]
    assert batch["clip"].dtype == torch.uint8 and batch["clip"].shape == (2, 4, 8, 8, 3)
    assert batch["label"].dtype == torch.int64 and isinstance(batch["video_id"], list)
    assert clips_to_input(batch["clip"]).shape == (2, 3, 4, 8, 8)


def test_several_roots_filters_and_caps(tmp_path):
    a = _dataset_dir(tmp_path / "a", {f"x{i}": 4 for i in range(6)}, prefix="a")
    b = _dataset_dir(tmp_path / "b", {"y0": 4, "y1": 4}, prefix="b")
    both = ClipDataset([a, b], clip_len=4, mode="eval")
    assert len(both) == 8 and both.videos["path"].map(lambda p: p.startswith(str(tmp_path))).all()
    capped = ClipDataset([a, b], clip_len=4, mode="eval", max_videos_per_class=2)
    assert capped.videos.groupby("label").size().tolist() == [2, 2]
    clash = _dataset_dir(tmp_path / "c", {"x0": 4}, prefix="a")
    with pytest.raises(ValueError, match="appears in two dataset directories"):
        ClipDataset([a, clash], clip_len=4)
    with pytest.raises(ValueError, match=r"domain\(s\) \['other'\] not found"):
        ClipDataset(a, clip_len=4, domains=["other"])
    with pytest.raises(ValueError, match="no track left"):
        ClipDataset(a, split="test", clip_len=4)
    with pytest.raises(ValueError, match="mode"):
        ClipDataset(a, clip_len=4, mode="predict")
    with pytest.raises(ValueError, match="clip_len"):
        ClipDataset(a, clip_len=0)


def test_reads_a_synthdf_directory(tmp_path):
    root = generate_synthdf(
        tmp_path / "s",
        domains=["ffpp-df", "dfdc"],
        n_per_split={"train": 2, "test": 1},
        frames={"train": 8, "test": 4},
        size=16,
        progress=False,
    )
    train = ClipDataset(root, "train", clip_len=4, mode="train", domains=["dfdc"])
    assert len(train) == 4 and set(train.labels.tolist()) == {0, 1}
    test = ClipDataset(root, "test", clip_len=4, mode="eval")
    assert len(test) == 4 and {it["domain"] for it in (test[i] for i in range(4))} == {"ffpp-df", "dfdc"}


def test_ffpp_manipulation_domains_include_the_shared_reals(tmp_path):
    """FF++ reals carry the family domain ``ffpp``; selecting ``ffpp-df`` must bring them along."""
    import numpy as np

    from sdrlib.data import ClipDataset, write_manifest

    rows = []
    for i, (label, domain) in enumerate(
        [(0, "ffpp"), (0, "ffpp"), (1, "ffpp-df"), (1, "ffpp-nt"), (0, "celebdf")]
    ):
        path = tmp_path / f"v{i}.npy"
        np.save(path, np.zeros((4, 8, 8, 3), dtype=np.uint8))
        rows.append(
            {"path": path.name, "label": label, "video_id": f"v{i}", "split": "test", "domain": domain}
        )
    write_manifest(tmp_path, rows)
    ds = ClipDataset(tmp_path, split="test", clip_len=4, mode="eval", domains=["ffpp-df"])
    assert sorted(ds.videos["video_id"]) == ["v0", "v1", "v2"]
    both = ClipDataset(tmp_path, split="test", clip_len=4, mode="eval", domains=["ffpp-df", "ffpp-nt"])
    assert sorted(both.videos["video_id"]) == ["v0", "v1", "v2", "v3"]  # each real once


def test_clip_starts_respect_alignment_windows():
    # 100 frames aligned per 32 (windows [0, 32), [32, 64), [64, 100)), clips of 16 frames.
    assert clip_start_ranges(100, 16, 32).tolist() == [[0, 16], [32, 48], [64, 84]]
    assert eval_clip_starts(100, 16, 32).tolist() == [0, 16, 32, 48, 64, 80]
    assert eval_clip_starts(100, 32, 32).tolist() == [0, 32, 64]
    # No windows known, or windows too short to hold a clip: any start that fits.
    assert clip_start_ranges(100, 16).tolist() == [[0, 84]]
    assert clip_start_ranges(100, 16, 1).tolist() == [[0, 84]]
    assert eval_clip_starts(13, 4).tolist() == [0, 4, 8]
    # Shorter than a clip: one mirror-padded clip at 0.
    assert clip_start_ranges(3, 4, 32).tolist() == [[0, 0]]
    assert eval_clip_starts(3, 4, 32).tolist() == [0]


def test_training_clips_never_cross_an_alignment_window(tmp_path):
    root = _dataset_dir(tmp_path, {"a": 100, "b": 70})
    manifest = read_manifest(root)
    manifest["align_len"] = 32
    write_manifest(root, manifest)
    data = ClipDataset(root, split="train", clip_len=16, mode="train", seed=3)
    windows = {"v/a": alignment_windows(100, 32), "v/b": alignment_windows(70, 32)}
    seen = {"v/a": set(), "v/b": set()}
    for epoch in range(400):
        data.set_epoch(epoch)
        for item in (data[0], data[1]):
            start = item["start"]
            inside = [(lo <= start and start + 16 <= hi) for lo, hi in windows[item["video_id"]].tolist()]
            assert any(inside), (item["video_id"], start)
            seen[item["video_id"]].add(start)
    # Every allowed start is drawn: [0, 16] u [32, 48] u [64, 84] for a, [0, 16] u [32, 54] for b.
    assert seen["v/a"] == set(range(0, 17)) | set(range(32, 49)) | set(range(64, 85))
    assert seen["v/b"] == set(range(0, 17)) | set(range(32, 55))
    evaluation = ClipDataset(root, split="train", clip_len=16, mode="eval")
    assert [evaluation[i]["start"] for i in range(len(evaluation))] == [0, 16, 32, 48, 64, 80, 0, 16, 32, 48]


def test_windows_shorter_than_a_clip_warn(tmp_path):
    root = _dataset_dir(tmp_path, {"a": 40, "b": 40})
    manifest = read_manifest(root)
    manifest["align_len"] = [1, pd.NA]
    write_manifest(root, manifest)
    with pytest.warns(UserWarning, match="1 of 2 tracks were aligned in windows shorter than a clip"):
        data = ClipDataset(root, clip_len=8, mode="train")
    assert len(data) == 2


def test_normalisation_constants_survive_inference_mode():
    # the cached ImageNet constants must not become inference tensors when first made there
    from sdrlib.data.normalize import _stats_on, normalize

    _stats_on.cache_clear()
    with torch.inference_mode():
        normalize(torch.rand(1, 3, 2, 4, 4))
    x = torch.rand(1, 3, 2, 4, 4, requires_grad=True)
    normalize(x).sum().backward()
    assert x.grad is not None
