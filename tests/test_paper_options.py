"""What a user of the paper profile sets and sees (issue 15), on files made in the test.

The protocol's sets by default in ``sdr prepare`` and a refusal that names the differing key; one
source for the clip length and size; ``compile: auto``; ``sdr experiment --set`` and the smoke
commands of the GPU profiles; the face options a checkpoint carries to ``predict``; the video
counts and one-class warnings of the tables. ``tests/test_paper_walk.py`` walks the whole path on
real face clips.
"""

from __future__ import annotations

import json
import logging
import re
import shlex
import shutil

import pandas as pd
import pytest
import torch
from engine_helpers import MICRO_MODELS, MICRO_RUN, micro_config

from sdrlib.cli import build_parser, main
from sdrlib.config import ConfigError
from sdrlib.data.faces import FacePipelineConfig
from sdrlib.data.prepare.records import check_settings
from sdrlib.data.prepare.splits import celebdf_test_list, ffpp_pairs
from sdrlib.engine.checkpoint import CheckpointMeta
from sdrlib.engine.config import run_config_from_dict
from sdrlib.engine.data import resolve_roots
from sdrlib.engine.evaluate import class_warnings, crop_warnings
from sdrlib.engine.profiles import Profile, load_profile
from sdrlib.engine.trainer import train
from sdrlib.experiments import grid, jobs, run_experiment
from sdrlib.experiments.intervals import counts_row
from sdrlib.experiments.runner import default_out_dir
from sdrlib.predict.faces import CropMismatchError, check_face_config, prediction_face_config
from sdrlib.studies.diagnose import run_diagnostic
from sdrlib.studies.robustness_checkpoint import checkpoint_robustness


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def _dry_run(argv, capsys) -> dict[tuple[str, str], tuple[int, int]]:
    assert main([*argv, "--dry-run"]) == 0
    counts = {}
    for line in capsys.readouterr().out.splitlines()[1:]:
        split, domain, real, fake = line.split()
        counts[(split, domain)] = (int(real), int(fake))
    return counts


def test_prepare_takes_the_protocols_sets_by_default(tmp_path, capsys, caplog):
    ffpp, (a, b) = tmp_path / "ffpp", ffpp_pairs()["test"][0]
    touch(ffpp / f"original_sequences/youtube/c23/videos/{a}.mp4")
    for method in ("Deepfakes", "NeuralTextures", "FaceShifter"):
        touch(ffpp / f"manipulated_sequences/{method}/c23/videos/{a}_{b}.mp4")
    touch(ffpp / "original_sequences/actors/c23/videos/01__walking.mp4")
    touch(ffpp / "manipulated_sequences/DeepFakeDetection/c23/videos/01_02__walking__X.mp4")
    base = ["prepare", "ffpp", "--root", str(ffpp)]
    with caplog.at_level(logging.WARNING):
        protocol = _dry_run(base, capsys)
    # Face2Face and FaceSwap are missing: a warning, not an error, for the default
    assert protocol == {("test", "ffpp"): (1, 0), ("test", "ffpp-df"): (0, 1), ("test", "ffpp-nt"): (0, 1)}
    assert "Face2Face" in caplog.text
    everything = _dry_run([*base, "--methods", "all"], capsys)
    assert everything[("test", "ffpp-fsh")] == (0, 1) and everything[("test", "dfd")] == (1, 1)
    assert main([*base, "--methods", "f2f", "--dry-run"]) == 2  # asked for by name: an error
    celebdf, test = tmp_path / "celebdf", celebdf_test_list()
    listed = [next(p for p in test if test[p] == label) for label in (0, 1)]
    for rel in [*listed, "Celeb-synthesis/id98_id99_0001.mp4", "Celeb-real/id98_0001.mp4"]:
        touch(celebdf / rel)
    assert _dry_run(["prepare", "celebdf", "--root", str(celebdf)], capsys) == {("test", "celebdf"): (1, 1)}
    assert _dry_run(["prepare", "celebdf", "--root", str(celebdf), "--splits", "all"], capsys) == {
        ("test", "celebdf"): (1, 1),
        ("train", "celebdf"): (1, 1),
    }
    parser = build_parser()
    assert parser.parse_args(["prepare", "dfdc", "--root", "r"]).subset == "3215"


