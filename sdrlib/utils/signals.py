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
import os
import signal
import threading
from collections.abc import Iterator

#: exit status of a process stopped by SIGTERM (the shell's 128 + signal number)
TERMINATED_STATUS = 128 + signal.SIGTERM


class Terminated(SystemExit):
    """The process received SIGTERM; raised in the main thread by :func:`stop_on_sigterm`."""

    def __init__(self, code: int = TERMINATED_STATUS) -> None:
        super().__init__(code)


def _terminate_once(signum: int, frame: object) -> None:
    # A scheduler may signal every process of a job, and a stopping run makes its workers answer
    # through it: once this process is stopping, further SIGTERMs must not interrupt the clean-up.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated()


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """Within the block, the first SIGTERM raises :class:`Terminated` and later ones are ignored
    while the process stops (a no-op outside the main thread)."""
    if not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate_once)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def stopping_on_sigterm() -> None:
    """This process learned of a SIGTERM by another route (a worker stopped by the same job-wide
    signal reported it): from now on its own SIGTERM is ignored, as after a first one. Only where
    :func:`stop_on_sigterm` is active."""
    if _in_main_thread() and signal.getsignal(signal.SIGTERM) is _terminate_once:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


@contextlib.contextmanager
def signals_held(*signums: int, redeliver: bool = True) -> Iterator[None]:
    """Hold back ``signums`` within the block: their handlers run when it ends (or, with
    ``redeliver=False``, never: e.g. a second Ctrl-C while a stop is already under way).

    Processes started within the block start with the signals blocked (a child inherits the mask of
    the thread that forks it), so a Ctrl-C that arrives while a pool of workers starts reaches no
    half-started worker, only this process once the pool can be shut down. In this process the
    handlers are replaced for the block, as a signal may be received by any of its threads.
    """
    if not _in_main_thread():
        yield
        return
    received: list[int] = []
    previous = {
        signum: signal.signal(signum, lambda number, _: received.append(number)) for signum in signums
    }
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, signums) if hasattr(signal, "pthread_sigmask") else None
    try:
        yield
    finally:
        if mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(received if redeliver else ()):
            signal.raise_signal(signum)


def worker_signals() -> None:
    """For a worker process: ignore Ctrl-C (the parent decides), stop cleanly on the first SIGTERM.

    Later SIGTERMs are ignored while the stop unwinds (a scheduler signals the whole job, then the
    parent stops its workers: a second stop inside the clean-up would print a traceback); the
    worker then exits (:mod:`sdrlib.utils.pool`).

    A worker started under :func:`signals_held` may find a SIGTERM already waiting: it was stopped
    before it did anything, and exits at once, quietly.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        if signal.SIGTERM in signal.sigpending():
            os._exit(TERMINATED_STATUS)
        signal.signal(signal.SIGTERM, _terminate_once)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    else:
        signal.signal(signal.SIGTERM, _terminate_once)
