"""Benchmarks that print figures (``sdr bench``): the training-step throughput of the models
(:mod:`.training_step`) and the clips/s the input pipeline delivers (:mod:`.loader`, ``--data``).

Speed and memory are measured here and reported in docs/performance.md, never asserted in timed
tests.
"""

from sdrlib.bench.report import BENCH_MODELS, BenchConfig, BenchReport, BenchRow, format_table
from sdrlib.bench.training_step import NaiveSDR, run_bench

__all__ = ["BENCH_MODELS", "BenchConfig", "BenchReport", "BenchRow", "NaiveSDR", "format_table", "run_bench"]
