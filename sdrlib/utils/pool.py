"""Worker processes (``sdr prepare --workers N``, the experiment grids' ``experiments.workers``):
started clean, stopped clean.

* **Started clean.** Workers are forked from a fresh server process where POSIX allows (forking the
  caller instead could hang or break them once it has used OpenMP threads or CUDA, e.g. a notebook
  that ran a model; ``spawn`` is as safe but imports the library in every worker). Each gets its
  share of the cores, so N workers do not oversubscribe the machine.
* **Stopped clean.** Ctrl-C reaches every process of the terminal's job: the workers ignore it
  (and it is held back while they start, so no worker dies half-imported with a traceback), and
  the caller stops them with SIGTERM, which they turn into a clean stop: the atomic writers remove
  their temporary files (:mod:`sdrlib.utils.signals`). A scheduler's SIGTERM sent to all of them
  ends the same way; the fork server, which must outlive its workers to report on them, never
  unblocks the signals it started with. Results of videos that finish while the run stops are not
  recorded: their outputs are whole, and the next run redoes them.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import torch

from sdrlib.utils.signals import (
    TERMINATED_STATUS,
    Terminated,
    signals_held,
    stopping_on_sigterm,
    worker_signals,
)

Item = TypeVar("Item")

#: seconds a worker gets to stop after SIGTERM before it is killed
STOP_TIMEOUT_S = 30.0


def _init_worker(threads: int) -> None:
    """Worker initializer: a share of the cores instead of all of them, then clean stops on signals
    (last: a worker stopped while it imports exits quietly instead of failing its initializer)."""
    torch.set_num_threads(threads)
    with contextlib.suppress(ImportError):  # optional here: OpenCV's threads, where it is installed
        import cv2

        cv2.setNumThreads(threads)
    worker_signals()


def _context(preload: Sequence[str]) -> multiprocessing.context.BaseContext:
    """Workers forked from a server process that imported ``preload`` once, else spawned."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(preload))
        return context
    return multiprocessing.get_context("spawn")


def _stop(pool: cf.ProcessPoolExecutor) -> None:
    """Cancel what has not started and stop the workers (SIGTERM, then SIGKILL after a while)."""
    with signals_held(signal.SIGINT, signal.SIGTERM, redeliver=False):
        # The executor has no public handle on its processes (_processes, stable since 3.3), and
        # forgets them on shutdown.
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(STOP_TIMEOUT_S)
            if process.is_alive():
                process.kill()


def _until_terminated(fn: Callable[..., Any], item: Any, *args: Any) -> Any:
    """``fn(item, *args)`` in a worker, which exits once a SIGTERM stopped it.

    The executor's worker loop catches every exception of a call, ``SystemExit`` included, sends
    it back and takes the next queued call: a worker stopped in the middle of a run would go on
    with the calls queued behind it (until killed 30 s later), or, if its parent was gone, with
    all of them. Here the stop unwinds the call (the atomic writers remove their temporary files
    on the way) and the worker exits.
    """
    try:
        return fn(item, *args)
    except Terminated:
        os._exit(TERMINATED_STATUS)


def run_in_workers(
    fn: Callable[..., Any], items: Iterable[Item], args: tuple, workers: int, preload: Sequence[str] = ()
) -> Iterator[Any]:
    """``fn(item, *args)`` for every item in ``workers`` processes, yielded as they finish.

    At most ``2 * workers`` calls are queued at once, so a 100k-item list does not become 100k
    pickled futures. If the caller stops (an exception, Ctrl-C, SIGTERM), queued calls are cancelled
    and running ones are stopped cleanly before the exception goes on.
    """
    threads = max(1, (os.cpu_count() or 1) // workers)
    queue = iter(items)
    with cf.ProcessPoolExecutor(
        workers, mp_context=_context(preload), initializer=_init_worker, initargs=(threads,)
    ) as pool:
        try:
            pending: set[cf.Future] = set()
            # The workers (and the server they are forked from) start here, with Ctrl-C and SIGTERM
            # blocked: the server keeps them blocked, so a SIGTERM sent to the whole job cannot
            # kill it and leave this process unable to tell which workers still run.
            with signals_held(signal.SIGINT, signal.SIGTERM):
                for item in queue:
                    pending.add(pool.submit(_until_terminated, fn, item, *args))
                    if len(pending) >= 2 * workers:
                        break
            while pending:
                finished, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    yield future.result()
                    item = next(queue, None)
                    if item is not None:
                        pending.add(pool.submit(_until_terminated, fn, item, *args))
        except BaseException as err:
            if isinstance(err, Terminated):
                stopping_on_sigterm()
            _stop(pool)
            raise
