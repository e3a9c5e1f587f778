"""Worker processes for ``sdr prepare --workers N``: started clean, stopped clean.

* **Started clean.** Workers are forked from a fresh server process where POSIX allows (forking the
  caller instead could hang or break them once it has used OpenMP threads or CUDA, e.g. a notebook
  that ran a model; ``spawn`` is as safe but imports the library in every worker). Each gets its
  share of the cores, so N workers do not oversubscribe the machine.
* **Stopped clean.** Ctrl-C reaches every process of the terminal's job: the workers ignore it
  (and it is held back while they start, so no worker dies half-imported with a traceback), and
  the caller stops them with SIGTERM, which they turn into a clean stop: the atomic writers remove
  their temporary files (:mod:`sdrlib.utils.signals`). A scheduler's SIGTERM sent to all of them
  ends the same way.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sdrlib.utils.signals import signals_blocked, worker_signals

Item = TypeVar("Item")

#: seconds a worker gets to stop after SIGTERM before it is killed
STOP_TIMEOUT_S = 30.0


def _init_worker(threads: int) -> None:
    """Worker initializer: clean stops on signals, and a share of the cores instead of all of them."""
    worker_signals()
    import torch

    torch.set_num_threads(threads)
    with contextlib.suppress(ImportError):
        import cv2

        cv2.setNumThreads(threads)


def _context(preload: Sequence[str]) -> multiprocessing.context.BaseContext:
    """Workers forked from a server process that imported ``preload`` once, else spawned."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(preload))
        return context
    return multiprocessing.get_context("spawn")


def _stop(pool: cf.ProcessPoolExecutor) -> None:
    """Cancel what has not started and stop the workers (SIGTERM, then SIGKILL after a while)."""
    with signals_blocked(signal.SIGINT, signal.SIGTERM):
        pool.shutdown(wait=False, cancel_futures=True)
        # The executor has no public handle on its processes; _processes is stable since 3.3.
        processes = list(getattr(pool, "_processes", {}).values())
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(STOP_TIMEOUT_S)
            if process.is_alive():
                process.kill()


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
            with signals_blocked(signal.SIGINT):  # the workers start here
                for item in queue:
                    pending.add(pool.submit(fn, item, *args))
                    if len(pending) >= 2 * workers:
                        break
            while pending:
                finished, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    yield future.result()
                    item = next(queue, None)
                    if item is not None:
                        pending.add(pool.submit(fn, item, *args))
        except BaseException:
            _stop(pool)
            raise
