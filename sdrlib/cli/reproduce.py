"""``sdr reproduce``: run the book's notebooks for a profile and build the book from them.

    sdr reproduce --profile tiny                  # every table on SynthDF, CPU, <= 15 min after set-up
    sdr reproduce --profile smoke --only 00_introduction --no-build
    sdr reproduce --profile paper --device cuda --out /scratch/runs

Writes ``<out>/<profile>/``: executed notebooks (``book/``), each notebook's outputs
(``outputs/<notebook>/metrics.json``, ``tables/``), the HTML (``_build/html/index.html``),
``reproduce.json`` and ``tables.md``; prints the tables at the end. Exit status: 0 success,
1 a notebook or the book build failed (the message names the notebook and cell), 2 a usage error.
"""

from __future__ import annotations

import argparse
import sys

from sdrlib.book.build import BookBuildError
from sdrlib.book.execute import NotebookExecutionError
from sdrlib.book.notebook import PROFILES
from sdrlib.cli import CLIError

COMMAND = "reproduce"
HELP = "execute the book's notebooks for a profile (papermill) and build the book from the executed copies"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default="tiny", help=f"one of {', '.join(PROFILES)} (default tiny)")
    parser.add_argument("--only", help="comma-separated notebooks to run (file stems), e.g. 00_introduction")
    parser.add_argument(
        "--no-build", action="store_true", help="execute the notebooks, do not build the book"
    )
    parser.add_argument("--out", help="results folder; the run goes to OUT/PROFILE (default <repo>/runs)")
    parser.add_argument(
        "--device", default="auto", help="DEVICE parameter of every notebook: auto, cpu, cuda[:N]"
    )
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    parser.add_argument(
        "--lenient", action="store_true", help="build even when Sphinx warns (default: -W -n)"
    )
    parser.add_argument(
        "--no-prefetch",
        action="store_true",
        help="let each results notebook train its own grid (default: all runs first, in one worker pool)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="notebooks executed at once (default: the profile's experiments.workers)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress lines or bars")


def run(args: argparse.Namespace) -> int:
    # imported here, not at the top: `sdr --help` stays fast without the grids, the studies and the
    # engine (the runs sdrlib.book.prefetch trains before the notebooks)
    from sdrlib.book.reproduce import reproduce

    if args.profile not in PROFILES:
        raise CLIError(f"unknown profile {args.profile!r}; expected one of {', '.join(PROFILES)}")
    if args.jobs is not None and args.jobs < 1:
        raise CLIError(f"--jobs must be at least 1, got {args.jobs}")
    only = [name.strip() for name in args.only.split(",") if name.strip()] if args.only else None
    try:
        result = reproduce(
            args.profile,
            out_root=args.out,
            notebooks=only,
            build=not args.no_build,
            kernel=args.kernel,
            device=args.device,
            strict=not args.lenient,
            progress=not args.no_progress,
            prefetch=not args.no_prefetch,
            jobs=args.jobs,
        )
    except ValueError as err:
        raise CLIError(str(err)) from err
    except (NotebookExecutionError, BookBuildError) as err:
        print(f"sdr reproduce: {err}", file=sys.stderr)
        return 1
    print()
    print(result.tables_markdown())
    if result.html_index is not None:
        print(f"book: {result.html_index} (built in {result.build_wall_s:.1f} s)")
    print(f"report: {result.out_dir / 'reproduce.json'} (total {result.wall_s:.1f} s)")
    return 0
