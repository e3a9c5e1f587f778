"""The dataset manifest: round trip, typed columns, and one clear error per kind of bad row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sdrlib.data import ManifestError, read_manifest, write_manifest


def _track(root, name: str, frames: int = 4) -> str:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.zeros((frames, 8, 8, 3), dtype=np.uint8))
    return name


def _rows(root) -> list[dict]:
    return [
        {
            "path": _track(root, "a/real.npy"),
            "label": 0,
            "video_id": "v/000",
            "split": "train",
            "domain": "d1",
        },
        {
            "path": _track(root, "a/fake.npy"),
            "label": 1,
            "video_id": "v/001",
            "split": "test",
            "domain": "d1",
        },
    ]


def test_round_trip_keeps_columns_and_types(tmp_path):
    rows = _rows(tmp_path)
    rows[0].update(frames=4, identity="p1", fps=25.0, notes="kept")
    rows[1].update(frames=4, identity="p2", source_identity="p3", method="swap", fps=30)
    write_manifest(tmp_path, rows)
    table = read_manifest(tmp_path)
    assert list(table.columns[:5]) == ["path", "label", "video_id", "split", "domain"]
    assert table["label"].tolist() == [0, 1]
    assert table["track"].tolist() == [0, 0]
    assert table["frames"].tolist() == [4, 4]
    assert table["fps"].tolist() == [25.0, 30.0]
    assert table["notes"].tolist() == ["kept", ""]
    assert table["source_identity"].tolist() == ["", "p3"]
    assert read_manifest(tmp_path / "manifest.csv").equals(table)


def test_ids_that_look_numeric_stay_strings(tmp_path):
    rows = _rows(tmp_path)
    rows[0]["video_id"], rows[1]["video_id"] = "000123", "123"
    write_manifest(tmp_path, rows)
    assert read_manifest(tmp_path)["video_id"].tolist() == ["000123", "123"]


def test_tracks_of_one_video_share_its_id(tmp_path):
    rows = _rows(tmp_path)
    rows[1]["video_id"] = rows[0]["video_id"]
    rows[0]["track"], rows[1]["track"] = 0, 1
    write_manifest(tmp_path, pd.DataFrame(rows))
    assert read_manifest(tmp_path)["track"].tolist() == [0, 1]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"label": 2}, "row 2 .*label must be 0 .real. or 1 .fake."),
        ({"label": "fake"}, "label must be"),
        ({"split": "dev"}, "row 2 .*split must be one of"),
        ({"path": "missing.npy"}, "row 2 .*track file not found"),
        ({"domain": ""}, "row 2 .*empty domain"),
        ({"video_id": "v/000"}, r"row 2 .*\(video_id, track\).*repeats row 1"),
        ({"frames": "many"}, "frames must be an integer"),
        ({"frames": 0}, "frames must be an integer >= 1"),
        ({"track": -1}, "track must be an integer >= 0"),
        ({"fps": "fast"}, "fps must be a number"),
        ({"align_len": 0}, "align_len must be an integer >= 1"),
        ({"align_len": "32 frames"}, "align_len must be an integer"),
    ],
)
def test_bad_rows_are_named(tmp_path, change, message):
    rows = _rows(tmp_path)
    rows[1].update(change)
    with pytest.raises(ManifestError, match=message):
        write_manifest(tmp_path, rows)
    assert not (tmp_path / "manifest.csv").exists()


def test_absolute_paths_are_refused(tmp_path):
    rows = _rows(tmp_path)
    rows[0]["path"] = str(tmp_path / rows[0]["path"])
    with pytest.raises(ManifestError, match="row 1 .*relative"):
        write_manifest(tmp_path, rows)


def test_missing_columns_and_files(tmp_path):
    rows = _rows(tmp_path)
    for row in rows:
        del row["domain"]
    with pytest.raises(ManifestError, match=r"missing required column\(s\) \['domain'\]"):
        write_manifest(tmp_path, rows)
    with pytest.raises(FileNotFoundError, match="no manifest.csv"):
        read_manifest(tmp_path / "nowhere")
    (tmp_path / "manifest.csv").write_text("path,label,video_id,split,domain\n")
    with pytest.raises(ManifestError, match="no rows"):
        read_manifest(tmp_path)


def test_hand_written_manifest_is_validated_on_read(tmp_path):
    _rows(tmp_path)
    (tmp_path / "manifest.csv").write_text(
        "path,label,video_id,split,domain\na/real.npy,0,x,train,d\na/fake.npy,1,y,val,d\na/fake.npy,3,z,val,d\n"
    )
    with pytest.raises(ManifestError, match=r"row 3 \(line 4, video_id='z'\): label"):
        read_manifest(tmp_path)


def test_paths_may_be_checked_later(tmp_path):
    rows = _rows(tmp_path)
    rows[0]["path"] = "later.npy"
    write_manifest(tmp_path, rows, check_paths=False)
    with pytest.raises(ManifestError, match="not found"):
        read_manifest(tmp_path)


def test_integer_columns_with_empty_cells_stay_integers(tmp_path):
    rows = _rows(tmp_path)
    rows[0]["align_len"], rows[1]["align_len"] = 32, None
    write_manifest(tmp_path, rows)
    text = (tmp_path / "manifest.csv").read_text()
    assert ",32\n" in text and "32.0" not in text
