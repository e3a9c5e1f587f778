"""Profiles, overrides, the run fingerprint and the code it hashes."""

from __future__ import annotations

import pytest
from engine_helpers import micro_config

from sdrlib.config import ConfigError
from sdrlib.engine.fingerprint import TRAINING_ENTRY_POINTS, import_closure
from sdrlib.engine.profiles import Profile, load_run_config
from sdrlib.experiments import EXPERIMENTS, grid

PROFILES = ["smoke", "tiny", "small", "synth-gpu", "paper"]


@pytest.mark.parametrize("name", PROFILES)
def test_profiles_load_and_expand_every_grid(name):
    profile = Profile.load(name)
    config = load_run_config(name)
    # the profile's options, plus the clip length and size derived from the data section
    assert profile.models.get(config.model.name, {}).items() <= config.model.options.items()
    assert config.model.options["num_frames"] == config.data.clip_len
    for experiment in EXPERIMENTS:
        if experiment == "control" and not profile.run.get("data", {}).get("synth"):
            with pytest.raises(ConfigError):
                grid(experiment, profile)
            continue
        for spec in grid(experiment, profile):
            run = spec.config(profile, seed=0)
            assert run.model.name == spec.model


def test_overrides_are_typed_and_unknown_keys_rejected():
    config = load_run_config("smoke", ["train.steps=3", "model.name=ftcn", "optim.lr=2e-3"])
    assert config.train.steps == 3 and config.model.name == "ftcn" and config.optim.lr == 2e-3
    assert "depth_mult" in config.model.options  # the profile's ftcn options follow the model choice
    with pytest.raises(ConfigError, match="unknown option"):
        load_run_config("smoke", ["train.stepz=3"])
    with pytest.raises(ConfigError, match="integer"):
        load_run_config("smoke", ["train.steps=many"])
    with pytest.raises(ConfigError, match="unknown profile"):
        load_run_config("no-such-profile")


def test_fingerprint_changes_with_any_field():
    a = micro_config("ftcn")
    assert a.fingerprint() == micro_config("ftcn").fingerprint()
    assert a.fingerprint() != micro_config("ftcn", ("train.seed=1",)).fingerprint()
    assert a.fingerprint() != micro_config("ftcn", ("model.options.width_mult=0.25",)).fingerprint()


def test_a_profiles_run_model_section_reaches_grid_runs_and_train():
    """The run.model section (options, weights) applies to the model it names (default sdr), in the
    grids as in ``sdr train``; before, grid runs dropped it silently."""
    profile = Profile.load("smoke")
    profile.run["model"] = {"options": {"K": 2}, "weights": "start.safetensors"}
    sdr = next(s for s in grid("table2", profile) if s.model == "sdr").config(profile, 0)
    assert sdr.model.options["K"] == 2 and sdr.model.weights == "start.safetensors"
    assert sdr.model.options["width_mult"] == profile.models["sdr"]["width_mult"]  # profile options kept
    ftcn = next(s for s in grid("table2", profile) if s.model == "ftcn").config(profile, 0)
    assert "K" not in ftcn.model.options and ftcn.model.weights is None  # it names sdr, not ftcn
    assert profile.run_config().model.options["K"] == 2  # sdr train --config: the same section
    table3 = {s.row: s.config(profile, 0) for s in grid("table3", profile)}
    assert table3["w/o SPB (K = 1)"].model.options["K"] == 1  # a grid's own override still wins


def test_a_plain_run_yaml_is_a_profile_with_only_a_run_section(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("model: {name: ftcn, options: {width_mult: 0.25}}\ndata: {roots: [d]}\n")
    config = load_run_config(path, ["train.steps=2"])
    assert config.model.name == "ftcn" and config.model.options == {"width_mult": 0.25, "num_frames": 16}
    assert config.data.roots == ["d"] and config.train.steps == 2


def test_run_cache_key_hashes_what_training_imports_and_nothing_else():
    """The code half of the run key is the import closure of the trainer and the evaluation: the
    engine's own modules are in it, the studies, the book, predict, the CLI and bench never are."""
    closure = import_closure(TRAINING_ENTRY_POINTS)
    assert {"sdrlib.engine.trainer", "sdrlib.models.sdr", "sdrlib.augment.ops", "sdrlib.losses.sdr_loss"} <= set(
        closure
    )
    for outside in ("sdrlib.studies", "sdrlib.experiments", "sdrlib.book", "sdrlib.predict", "sdrlib.cli", "sdrlib.bench"):
        assert not any(name == outside or name.startswith(outside + ".") for name in closure), outside
