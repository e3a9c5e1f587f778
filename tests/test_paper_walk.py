"""The ``paper`` profile walked as a user with the datasets would (issue 15).

Mock FF++ c23, Celeb-DF-v2 and DFDC trees laid out as the official downloads, their videos real
face clips of the shared folder under ids of the official lists, then the documented commands:
``sdr prepare ffpp | celebdf | dfdc`` (default output folders, default protocol sets),
``sdr train --config paper`` shrunk by ``--set``, ``evaluate --roc``, ``diagnose``, ``predict
--plot`` and ``experiment table2 --set``, checking the video counts of every table.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from sdrlib.cli import build_parser, main
from sdrlib.data.manifest import read_manifest
from sdrlib.data.preparation import DATASET_DIRS, default_dataset_dir
from sdrlib.data.prepare.splits import celebdf_test_list, dfdc_test_labels, dfdc_test_subset_3215, ffpp_pairs
from sdrlib.engine.profiles import Profile

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = {"ffpp": "prepare_ffpp.sh", "celebdf": "prepare_celebdf.sh", "dfdc": "prepare_dfdc.sh"}
#: face options of the walk: small crops so that every step takes seconds on a 2-core CPU
FACE = ["size=48", "clip_len=8", "max_frames=16", "max_side=320", "detect_every=8", "min_track_len=8"]
#: the paper profile shrunk to seconds: a few steps of narrow models on 8-frame clips
SHRINK = [
    "train.steps=2",
    "train.eval_every=0",
    "data.clip_len=8",
    "data.batch_size=4",
    "data.eval_batch_size=8",
    "data.num_workers=0",
    "model.options.width_mult=0.125",
    "model.options.depth_mult=0.34",
]


def _script_out(dataset: str) -> str:
    """The ``--out`` a data script passes to ``sdr prepare`` when OUT is not set."""
    env = {k: v for k, v in os.environ.items() if k != "OUT"} | {"RAW": "raw", "SDR": "echo"}
    words = subprocess.run(
        ["bash", str(ROOT / "data_scripts" / SCRIPTS[dataset])], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return words[words.index("--out") + 1]


def test_one_name_for_every_dataset_folder():
    """The data scripts' default outputs, ``sdr prepare``'s default ``--out`` and the paper
    profiles' ``data.roots`` are the same folders; no other spelling is left in the project."""
    outs = [_script_out(dataset) for dataset in SCRIPTS]
    assert outs == [default_dataset_dir(d) for d in SCRIPTS] == ["data/ffpp_c23", "data/celebdf", "data/dfdc"]
    for profile in ("paper", "paper-ft"):
        assert Profile.load(profile).run["data"]["roots"] == outs, profile
    parser = build_parser()
    for dataset in ("celebdf", "dfdc"):
        assert parser.parse_args(["prepare", dataset, "--root", "r"]).out == DATASET_DIRS[dataset]
    texts = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "data_scripts").iterdir()]
    texts += [*(ROOT / "configs").glob("*.yaml"), *(ROOT / "sdrlib").rglob("*.py"), *(ROOT / "book").glob("*.ipynb")]
    stale = [p.relative_to(ROOT).as_posix() for p in texts if p.is_file() and "ffpp-c23" in p.read_text()]
    assert not stale, stale


