"""``sdr convert``: the file layouts the original loaders accept, one-line errors, the checkpoint
directory it writes (loaded by ``load_checkpoint``, used by ``sdr predict``), and ``model.weights``
starting ``ftcn`` / ``sdr`` from a checkpoint."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import pytest
import torch
from published_helpers import random_state, read_layout

from sdrlib.cli import main as sdr_main
from sdrlib.config import ConfigError
from sdrlib.engine.checkpoint import CheckpointMeta, load_checkpoint, save_checkpoint
from sdrlib.engine.profiles import load_run_config
from sdrlib.engine.published import create_start_model
from sdrlib.models import create_model
from sdrlib.models.published import PUBLISHED, convert_state_dict, get_spec, key_map, read_published

MICRO = {"width_mult": 0.125, "depth_mult": 0.34, "num_frames": 4, "input_size": 16}


def _cheap_state(kind: str) -> dict[str, torch.Tensor]:
    """Every published key and shape, one stored element per tensor (stride 0): small files."""
    layout, _ = read_layout(kind)
    return {k: torch.ones((), dtype=dtype).expand(shape) for k, (shape, dtype) in layout.items()}


LAYOUTS = [
    ("ftcn-tt", "flat", lambda s: s),
    ("ftcn-tt", "module.", lambda s: {f"module.{k}": v for k, v in s.items()}),
    ("altfreezing", "flat", lambda s: s),
    ("altfreezing", "wrapped", lambda s: {"state_dict": s}),
    ("altfreezing", "module.", lambda s: {f"module.{k}": v for k, v in s.items()}),
    ("altfreezing", "network.", lambda s: {f"network.{k}": v for k, v in s.items()}),
    (
        "altfreezing",
        "wrapped module.network.",
        lambda s: {"state_dict": {f"module.network.{k}": v for k, v in s.items()}},
    ),
]


@pytest.mark.parametrize("kind,name,wrap", LAYOUTS, ids=[f"{k}-{n}" for k, n, _ in LAYOUTS])
def test_every_layout_of_the_original_loaders_is_read(kind, name, wrap, tmp_path):
    path = tmp_path / "weights.pth"
    torch.save(wrap(_cheap_state(kind)), path)
    state, layout = read_published(get_spec(kind), path)
    assert set(state) == set(read_layout(kind)[0])
    assert ("wrapped" in layout) == ("wrapped" in name) and ("module." in layout) == ("module." in name)
    converted = convert_state_dict(get_spec(kind), state)
    assert len(converted) == get_spec(kind).num_keys


def test_layouts_the_loader_does_not_accept_fail(tmp_path):
    path = tmp_path / "w.pth"
    torch.save({"state_dict": _cheap_state("ftcn-tt")}, path)  # FTCN's loader does not unwrap
    with pytest.raises(ValueError, match=r"1 entry is not tensors: state_dict \(no wrapper is accepted\)"):
        read_published(get_spec("ftcn-tt"), path)
    torch.save({f"network.{k}": v for k, v in _cheap_state("ftcn-tt").items()}, path)
    state, _ = read_published(get_spec("ftcn-tt"), path)  # not stripped: every key is unexpected
    with pytest.raises(ValueError, match="275 missing keys.*275 unexpected keys: network.resnet"):
        convert_state_dict(get_spec("ftcn-tt"), state)


def _one_line_error(capsys, argv: list[str], *expected: str) -> None:
    assert sdr_main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("sdr convert: error: "), err
    for text in expected:
        assert text in err, err


def test_bad_files_fail_with_one_line_each(tmp_path, capsys):
    out = str(tmp_path / "run")
    _one_line_error(
        capsys, ["convert", "ftcn-tt", str(tmp_path / "absent.pth"), "--out", out], "no such file"
    )
    (tmp_path / "junk.pth").write_text("not a checkpoint")
    _one_line_error(
        capsys, ["convert", "ftcn-tt", str(tmp_path / "junk.pth"), "--out", out], "not a torch checkpoint"
    )
    (tmp_path / "empty.pth").write_bytes(b"")
    _one_line_error(
        capsys, ["convert", "ftcn-tt", str(tmp_path / "empty.pth"), "--out", out], "empty or truncated"
    )
    torch.save({"model": argparse.Namespace(depth=50)}, tmp_path / "pickled.pth")
    _one_line_error(
        capsys,
        ["convert", "altfreezing", str(tmp_path / "pickled.pth"), "--out", out],
        "weights_only=True",
        "pickled argparse.Namespace",
    )
    state = _cheap_state("altfreezing")
    del state["resnet.s5.pathway0_res2.branch2.c_bn.running_var"]
    torch.save(state, tmp_path / "missing.pth")
    _one_line_error(
        capsys,
        ["convert", "altfreezing", str(tmp_path / "missing.pth"), "--out", out],
        "1 missing key: resnet.s5.pathway0_res2.branch2.c_bn.running_var",
    )
    assert not (tmp_path / "run").exists()  # nothing written on failure
    assert sorted(PUBLISHED) == ["altfreezing", "ftcn-tt"]  # the CLI's choices


@pytest.fixture(scope="module")
def converted_ftcn(tmp_path_factory):
    """A random-weights ``ftcn_tt.pth`` as the release lays it out, converted by the CLI."""
    folder = tmp_path_factory.mktemp("ftcn")
    state = random_state("ftcn-tt", seed=5)
    torch.save({f"module.{k}": v for k, v in state.items()}, folder / "ftcn_tt.pth")
    assert sdr_main(["convert", "ftcn-tt", str(folder / "ftcn_tt.pth"), "--out", str(folder / "run")]) == 0
    return folder / "run", state


def test_converted_directory_loads_and_keeps_every_tensor(converted_ftcn, capsys):
    run, state = converted_ftcn
    model, meta = load_checkpoint(run)
    assert meta.threshold is None and meta.clip_len == 32 and meta.input_size == 224
    assert meta.model_options["transformer_norm_eps"] == 1e-5
    assert meta.source["published"] == "ftcn-tt" and meta.source["keys"] == 275
    assert meta.source["parameters"] == 14_765_889 and "module." in meta.source["layout"]
    assert len(meta.source["sha256"]) == 64
    ours = model.state_dict()
    for key, theirs in key_map(get_spec("ftcn-tt")).items():
        assert torch.equal(ours[key], state[theirs]), key
    assert sdr_main(["convert", "ftcn-tt", "x.pth", "--out", str(run)]) == 2  # never overwritten silently
    assert "pass --force" in capsys.readouterr().err


def test_predict_with_a_converted_checkpoint_on_a_shared_clip(
    converted_ftcn, shared_videos, tmp_path, capsys
):
    """End to end at full size (224 px, 32 frames): the 16-frame clip is one mirror-padded clip."""
    run, _ = converted_ftcn
    video = str(shared_videos / "liveportrait" / "d1.mp4")
    assert sdr_main(["predict", video, "--checkpoint", str(run), "--out", str(tmp_path / "a")]) == 0
    captured = capsys.readouterr()
    assert "p(fake) = " in captured.out and "-> none: the checkpoint has no threshold" in captured.out
    assert "--protocol ftcn matches them" in captured.err
    row = pd.read_csv(tmp_path / "a" / "predictions.csv").iloc[0]
    assert (
        row["verdict"].startswith("none:") and 0.0 < row["prob"] < 1.0 and row["threshold_source"] == "none"
    )
    prob = row["prob"]
    threshold = prob - 1e-3  # just below: the verdict must be "fake"
    argv = [
        "predict",
        video,
        "--checkpoint",
        str(run),
        "--out",
        str(tmp_path / "b"),
        "--threshold",
        str(threshold),
    ]
    assert sdr_main(argv) == 0
    row = pd.read_csv(tmp_path / "b" / "predictions.csv").iloc[0]
    assert row["verdict"] == "fake" and row["threshold_source"] == "--threshold"
    assert row["prob"] == pytest.approx(prob, abs=1e-6)
    assert json.loads((tmp_path / "b" / "d1.json").read_text())["protocol"] == "sdr"
    assert sdr_main(["predict", video, "--checkpoint", str(run), "--threshold", "1.5"]) == 2


def _micro_checkpoint(folder: Path, name: str = "ftcn", **options: object) -> tuple[torch.nn.Module, Path]:
    torch.manual_seed(3)
    model = create_model(name, **MICRO, **options)
    for value in model.state_dict().values():  # no tensor left at its (partly constant) init
        if value.is_floating_point():
            value.copy_(torch.randn_like(value))
    folder.mkdir(parents=True, exist_ok=True)
    save_checkpoint(
        folder / "checkpoints" / "best", model, CheckpointMeta(name, {**MICRO, **options}, threshold=None)
    )
    return model, folder


@pytest.mark.parametrize("separate", [False, True])
def test_sdr_starts_from_an_ftcn_checkpoint(tmp_path, separate):
    ftcn, run = _micro_checkpoint(tmp_path / "ftcn", transformer_norm_eps=1e-5)
    source = ftcn.state_dict()
    torch.manual_seed(0)
    fresh = create_model(
        "sdr", **MICRO, K=2, latent_dim=16, separate_trunks=separate, transformer_norm_eps=1e-5
    )
    torch.manual_seed(0)
    started = create_start_model(
        "sdr",
        str(run),
        **MICRO,
        K=2,
        latent_dim=16,
        separate_trunks=separate,
        transformer_norm_eps=1e-5,
    )
    state = started.state_dict()
    prefixes = ["trunks.0.", "trunks.1."] if separate else ["trunk."]
    taken = 0
    for key, value in state.items():
        if key.startswith("trfi."):  # new heads keep their initialisation
            assert torch.equal(value, fresh.state_dict()[key]), key
            continue
        base = next((p for p in prefixes if key.startswith(p)), None)
        theirs = "trunk." + key[len(base) :] if base else key
        assert torch.equal(value, source[theirs]), key
        taken += 1
    trunk_and_head = [k for k in source if k.startswith(("trunk.", "head."))]
    assert len(trunk_and_head) == len(source)
    assert taken == len(source) + (len(source) - sum(k.startswith("head.") for k in source)) * (
        len(prefixes) - 1
    )


def test_starting_weights_must_fit(tmp_path):
    _, run = _micro_checkpoint(tmp_path / "ftcn", transformer_norm_eps=1e-5)
    with pytest.raises(ConfigError, match="transformer_norm_eps=1e-05 but the model has 1e-06"):
        create_start_model("sdr", str(run), **MICRO, K=2, latent_dim=16)
    with pytest.raises(ValueError, match="cannot start i3d from checkpoint"):
        create_start_model("i3d", str(run), **MICRO, transformer_norm_eps=1e-5)
    with pytest.raises(ValueError, match="shape mismatches"):
        create_start_model("ftcn", str(run), **{**MICRO, "num_frames": 8}, transformer_norm_eps=1e-5)
    model = create_start_model(
        "ftcn", str(run / "checkpoints" / "best.json"), **MICRO, transformer_norm_eps=1e-5
    )
    reloaded, _ = load_checkpoint(run)
    assert all(torch.equal(v, reloaded.state_dict()[k]) for k, v in model.state_dict().items())


def test_paper_ft_profile_starts_full_size_sdr_from_converted_ftcn(converted_ftcn):
    """The profile's model, built as ``sdr train`` builds it: every FTCN tensor is in the SDR trunk
    or head, and only the TRFI heads are new."""
    run, state = converted_ftcn
    config = load_run_config("paper-ft", [f"model.weights={run}"])
    assert config.model.name == "sdr" and config.data.clip_len == 32
    assert config.model.options["transformer_norm_eps"] == 1e-5
    assert load_run_config("paper-ft").model.weights == "runs/ftcn-tt"  # the documented default
    model = create_start_model(config.model.name, config.model.weights, **config.model.options)
    ours = model.state_dict()
    for key, theirs in key_map(get_spec("ftcn-tt")).items():
        assert torch.equal(ours[key], state[theirs]), key
    assert {k.split(".")[0] for k in ours if k not in key_map(get_spec("ftcn-tt"))} == {"trfi"}
