"""Profiles, overrides and the run fingerprint."""

from __future__ import annotations

import pytest
from engine_helpers import micro_config

from sdrlib.config import ConfigError
from sdrlib.engine.config import load_run_config
from sdrlib.engine.experiments import EXPERIMENTS, Profile, grid

PROFILES = ["smoke", "tiny", "synth-gpu", "paper"]


@pytest.mark.parametrize("name", PROFILES)
def test_profiles_load_and_expand_every_grid(name):
    profile = Profile.load(name)
    config = load_run_config(name)
    assert config.model.options == profile.models.get(config.model.name, {})
    for experiment in EXPERIMENTS:
        if experiment == "control" and not profile.run.get("data", {}).get("synth"):
            with pytest.raises(ConfigError):
                grid(experiment, profile)
            continue
        for spec in grid(experiment, profile):
            run = profile.run_config(spec, seed=0)
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
