"""The ``sdr`` command line: one sub-command per module in this package.

Each module ``sdrlib/cli/<name>.py`` defines ``COMMAND`` (the sub-command name), ``HELP`` (one
line), ``add_arguments(parser)`` and ``run(args) -> int``, and may define ``INTERRUPTED_HINT`` (what
to do after a Ctrl-C or SIGTERM, e.g. how to resume). Modules are found automatically, so adding a
command never edits this file.

Every way a command can end is one line on the screen and one of the exit statuses in
:data:`EXIT_CODES` (shown by ``sdr --help``, documented in ``docs/cli.md``): errors that a user can
fix (a missing file, a bad option, an unusable video or checkpoint) are raised as :class:`CLIError`
(or ValueError/TypeError/FileNotFoundError with a message) and exit with 2; an output that cannot be
written (disk full) exits with 1; Ctrl-C with 130 and SIGTERM with 143, after the atomic writers
have removed their temporary files. Set ``SDR_DEBUG=1`` to see the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import textwrap
from collections.abc import Sequence

from sdrlib.config import ConfigError
from sdrlib.utils.signals import Terminated, stop_on_sigterm

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_SOME_FAILED = 3
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

#: The exit statuses of every ``sdr`` command, in ``sdr --help`` and docs/cli.md.
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "success"),
    (
        EXIT_FAILED,
        "the run could not finish: an output could not be written (disk full, no permission), "
        "training stopped early, a notebook or the book build failed",
    ),
    (
        EXIT_USAGE,
        "a usage or input error: a bad option, a missing path, an unusable video (sdr predict on one "
        "file), checkpoint or dataset",
    ),
    (
        EXIT_SOME_FAILED,
        "a batch ended but some of its videos failed; each is named on the screen and listed in "
        "failures.csv (prepare) or predictions.csv (predict)",
    ),
    (EXIT_INTERRUPTED, "interrupted by Ctrl-C (SIGINT); what was finished is kept"),
    (EXIT_TERMINATED, "terminated by SIGTERM (e.g. a scheduler's time limit); what was finished is kept"),
)

#: Errors of the command's input: one line, exit status 2. OSError subclasses that mean "this path
#: is wrong" are here; other OSErrors (disk full, permission, I/O) exit with 1.
_USAGE_ERRORS: tuple[type[BaseException], ...] = (
    FileNotFoundError,
    FileExistsError,
    NotADirectoryError,
    IsADirectoryError,
    KeyError,
    ValueError,
    TypeError,
)


class CLIError(Exception):
    """An error caused by the command's input; printed as one line, exit status 2."""


def exit_codes_text() -> str:
    """The table of :data:`EXIT_CODES` as plain text (``sdr --help``'s epilog)."""
    width = max(len(str(code)) for code, _ in EXIT_CODES)
    lines = [
        textwrap.fill(meaning, 88, initial_indent=f"  {code:>{width}}  ", subsequent_indent=" " * (width + 4))
        for code, meaning in EXIT_CODES
    ]
    return "exit status:\n" + "\n".join(lines) + "\nSDR_DEBUG=1 shows the traceback of an error instead."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sdr",
        description="sdr-book: Spatial Dependency Reduction for video-level deepfake detection.",
        epilog=exit_codes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        sub = subparsers.add_parser(
            module.COMMAND,
            help=module.HELP,
            description=module.HELP,
            epilog="exit status: see sdr --help",
        )
        module.add_arguments(sub)
        sub.set_defaults(_run=module.run, _hint=getattr(module, "INTERRUPTED_HINT", ""))
    return parser


def error_message(err: BaseException) -> str:
    """One line for an error: an OSError as ``path: reason``, a KeyError without its quotes."""
    if isinstance(err, OSError) and err.strerror:
        names = [str(name) for name in (err.filename, err.filename2) if name is not None]
        message = f"{' -> '.join(names)}: {err.strerror}" if names else err.strerror
    elif isinstance(err, KeyError) and err.args:
        message = str(err.args[0])
    else:
        message = str(err) or type(err).__name__
    return " ".join(message.split())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sdr`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return EXIT_USAGE
    name = f"sdr {args.command}"
    hint = f"; {args._hint}" if args._hint else ""
    debug = bool(os.environ.get("SDR_DEBUG"))
    with stop_on_sigterm():
        try:
            return int(args._run(args) or 0)
        except Terminated:
            print(f"{name}: terminated (SIGTERM){hint}", file=sys.stderr)
            return EXIT_TERMINATED
        except KeyboardInterrupt:
            print(f"{name}: interrupted{hint}", file=sys.stderr)
            return EXIT_INTERRUPTED
        except (CLIError, ConfigError, *_USAGE_ERRORS) as err:
            if debug:
                raise
            print(f"{name}: error: {error_message(err)}", file=sys.stderr)
            return EXIT_USAGE
        except OSError as err:
            if debug:
                raise
            print(f"{name}: error: {error_message(err)}", file=sys.stderr)
            return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
