"""``sdr bench``: time training steps of ftcn / i3d / sdr and print views/s, TFLOP/s, memory."""

from __future__ import annotations

import argparse
from pathlib import Path

COMMAND = "bench"
HELP = "time training steps of ftcn/i3d/sdr (views/s, SDR clips/s, TFLOP/s, peak memory)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        nargs="+",
        default=None,
        choices=["ftcn", "i3d", "sdr"],
        help="models to time (default: all three)",
    )
    parser.add_argument("--frames", type=int, default=None, help="frames per clip (CPU 16, GPU 32)")
    parser.add_argument("--size", type=int, default=None, help="frame size in pixels (CPU 64, GPU 224)")
    parser.add_argument(
        "--batch", type=int, default=None, help="trunk views per step; sdr uses batch/K clips (CPU 8, GPU 16)"
    )
    parser.add_argument(
        "--width-mult", type=float, default=None, help="trunk width multiplier (CPU 0.25, GPU 1)"
    )
    parser.add_argument("--depth-mult", type=float, default=1.0, help="trunk depth multiplier (default 1)")
    parser.add_argument("--K", type=int, default=4, help="SDR branches (default 4)")
    parser.add_argument(
        "--precision",
        choices=["auto", "fp32", "bf16"],
        default="auto",
        help="auto = bf16 on CUDA, fp32 on the CPU",
    )
    parser.add_argument("--channels-last", action="store_true", help="channels_last_3d model and input")
    parser.add_argument("--compile", action="store_true", help="torch.compile the models")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive SDR variant")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    parser.add_argument("--warmup", type=int, default=None, help="warm-up steps (CPU 1, GPU 3)")
    parser.add_argument("--iters", type=int, default=None, help="timed steps (CPU 3, GPU 10)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for torch (default: torch's); 1 gives stable CPU s on a loaded machine",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, metavar="OUT", help="write the numbers as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from sdrlib.bench import BENCH_MODELS, BenchConfig, format_table, run_bench
    from sdrlib.cli import CLIError
    from sdrlib.utils import atomic_write_json, resolve_device

    cfg = BenchConfig(
        models=list(args.model or BENCH_MODELS),
        frames=args.frames,
        size=args.size,
        batch=args.batch,
        width_mult=args.width_mult,
        depth_mult=args.depth_mult,
        K=args.K,
        precision=args.precision,
        channels_last=args.channels_last,
        compile=args.compile,
        naive=not args.no_naive,
        device=args.device,
        warmup=args.warmup,
        iters=args.iters,
        threads=args.threads,
        seed=args.seed,
    )
    try:
        resolve_device(args.device)
    except ValueError as err:
        raise CLIError(str(err)) from err
    report = run_bench(cfg, progress=not args.no_progress)
    print(format_table(report))
    if args.json is not None:
        atomic_write_json(args.json, report.to_dict())
        print(f"wrote {args.json}")
    return 0
