"""``sdr bench``: the table, the JSON and the ratios, at a tiny size (no timing assertions)."""

from __future__ import annotations

import argparse
import json

import pytest
import torch

from sdrlib.bench import BenchConfig, NaiveSDR, format_table, run_bench
from sdrlib.cli import bench as bench_cli
from sdrlib.config import ConfigError
from sdrlib.engine.config import TrainConfig
from sdrlib.models import create_model

TINY = ["--frames", "4", "--size", "32", "--batch", "4", "--width-mult", "0.125", "--depth-mult", "0.25"]


def _cli(argv: list[str]) -> int:
    """Run the ``bench`` sub-command (parsed by its own parser, without importing every command)."""
    parser = argparse.ArgumentParser()
    bench_cli.add_arguments(parser)
    return bench_cli.run(parser.parse_args(argv))


def test_cli_prints_table_and_writes_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    args = ["--model", "ftcn", "sdr", *TINY, "--K", "2", "--warmup", "1", "--iters", "1"]
    assert _cli([*args, "--no-progress", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    for column in ("views/s", "SDR clips/s", "TFLOP/s", "peak GiB"):
        assert column in table
    data = json.loads(out.read_text())
    rows = {row["model"]: row for row in data["rows"]}
    assert set(rows) == {"ftcn", "sdr", "sdr-naive"}
    assert rows["sdr"]["clips"] == 2 and rows["sdr"]["views"] == 4 and rows["ftcn"]["clips"] == 4
    assert rows["sdr-naive"]["variant"] == "fp32" and rows["sdr"]["variant"] == "fp32+cl3d"
    assert rows["sdr"]["gflop_per_step"] > 0 and rows["ftcn"]["step_s"] > 0
    assert rows["ftcn"]["sdr_clips_per_s"] == pytest.approx(rows["ftcn"]["views_per_s"] / 2, rel=0.02)
    assert set(data["ratios"]) == {"sdr_vs_naive", "sdr_vs_ftcn_ceiling"}


def test_cpu_defaults_and_validation():
    cfg = BenchConfig().resolved(torch.device("cpu"))
    assert (cfg.frames, cfg.size, cfg.width_mult, cfg.precision) == (16, 64, 0.25, "fp32")
    assert cfg.channels_last is TrainConfig().channels_last is True, "the layout training uses"
    with pytest.raises(ConfigError, match="multiple of K"):
        BenchConfig(batch=6, K=4).resolved(torch.device("cpu"))
    with pytest.raises(ConfigError, match="bench models"):
        BenchConfig(models=["frame2d"]).resolved(torch.device("cpu"))
    with pytest.raises(ConfigError, match="multiple of K"):
        _cli(["--model", "sdr", "--batch", "6", "--no-progress"])
    parser = argparse.ArgumentParser()
    bench_cli.add_arguments(parser)
    assert parser.parse_args([]).channels_last and not parser.parse_args(["--no-channels-last"]).channels_last


def test_naive_variant_matches_batched_model_in_eval():
    model = create_model("sdr", width_mult=0.125, depth_mult=0.25, num_frames=4, input_size=32, K=2).eval()
    model.cfg.test_time_tpa = True
    x = torch.randn(2, 3, 4, 32, 32)
    torch.manual_seed(0)
    batched = model(x).logit
    torch.manual_seed(0)
    naive = NaiveSDR(model)(x).logit
    torch.testing.assert_close(batched, naive, rtol=1e-4, atol=1e-5)


def test_format_table_lists_every_row():
    threads = torch.get_num_threads()
    report = run_bench(
        BenchConfig(
            models=["i3d"],
            frames=4,
            size=32,
            batch=2,
            width_mult=0.125,
            depth_mult=0.25,
            warmup=1,
            iters=1,
            threads=1,
        ),
        progress=False,
    )
    table = format_table(report)
    assert "| i3d | fp32+cl3d |" in table and "2 views/step" in table and "CPU (1 thread)" in table
    assert torch.get_num_threads() == threads, "the thread count is restored"
    assert report.ratios == {}