def test_a_refused_preparation_names_the_keys_that_differ(tmp_path):
    settings = {"dataset": "folder", "face": {"size": 224, "scale": 0.5, "detect_every": 10}}
    check_settings(tmp_path, settings)
    check_settings(tmp_path, json.loads(json.dumps(settings)))  # the same: accepted
    with pytest.raises(ValueError) as err:
        check_settings(tmp_path, {"dataset": "folder", "face": {"size": 112, "scale": 0.5, "detect_every": 10, "x": 1}})
    assert "(face.size: 224 then 112; face.x: (unset) then 1)" in str(err.value)
    assert "detect_every" not in str(err.value)


def test_the_data_section_is_the_one_source_of_clip_length_and_size():
    run = {k: v for k, v in MICRO_RUN.items()}
    run["model"] = {"name": "ftcn", "options": {"width_mult": 0.125}}
    config = run_config_from_dict(run)
    assert config.model.options == {"width_mult": 0.125, "num_frames": 4, "input_size": 16}
    assert run_config_from_dict(run, ["data.size=32"]).model.options["input_size"] == 32
    with pytest.raises(ConfigError, match=r"model.options.num_frames=4 .* data.clip_len=8"):
        micro_config("ftcn", ("data.clip_len=8",))  # the temporal head would fail at the first step
    with pytest.raises(ConfigError, match=r"model.options.input_size=64 .* 16 px \(data.synth.size\)"):
        micro_config("ftcn", ("model.options.input_size=64",))
    with pytest.raises(ConfigError, match=r"model.options.input_size=16 .* 32 px \(data.size\)"):
        micro_config("ftcn", ("data.size=32",))


def _prepared_copy(tmp_path, name: str, size: int):
    """The micro SynthDF set as if ``sdr prepare`` had made it with face size ``size``."""
    root = tmp_path / name
    shutil.copytree(resolve_roots(micro_config().data)[0], root)
    (root / "prepare.json").write_text(json.dumps({"dataset": "folder", "face": {"size": size, "scale": 0.5}}))
    return root


def test_training_checks_prepared_sizes_then_records_the_preparation(tmp_path):
    root = _prepared_copy(tmp_path, "a", 16)
    options = {k: v for k, v in MICRO_MODELS["ftcn"].items() if k != "input_size"}
    run = {**MICRO_RUN, "model": {"name": "ftcn", "options": options}}
    run["data"] = {k: v for k, v in MICRO_RUN["data"].items() if k != "synth"} | {"roots": [str(root)]}
    bad = run_config_from_dict(run, ["model.options.input_size=32", "train.steps=1"])
    with pytest.raises(ConfigError, match=r"input_size=32 .* 16 px \(data.size unset: as prepared, .*face.size=16\)"):
        train(bad, tmp_path / "bad", progress=False)
    assert not (tmp_path / "bad").exists()  # refused before a run folder (and its config.yaml) exists
    other = _prepared_copy(tmp_path, "b", 24)
    mixed = run_config_from_dict(run, [f"data.roots=[{root},{other}]"])
    with pytest.raises(ConfigError, match="prepared at different sizes"):
        train(mixed, tmp_path / "mixed", progress=False)
    result = train(run_config_from_dict(run, ["train.steps=1"]), tmp_path / "ok", progress=False)
    meta = json.loads(result.best_checkpoint.read_text())
    assert meta["preparation"] == {"face": {"size": 16, "scale": 0.5}, "dataset_dirs": [str(root)]}


def test_compile_auto_compiles_on_cuda_only_and_true_warns_on_a_cpu(tmp_path, monkeypatch, caplog):
    compiled = []
    monkeypatch.setattr(torch, "compile", lambda model: compiled.append(model) or model)
    config = micro_config("ftcn", ("train.steps=1", "train.device=cpu", "train.compile=auto"))
    assert config.train.compile == "auto" and Profile.load("paper").run_config().train.compile == "auto"
    train(config, tmp_path / "auto", progress=False)
    assert compiled == []
    with caplog.at_level(logging.WARNING):
        config = micro_config("ftcn", ("train.steps=1", "train.device=cpu", "train.compile=true"))
        train(config, tmp_path / "on", progress=False)
    assert len(compiled) == 1 and "train.compile=true on cpu" in caplog.text
    with pytest.raises(ConfigError, match="compile"):
        micro_config("ftcn", ("train.compile=sometimes",))


