"""``sdr bench``: time training steps of ftcn / i3d / sdr and print views/s, TFLOP/s, memory.

``sdr bench --data DIR`` times the clip loader on a prepared directory instead
(:mod:`sdrlib.bench.loader`): clips/s per worker count, decode / transform / collation, and
the workers a GPU needs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sdrlib.cli import CLIError
from sdrlib.utils import atomic_write_json, resolve_device

COMMAND = "bench"
HELP = "time training steps of ftcn/i3d/sdr, or with --data the clip loader (clips/s per worker)"


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
    parser.add_argument(
        "--channels-last",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="channels_last_3d model and input, as training uses (default); --no-channels-last: NCDHW",
    )
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
    data = parser.add_argument_group(
        "clip loader (--data)",
        "with --data, --frames is the clip length (default 32), --size resizes (default: as stored), "
        "--batch counts clips per batch (default 16), --iters batches timed per worker count (default 8)",
    )
    data.add_argument(
        "--data", nargs="+", metavar="DIR", help="time the loader on these prepared directories"
    )
    data.add_argument("--split", choices=["train", "val", "test"], help="only this split (default: all)")
    data.add_argument(
        "--workers",
        nargs="+",
        type=int,
        metavar="N",
        help="DataLoader worker counts (default: 1, 2, all cores)",
    )
    data.add_argument(
        "--profile", default="paper", help="profile whose model sets the GPU target (default paper)"
    )
    data.add_argument("--target", type=float, help="clips/s to feed, instead of the profile's GPU target")


def _run_loader(args: argparse.Namespace) -> int:
    # sdrlib.bench is imported inside the functions: `sdr --help` stays fast without the engine
    from sdrlib.bench.loader import LoaderBenchConfig, format_loader_table, run_loader_bench

    cfg = LoaderBenchConfig(
        roots=list(args.data),
        split=args.split,
        clip_len=32 if args.frames is None else args.frames,
        size=args.size,
        batch_size=16 if args.batch is None else args.batch,
        workers=args.workers,
        batches=8 if args.iters is None else args.iters,
        profile=args.profile,
        target=args.target,
        seed=args.seed,
    )
    report = run_loader_bench(cfg, progress=not args.no_progress)
    print(format_loader_table(report))
    if args.json is not None:
        atomic_write_json(args.json, report.to_dict())
        print(f"wrote {args.json}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.data:
        return _run_loader(args)
    from sdrlib.bench import BENCH_MODELS, BenchConfig, format_table, run_bench

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
