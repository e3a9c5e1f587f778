"""SynthDF data sets in the engine cache (sdrlib.engine.data.synth_root)."""

from __future__ import annotations

import dataclasses

from sdrlib.data.synthetic import domains
from sdrlib.engine.config import SynthSpec
from sdrlib.engine.data import synth_root


def _spec(**extra) -> SynthSpec:
    return SynthSpec(domains=["dfdc"], n_per_split={"test": 1}, frames=2, size=16, **extra)


def test_same_spec_same_folder_other_spec_other_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SDR_CACHE", str(tmp_path))
    first = synth_root(_spec())
    assert (first / "manifest.csv").is_file()
    assert synth_root(_spec()) == first
    assert synth_root(_spec(temporal_scale=0.0)) != first


def test_changed_domain_defaults_get_a_new_folder_instead_of_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SDR_CACHE", str(tmp_path))
    before = synth_root(_spec())
    tuned = dataclasses.replace(domains.DOMAINS["dfdc"], temporal_strength=0.5)
    monkeypatch.setitem(domains.DOMAINS, "dfdc", tuned)
    after = synth_root(_spec())
    assert after != before and (after / "manifest.csv").is_file()