@pytest.fixture()
def micro_profile():
    exp = {"seeds": [0], "table2_models": ["ftcn", "sdr"], "ffpp_domains": ["ffpp-df", "ffpp-nt"]}
    exp |= {"cross_domains": ["celebdf"], "table1_models": ["ftcn"], "figure2_K": [1, 2]}
    exp["model_overrides"] = {"ftcn": {"train": {"steps": 3}}}
    run = {k: v for k, v in MICRO_RUN.items()}
    run["train"] = {"steps": 2, "eval_every": 0, "log_every": 1}
    return Profile(name="micro", run=run, models=MICRO_MODELS, experiments=exp)


def test_experiment_overrides_reach_every_run_and_keep_rows_apart(micro_profile):
    sets = ["train.steps=1", "models.sdr.K=3", "experiments.table2_models=[sdr]"]
    profile, run_sets = micro_profile.with_overrides(sets)
    assert run_sets == ["train.steps=1"] and profile.models["sdr"]["K"] == 3
    assert micro_profile.models["sdr"]["K"] == 2  # a copy is edited, not the profile
    (job,) = jobs("table2", profile, grid("table2", profile), [0], cli_overrides=run_sets)
    assert job.fields["row"] == "sdr" and job.config.train.steps == 1 and job.config.model.options["K"] == 3
    ftcn = jobs("table2", micro_profile, grid("table2", micro_profile), [0], cli_overrides=run_sets)[0]
    assert ftcn.config.train.steps == 1  # over the model's own steps too (experiments.model_overrides)
    plain = jobs("table2", micro_profile, grid("table2", micro_profile), [0])[0]
    assert plain.config.train.steps == 3 and plain.config.fingerprint() != ftcn.config.fingerprint()
    for name, text in (
        ("table1", "data.train_domains=[ffpp-df]"),
        ("table3", "loss.lambda_mi=0.5"),
        ("figure2", "model.options.K=2"),
        ("table2", "model.name=i3d"),
    ):
        with pytest.raises(ConfigError, match="rows of|names its own model"):
            jobs(name, micro_profile, grid(name, micro_profile), [0], cli_overrides=[text])
    assert default_out_dir(micro_profile, "table2") == default_out_dir(micro_profile, "table2", ())
    assert re.fullmatch(r"table2-set-[0-9a-f]{8}", default_out_dir(micro_profile, "table2", sets).name)
    args = build_parser().parse_args(["experiment", "table2", "--set", "train.steps=2", "--set", "data.size=64"])
    assert args.overrides == ["train.steps=2", "data.size=64"]
    assert main(["robustness", "--checkpoint", "r", "--data", "d", "--set", "train.steps=2"]) == 2


SMOKE = re.compile(r"`(sdr (?:experiment|train) [^`]*--set[^`]*)`")


@pytest.mark.parametrize("name", ["paper", "paper-ft", "synth-gpu"])
def test_every_gpu_profile_documents_a_smoke_command_that_builds(name):
    """The smoke command in each GPU profile's description parses, shrinks the run (a few steps,
    a small clip) and builds a valid config for every run it would train."""
    profile = Profile.load(name)
    (command,) = SMOKE.findall(" ".join(load_profile(name)["description"].split()))
    args = build_parser().parse_args(shlex.split(command)[1:])
    if args.command == "train":
        configs = [Profile.load(args.config).run_config(cli_overrides=args.overrides)]
    else:
        edited, run_sets = profile.with_overrides(args.overrides)
        configs = [job.config for job in jobs(args.name, edited, grid(args.name, edited), [0], cli_overrides=run_sets)]
    for config in configs:
        assert config.train.steps <= 50 and config.train.compile == "auto"
        size = config.data.size or (config.data.synth.size if config.data.synth else None)
        assert size is not None and size <= 112 and config.model.options.get("input_size") in (None, size)


