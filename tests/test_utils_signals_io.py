"""Clean stops: SIGTERM as an exception, signals held while workers start, records appended whole."""

from __future__ import annotations

import errno
import os
import signal
import threading
import time
from concurrent.futures.process import BrokenProcessPool

import pytest

from sdrlib.utils.io import append_durably, atomic_write_text
from sdrlib.utils.pool import run_in_workers
from sdrlib.utils.signals import TERMINATED_STATUS, Terminated, signals_held, stop_on_sigterm


def test_sigterm_raises_terminated_once_then_is_ignored_and_restored():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated) as stopped, stop_on_sigterm():
        signal.raise_signal(signal.SIGTERM)
    assert stopped.value.code == TERMINATED_STATUS == 143
    assert isinstance(stopped.value, SystemExit) and not isinstance(stopped.value, Exception)
    assert signal.getsignal(signal.SIGTERM) is before


def test_signals_held_until_the_block_ends_or_dropped():
    with pytest.raises(KeyboardInterrupt):
        with signals_held(signal.SIGINT):
            signal.raise_signal(signal.SIGINT)
            reached = True  # the Ctrl-C waits for the end of the block
    assert reached
    with signals_held(signal.SIGINT, redeliver=False):
        signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_atomic_write_leaves_nothing_when_stopped(tmp_path, monkeypatch):
    def stopped(fd):
        raise Terminated()

    monkeypatch.setattr(os, "fsync", stopped)
    with pytest.raises(Terminated):
        atomic_write_text(tmp_path / "out.json", "{}")
    assert list(tmp_path.iterdir()) == []


def test_append_durably_keeps_whole_records_only(tmp_path, monkeypatch):
    log = tmp_path / "progress.jsonl"
    append_durably(log, b'{"a": 1}\n')

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        append_durably(log, b'{"b": 2}\n')
    assert log.read_bytes() == b'{"a": 1}\n'


def _record_then_wait(item: int, log: str) -> int:
    """A slow call of a worker: records its item and process, then waits to be stopped."""
    with open(log, "a") as out:
        out.write(f"{item} {os.getpid()}\n")
    time.sleep(20)
    return item


def test_a_worker_stopped_by_sigterm_exits_instead_of_taking_the_next_queued_call(tmp_path):
    """The executor's loop would catch the stop (a SystemExit) and run the calls queued behind it;
    run_in_workers' workers exit instead, so the run fails at once and no queued call starts."""
    log = tmp_path / "calls.txt"

    def stop_first_worker() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (log.exists() and log.read_text().strip()):
            time.sleep(0.05)
        os.kill(int(log.read_text().split()[1]), signal.SIGTERM)

    stopper = threading.Thread(target=stop_first_worker)
    stopper.start()
    started = time.monotonic()
    with pytest.raises(BrokenProcessPool):
        list(run_in_workers(_record_then_wait, range(4), (str(log),), 1))
    stopper.join()
    assert time.monotonic() - started < 15, "the stopped worker went on with a queued call"
    assert [line.split()[0] for line in log.read_text().splitlines()] == ["0"]