def _link(path: Path, source: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(source)


def _mock_trees(raw: Path, videos: Path) -> dict[str, Path]:
    """FF++ / Celeb-DF-v2 / DFDC trees of real face clips under official ids, plus sets the
    protocol does not use (FaceShifter, DeepFakeDetection, Celeb-DF's non-test videos, a DFDC test
    video outside the 3215 subset), which the default preparation must leave out."""
    pairs = sorted((videos / "deepfacelive_split").glob("*_left_real.mp4"))
    clips = [(p, p.with_name(p.name.replace("_left_real", "_right_fake"))) for p in pairs]
    real = iter([r for r, _ in clips])
    fake = iter([f for _, f in clips])
    ffpp = raw / "FaceForensics++"
    for split in ("train", "val", "test"):
        a, b = ffpp_pairs()[split][0]
        for name in (a, b):
            _link(ffpp / f"original_sequences/youtube/c23/videos/{name}.mp4", next(real))
        for method in ("Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures"):
            _link(ffpp / f"manipulated_sequences/{method}/c23/videos/{a}_{b}.mp4", next(fake))
    a, b = ffpp_pairs()["test"][0]
    _link(ffpp / f"manipulated_sequences/FaceShifter/c23/videos/{a}_{b}.mp4", clips[0][1])
    _link(ffpp / "original_sequences/actors/c23/videos/01__walking.mp4", clips[0][0])
    _link(ffpp / "manipulated_sequences/DeepFakeDetection/c23/videos/01_02__walking__X.mp4", clips[0][1])
    celebdf = raw / "Celeb-DF-v2"
    test = celebdf_test_list()
    chosen = [p for p in test if test[p] == 0][:2] + [p for p in test if test[p] == 1][:2]
    for rel in chosen:
        _link(celebdf / rel, next(fake) if test[rel] else next(real))
    _link(celebdf / "Celeb-real/id98_0001.mp4", clips[1][0])
    _link(celebdf / "Celeb-synthesis/id98_id99_0001.mp4", clips[1][1])
    dfdc = raw / "DFDC" / "test"
    labels, subset = dfdc_test_labels(), dfdc_test_subset_3215()
    for label in (0, 1):
        for vid in sorted(v for v in subset if labels[v] == label)[:2]:
            _link(dfdc / f"{vid}.mp4", next(fake) if label else next(real))
    _link(dfdc / f"{sorted(set(labels) - subset)[0]}.mp4", clips[2][0])
    return {"ffpp": ffpp, "celebdf": celebdf, "dfdc": raw / "DFDC"}


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.videos
@pytest.mark.slow
def test_paper_profile_end_to_end(tmp_path, shared_videos, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    raw = _mock_trees(tmp_path / "raw", shared_videos)
    options = ["--device", "cpu", "--no-progress"] + [arg for opt in FACE for arg in ("--set", opt)]

    # 1. prepare, into the folders the paper profile reads, the protocol's sets only
    for dataset in ("ffpp", "celebdf", "dfdc"):
        code, out, err = _run(["prepare", dataset, "--root", str(raw[dataset]), *options], capsys)
        assert code == 0, err
    manifests = {d: read_manifest(tmp_path / DATASET_DIRS[d].format(compression="c23")) for d in DATASET_DIRS}
    ffpp = manifests["ffpp"]
    assert sorted(set(ffpp["domain"])) == ["ffpp", "ffpp-df", "ffpp-f2f", "ffpp-fs", "ffpp-nt"]  # no fsh, dfd
    assert ffpp.groupby("split")["label"].agg(["size", "sum"]).to_dict() == {
        "size": {"test": 6, "train": 6, "val": 6},
        "sum": {"test": 4, "train": 4, "val": 4},
    }
    assert set(manifests["celebdf"]["split"]) == {"test"} and len(manifests["celebdf"]) == 4  # test list only
    assert len(manifests["dfdc"]) == 4  # the 3215 subset only
    code, _, err = _run(["prepare", "celebdf", "--root", str(raw["celebdf"]), *options, "--set", "size=64"], capsys)
    assert code == 2 and "face.size: 48 then 64" in err and "detect_every" not in err  # the key, not the dicts

    # 2. train, shrunk by --set; contradicting sizes are refused before a run folder exists
    train = ["train", "--config", "paper", "--no-progress", *_sets(SHRINK)]
    code, _, err = _run([*train, "--out", "runs/bad", "--set", "model.options.input_size=64"], capsys)
    assert code == 2 and "model.options.input_size=64" in err and "face.size=48" in err
    code, _, err = _run([*train, "--out", "runs/bad", "--set", "model.options.num_frames=32"], capsys)
    assert code == 2 and "model.options.num_frames=32" in err and "data.clip_len=8" in err
    assert not Path("runs/bad").exists()
    code, out, err = _run([*train, "--out", "runs/sdr", *_sets(["model.options.latent_dim=16", "model.options.K=2"])], capsys)
    assert code == 0, err
    meta = json.loads(Path("runs/sdr/checkpoints/best.json").read_text())
    assert meta["preparation"]["face"]["size"] == 48 and meta["preparation"]["dataset_dirs"] == ["data/ffpp_c23"]
    assert meta["input_size"] is None and "input_size" not in meta["model_options"]  # crops kept as prepared

    # 3. evaluate: per-domain rows with their real / fake counts, the protocol's sets only
    data = ",".join(Profile.load("paper").run["data"]["roots"])
    evaluate = ["evaluate", "--checkpoint", "runs/sdr", "--data", data, "--no-progress"]
    code, out, err = _run([*evaluate, "--out", "ev", "--roc"], capsys)
    assert code == 0, err
    table = pd.read_csv("ev/per_domain.csv").set_index("domain")
    counts = {d: (int(r.n_real), int(r.n_fake)) for d, r in table.iterrows()}
    assert counts == {
        "all": (6, 8),
        "celebdf": (2, 2),
        "dfdc": (2, 2),
        "ffpp-df": (2, 1),
        "ffpp-f2f": (2, 1),
        "ffpp-fs": (2, 1),
        "ffpp-nt": (2, 1),
    }
    assert "n_real" in out and "all = every evaluated video pooled" in out and Path("ev/roc.png").is_file()
    code, out, err = _run([*evaluate, "--domains", "ffpp"], capsys)
    assert code == 0 and "2 real / 0 fake, no fake video" in err and "choose ffpp-df" in err

    # 4. diagnose over the three data sets: one AUC per domain and the counts
    code, out, err = _run(["diagnose", "--checkpoint", "runs/sdr", "--data", data, "--out", "dg", "--no-progress"], capsys)
    assert code == 0, err
    assert "celebdf 2 / 2" in out and "all 6 / 8" in out
    assert {"celebdf", "dfdc", "ffpp-df"} <= set(pd.read_csv("dg/diagnose.csv").columns)

    # 5. predict: crops as the training data (48 px), a contradicting size refused
    video = raw["ffpp"] / f"original_sequences/youtube/c23/videos/{ffpp_pairs()['test'][0][0]}.mp4"
    code, out, err = _run(["predict", str(video), "--checkpoint", "runs/sdr", "--out", "preds", "--plot"], capsys)
    assert code == 0, err
    assert "face crops 48 px" in err and "p(fake) =" in out and list(Path("preds").glob("*.png"))
    code, _, err = _run(["predict", str(video), "--checkpoint", "runs/sdr", "--set", "size=224"], capsys)
    assert code == 2 and "size=224" in err and "size=48" in err

    # 6. the table2 grid of the paper profile, smoke-tested with --set
    grid = SHRINK + ["experiments.table2_models=[ftcn,sdr]", "models.sdr.latent_dim=16", "models.sdr.K=2"]
    code, out, err = _run(["experiment", "table2", "--profile", "paper", "--no-progress", *_sets(grid)], capsys)
    assert code == 0, err
    written = next(Path("runs/paper/experiments").glob("table2-set-*"))
    table = pd.read_csv(written / "table.csv").set_index("method")
    assert list(table.index) == ["ftcn", "sdr", "test videos (real / fake)"]
    assert table.loc["test videos (real / fake)"].to_dict() == {"FF++ (avg)": "2 / 4", "CDF": "2 / 2", "DFDC": "2 / 2"}
    assert "2 / 4" in out and json.loads((written / "metrics.json").read_text())["overrides"] == grid


def _sets(overrides: list[str]) -> list[str]:
    return [arg for text in overrides for arg in ("--set", text)]
