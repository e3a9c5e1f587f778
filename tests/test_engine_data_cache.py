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


def _copy_of_sdrlib(tmp_path):
    import shutil
    from pathlib import Path

    import sdrlib

    copy = tmp_path / "sdrlib"
    shutil.copytree(Path(sdrlib.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_the_synthdf_key_follows_the_generator_source_not_only_its_version(tmp_path, monkeypatch):
    """Issue 18, item 9: an edit of the generator without a GENERATOR_VERSION bump reused stale data."""
    from sdrlib.engine import data as engine_data
    from sdrlib.engine import fingerprint

    copy = _copy_of_sdrlib(tmp_path)

    def code() -> str:
        engine_data.generator_fingerprint.cache_clear()
        return engine_data.generator_fingerprint()

    with monkeypatch.context() as patch:  # the copy stands in for the library only in this block
        patch.setattr(fingerprint, "_ROOT", copy)
        closure = set(fingerprint.import_closure(["sdrlib.data.synthetic"], packages=False))
        assert "sdrlib.data.synthetic.render" in closure and "sdrlib.data.manifest" in closure
        assert not any(name.startswith(("sdrlib.models", "sdrlib.engine")) for name in closure)
        try:
            before = code()
            (copy / "models" / "sdr.py").write_text((copy / "models" / "sdr.py").read_text() + "\n# edit\n")
            assert code() == before  # the models define no byte of SynthDF
            render = copy / "data" / "synthetic" / "render.py"
            render.write_text(render.read_text().replace("def ", "def  ", 1))
            assert code() != before
        finally:
            engine_data.generator_fingerprint.cache_clear()  # forget the copy's value
    assert code() == before  # the real generator again (the copy equalled it before its edit)
    key = engine_data.synth_key(_spec())
    monkeypatch.setattr(engine_data, "generator_fingerprint", lambda: "another generator")
    assert engine_data.synth_key(_spec()) != key
