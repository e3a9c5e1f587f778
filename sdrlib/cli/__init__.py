"""The ``sdr`` command line: one sub-command per module in this package.

Each module ``sdrlib/cli/<name>.py`` defines ``COMMAND`` (the sub-command name), ``HELP`` (one
line), ``add_arguments(parser)`` and ``run(args) -> int``. Modules are found automatically, so
adding a command never edits this file. Errors that a user can fix (a missing file, a bad option)
are raised as :class:`CLIError` (or ValueError/TypeError with a message) and printed as one line
with exit status 2; set ``SDR_DEBUG=1`` to see the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence


class CLIError(Exception):
    """An error caused by the command's input; printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sdr",
        description="sdr-book: Spatial Dependency Reduction for video-level deepfake detection.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        sub = subparsers.add_parser(module.COMMAND, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sdr`` console script."""
    from sdrlib.config import ConfigError

    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except (CLIError, ConfigError, FileNotFoundError, KeyError, ValueError, TypeError) as err:
        if os.environ.get("SDR_DEBUG"):
            raise
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"sdr {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"sdr {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
