"""Atomic file writes: a crash or a full disk never leaves a half-written file behind.

Every writer puts the bytes in a temporary file in the destination folder, flushes and fsyncs it,
then renames it over the destination (``os.replace`` is atomic on POSIX and Windows). On any error
(Ctrl-C and SIGTERM included) the temporary file is removed and the destination is untouched; only
a process killed outright (SIGKILL) leaves its hidden ``.<name>.*.tmp`` file, for the next run to
remove. Logs that grow one record at a time use :func:`append_durably` instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary sibling of ``path`` for writing; rename it to ``path`` on success."""
    if mode not in {"w", "wb"}:
        raise ValueError("atomic_open supports modes 'w' and 'wb'")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp creates 0600; give the file the usual mode
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_open(path, "wb") as handle:
        handle.write(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, obj: Any, indent: int = 2) -> Path:
    """Write ``obj`` as JSON to ``path`` atomically; non-JSON scalars (numpy, Path) become str/float."""

    def default(value: Any) -> Any:
        if hasattr(value, "item"):
            return value.item()
        if hasattr(value, "tolist"):
            return value.tolist()
        return str(value)

    return atomic_write_text(path, json.dumps(obj, indent=indent, default=default, sort_keys=False) + "\n")


def append_durably(path: str | Path, data: bytes) -> None:
    """Append ``data`` to ``path`` (created if needed) and fsync it.

    If the bytes cannot all be written (a full disk, a signal), or not synced to the disk, the file
    is cut back to its size before the call, so it always ends with a whole record: never half a
    CSV row or half a JSON line.
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        size = os.fstat(fd).st_size
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(fd, view) :]
        except BaseException:  # Ctrl-C or SIGTERM included: never half a record
            os.ftruncate(fd, size)
            raise
        try:
            os.fsync(fd)
        except OSError:  # the disk could not keep it
            os.ftruncate(fd, size)
            raise
    finally:
        os.close(fd)
