"""Stopping cleanly on a signal: SIGTERM (a cluster scheduler's time limit) and Ctrl-C (SIGINT).

Python turns SIGINT into ``KeyboardInterrupt`` but lets SIGTERM kill the process on the spot, so a
batch job stopped by its scheduler would leave half-written temporary files and print nothing.
Inside :func:`stop_on_sigterm`, SIGTERM raises :class:`Terminated` in the main thread instead: the
atomic writers (:mod:`sdrlib.utils.io`) remove their temporary file on the way up, and the ``sdr``
command prints one line and exits with status 143 (``128 + SIGTERM``).

:class:`Terminated` derives from ``SystemExit``, so ``except Exception`` (a per-video error handler)
never swallows it, and a process that does not catch it (a worker of a process pool) exits with
status 143 without a traceback. Worker processes call :func:`worker_signals`: they ignore Ctrl-C,
which the terminal sends to every process of the job, and leave stopping to the parent, which
stops them with SIGTERM.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

#: exit status of a process stopped by SIGTERM (the shell's 128 + signal number)
TERMINATED_STATUS = 128 + signal.SIGTERM


class Terminated(SystemExit):
    """The process received SIGTERM; raised in the main thread by :func:`stop_on_sigterm`."""

    def __init__(self, code: int = TERMINATED_STATUS) -> None:
        super().__init__(code)


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` (a no-op outside the main thread)."""
    if not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def signals_blocked(*signums: int) -> Iterator[None]:
    """Hold back ``signums`` within the block; they are delivered when it ends.

    Processes started within the block inherit the blocked mask, so a Ctrl-C that arrives while a
    pool of workers starts reaches only this process, once the pool exists and can be shut down.
    """
    if not _in_main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signums)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def worker_signals() -> None:
    """For a worker process: ignore Ctrl-C (the parent decides), stop cleanly on SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _raise_terminated)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