def test_tables_end_with_the_test_video_counts(micro_profile, tmp_path):
    result = run_experiment("table2", micro_profile, tmp_path / "t2", progress=False)
    videos = result.videos[(result.videos["row"] == "sdr")]
    reals = videos[(videos["label"] == 0) & videos["domain"].isin(["ffpp-df", "ffpp-nt"])]["video_id"].nunique()
    fakes = videos[(videos["label"] == 1) & videos["domain"].isin(["ffpp-df", "ffpp-nt"])]["video_id"].nunique()
    cdf = videos[videos["domain"] == "celebdf"].groupby("label")["video_id"].nunique()
    df = videos[videos["domain"] == "ffpp-df"].groupby("label")["video_id"].nunique()
    table = pd.read_csv(tmp_path / "t2" / "table.csv").set_index("method")
    assert table.loc["test videos (real / fake)"].to_dict() == {
        "FF++ (avg)": f"{reals} / {fakes}",
        "CDF": f"{cdf[0]} / {cdf[1]}",
        "DFDC": "0 / 0",  # the micro profile has no DFDC: the table says so
    }
    assert (tmp_path / "t2" / "table.md").read_text().splitlines()[-1].startswith("| test videos (real / fake)")
    assert list(result.table["method"]) == ["ftcn", "sdr"]  # the cells' table itself is unchanged
    table1 = run_experiment("table1", micro_profile, tmp_path / "t1", progress=False)
    assert table1.counts["DF"] == f"{df[0]} / {df[1]}" and table1.counts["avg"] == f"{reals} / {fakes}"
    assert table1.counts["F2F"] == "0 / 0"  # a column the profile has no data for shows it
    diagnosis = run_diagnostic(micro_profile, tmp_path / "dg", progress=False)
    assert set(diagnosis.counts.values()) == {"test videos (real / fake)", f"{reals} / {fakes}"}
    robust = checkpoint_robustness(result.runs[0], resolve_roots(micro_config().data), tmp_path / "rb", ["blur"], [1])
    everything = videos.drop_duplicates("video_id").groupby("label").size()
    assert robust.counts["clean"] == f"{everything[0]} / {everything[1]}"
    assert pd.read_csv(tmp_path / "rb" / "table.csv")["method"].iloc[-1] == "test videos (real / fake)"
    mixed = pd.DataFrame({"method": list("abc"), "column": ["X"] * 3, "n_real": [5, 5, 4], "n_fake": [6, 6, 6]})
    assert counts_row(mixed) == {"method": "test videos (real / fake)", "X": "5 / 6 (c: 4 / 6)"}


def test_a_domain_with_one_class_is_a_warning():
    table = pd.DataFrame([{"domain": "all", "n_real": 140, "n_fake": 0}])
    warnings = class_warnings(table, {"ffpp"})
    assert warnings[0] == "the evaluated videos: 140 real / 0 fake, no fake video: no AUC, AP or EER"
    assert "choose ffpp-df, ffpp-f2f, ffpp-fs, ffpp-nt" in warnings[1]
    both = pd.DataFrame([{"domain": "all", "n_real": 3, "n_fake": 4}, {"domain": "celebdf", "n_real": 0, "n_fake": 4}])
    assert class_warnings(both, {"celebdf"}) == ["domain celebdf: 0 real / 4 fake, no real video: no AUC, AP or EER"]


def _meta(face: dict | None) -> CheckpointMeta:
    preparation = {"face": face, "dataset_dirs": ["data/ffpp_c23"]} if face else {}
    return CheckpointMeta("ftcn", {}, preparation=preparation)


def test_prediction_makes_crops_as_the_training_data(tmp_path):
    meta = _meta({"size": 112, "scale": 0.4, "detect_every": 5, "max_frames": 320, "clip_len": 16, "device": "cuda"})
    config = prediction_face_config(meta, ["max_side=320"], {"all_tracks": True})
    assert (config.size, config.scale, config.detect_every, config.max_side, config.all_tracks) == (112, 0.4, 5, 320, True)
    assert config.max_frames is None and config.device == "auto"  # options of the preparation run stay behind
    assert prediction_face_config(meta, ["size=112"]).size == 112  # agreeing is fine
    with pytest.raises(CropMismatchError, match=r"size=224 contradicts .* size=112 \(prepare.json of data/ffpp_c23\)"):
        prediction_face_config(meta, ["size=224"])
    with pytest.raises(CropMismatchError, match="scale=0.5"):
        check_face_config(FacePipelineConfig(size=112), meta)  # a ready-made default pipeline
    assert prediction_face_config(_meta(None)).size == 224  # SynthDF runs, converted weights: the defaults
    root = tmp_path / "celebdf"
    root.mkdir()
    (root / "prepare.json").write_text(json.dumps({"face": {"size": 64, "scale": 0.4}}))
    (warning,) = crop_warnings(meta, [root])
    assert "face.size=64 (training data: 112)" in warning


def test_a_missing_dataset_names_the_command_that_writes_it_and_leaves_no_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--config", "paper", "--out", "runs/sdr", "--set", "train.steps=2"]) == 2
    err = capsys.readouterr().err
    assert "data root data/ffpp_c23 (data.roots) does not exist" in err
    assert "`sdr prepare ffpp --root RAW --out data/ffpp_c23 --compression c23`" in err
    assert not (tmp_path / "runs").exists()  # no config.yaml left behind
