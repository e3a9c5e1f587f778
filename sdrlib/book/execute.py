"""Executing one notebook of the book with papermill for ``sdr reproduce``.

The kernel gets the profile and the static-output switches in its environment, talks over IPC
sockets in a private folder, and a failure is reported as :class:`NotebookExecutionError` naming
the source notebook's cell. papermill, nbformat and traitlets (the book extra) are imported inside
the functions: every notebook imports :mod:`sdrlib.book`, and none of them executes notebooks; and
``sdr --help`` imports this package (for ``sdr reproduce``'s options) and stays fast without them.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sdrlib.book.display import STATIC_KERNEL_ENV
from sdrlib.book.notebook import PROFILE_ENV, REPRODUCTION_ENV
from sdrlib.book.toc import TocDocument
from sdrlib.utils import atomic_write_text


class NotebookExecutionError(RuntimeError):
    """A notebook failed during ``sdr reproduce``.

    Attributes:
        notebook: the source notebook, relative to the book root.
        executed: the executed copy, which holds the traceback.
        cell_index: 0-based index of the failing cell in the source notebook (``None`` when no
            cell recorded the failure, e.g. the kernel could not start or died).
        ename: the exception's class name.
        evalue: the exception's message.
    """

    def __init__(
        self,
        notebook: Path,
        executed: Path,
        cell_index: int | None,
        ename: str,
        evalue: str,
        first_line: str = "",
    ) -> None:
        self.notebook, self.executed = notebook, executed
        self.cell_index, self.ename, self.evalue = cell_index, ename, evalue
        where = "" if cell_index is None else f" in cell {cell_index} ({first_line!r})"
        super().__init__(
            f"{notebook.as_posix()} failed{where}: {ename}: {evalue} (executed copy: {executed})"
        )


@contextlib.contextmanager
def kernel_environment(
    profile: str, reproduction_dir: Path | None = None, extra: dict[str, str] | None = None
) -> Iterator[None]:
    """Environment inherited by the kernels papermill starts (plus ``extra``); restored afterwards."""
    wanted = {PROFILE_ENV: profile, **STATIC_KERNEL_ENV, **(extra or {})}
    if reproduction_dir is not None:
        wanted[REPRODUCTION_ENV] = str(reproduction_dir)
    defaults = {"HF_HUB_OFFLINE": "1", "JUPYTER_PREFER_ENV_PATH": "1"}
    saved = {key: os.environ.get(key) for key in [*wanted, *defaults]}
    os.environ.update(wanted)
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _failing_cell(executed: Path, cell_index: int) -> tuple[int, str]:
    """Map papermill's cell index (executed notebook) to the source notebook's index and first line."""
    import nbformat
    from papermill.execute import ERROR_MARKER_TAG

    notebook = nbformat.read(executed, as_version=4)
    cells = [
        cell for cell in notebook.cells if ERROR_MARKER_TAG not in cell.get("metadata", {}).get("tags", [])
    ]
    injected = sum(
        "injected-parameters" in cell.get("metadata", {}).get("tags", []) for cell in cells[:cell_index]
    )
    source = cells[cell_index].source if cell_index < len(cells) else ""
    first_line = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return cell_index - injected, first_line


@contextlib.contextmanager
def _local_kernel_config() -> Iterator[Any]:
    """Kernel-manager settings for one notebook: IPC sockets in a private temporary folder.

    The kernel runs on this machine, so Unix sockets are enough; over the default TCP transport
    without encryption, ipykernel >= 7 prints a security warning at every kernel start. The socket
    path is absolute (a relative one would be resolved against the kernel's working directory) and
    short (Unix socket paths are limited to about 100 bytes).
    """
    from traitlets.config import Config

    with tempfile.TemporaryDirectory(prefix="sdr-kernel-") as folder:
        yield Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(folder, "k")}})


def execute_notebook(
    book_root: Path,
    doc: TocDocument,
    executed: Path,
    output_dir: Path,
    profile: str,
    device: str,
    kernel: str,
    progress: bool,
    reproduction_dir: Path | None = None,
) -> None:
    """Run ``doc`` of ``book_root`` into ``executed`` with the parameters of one reproduction.

    ``reproduction_dir`` (``<out_root>/<profile>``) is what the pages show paths relative to
    (:func:`sdrlib.book.notebook.display_path`).

    Raises:
        NotebookExecutionError: a cell failed, or the kernel could not run the notebook.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    executed.parent.mkdir(parents=True, exist_ok=True)
    try:
        with kernel_environment(profile, reproduction_dir), _local_kernel_config() as kernel_config:
            papermill.execute_notebook(
                str(book_root / doc.path),
                str(executed),
                parameters={"PROFILE": profile, "DEVICE": device, "OUTPUT_DIR": str(output_dir)},
                kernel_name=kernel,
                cwd=str(executed.parent),
                progress_bar=progress,
                config=kernel_config,
            )
    except PapermillExecutionError as err:
        index, first_line = _failing_cell(executed, err.cell_index)
        raise NotebookExecutionError(doc.path, executed, index, err.ename, err.evalue, first_line) from err
    except Exception as err:
        raise NotebookExecutionError(doc.path, executed, None, type(err).__name__, str(err)) from err
    _hide_injected_parameters(executed)


def _hide_injected_parameters(executed: Path) -> None:
    """Tag papermill's injected cell ``remove-cell``: the page shows the notebook's own parameters
    cell, and ``print(ctx)`` after it shows the values in effect (the injected cell holds local paths)."""
    import nbformat

    notebook = nbformat.read(executed, as_version=4)
    for cell in notebook.cells:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
    atomic_write_text(executed, nbformat.writes(notebook) + "\n")
