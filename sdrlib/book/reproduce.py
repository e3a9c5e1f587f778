"""``sdr reproduce``: execute the book's notebooks for one profile, then build the book from them.

Layout of ``<out_root>/<profile>/``:

- ``book/``: a buildable copy of the book; its notebooks are the executed ones (papermill output,
  never written over the sources) and its ``_config.yml`` has execution turned off.
- ``outputs/<notebook>/``: each notebook's ``OUTPUT_DIR`` (``metrics.json``, ``tables/``...).
- ``_build/html/``: the rendered book (``index.html``); ``build.log``: the build's output.
- ``reproduce.json``: per-notebook status, wall time and outputs; ``tables.md``: every notebook's
  metrics and saved tables, which are also printed.

Notebooks run in ``_toc.yml`` order, each with the parameters ``PROFILE``, ``DEVICE`` and
``OUTPUT_DIR``, and with ``SDR_PROFILE``, ``SDR_STATIC=1`` and the inline matplotlib backend in
the kernel's environment. The run
stops at the first failing notebook with an error naming it and the failing cell. Training runs
come from the engine's cache (``$SDR_CACHE``), so a second reproduction only re-renders.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sdrlib.book.display import STATIC_KERNEL_ENV
from sdrlib.book.notebook import METRICS_FILE, PROFILE_ENV, PROFILES
from sdrlib.book.toc import CONFIG_FILE, TOC_FILE, TocDocument, find_book_root, toc_documents
from sdrlib.utils import atomic_write_json, atomic_write_text

REPORT_FILE = "reproduce.json"
TABLES_FILE = "tables.md"
_IGNORED_IN_COPY = shutil.ignore_patterns(
    "*.ipynb", ".ipynb_checkpoints", "__pycache__", "_build", "conftest.py"
)


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


class BookBuildError(RuntimeError):
    """``jupyter-book build`` of the executed copy failed or warned."""


@dataclass
class NotebookRun:
    """What ``reproduce.json`` records for one notebook (paths relative to ``<out_root>/<profile>``)."""

    notebook: str
    status: str = "pending"
    wall_s: float | None = None
    executed: str | None = None
    output_dir: str | None = None
    metrics: dict[str, Any] | None = None
    tables: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class ReproduceResult:
    """The outcome of :func:`reproduce`.

    Attributes:
        profile: the profile that was run.
        out_dir: ``<out_root>/<profile>``.
        notebooks: one record per notebook of the book, in ``_toc.yml`` order.
        html_index: the built book's ``index.html`` (``None`` without a build).
        build_wall_s: seconds the book build took (``None`` without a build).
        wall_s: seconds for the whole reproduction.
    """

    profile: str
    out_dir: Path
    notebooks: list[NotebookRun]
    html_index: Path | None = None
    build_wall_s: float | None = None
    wall_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "wall_s": round(self.wall_s, 3),
            "build": {
                "status": "ok" if self.html_index else "not built",
                "wall_s": None if self.build_wall_s is None else round(self.build_wall_s, 3),
                "index": None
                if self.html_index is None
                else self.html_index.relative_to(self.out_dir).as_posix(),
            },
            "notebooks": [asdict(run) for run in self.notebooks],
        }

    def tables_markdown(self) -> str:
        """Every notebook's metrics and saved tables, as one Markdown document."""
        parts = [f"# Reproduction: profile {self.profile}\n"]
        for run in self.notebooks:
            if run.status not in {"ok", "failed"}:
                continue
            parts.append(f"## {run.notebook} ({run.status}, {run.wall_s or 0:.1f} s)\n")
            if run.metrics:
                rows = "\n".join(
                    f"| {key} | {_cell(value)} |" for key, value in _flatten(run.metrics).items()
                )
                parts.append(f"| metric | value |\n| --- | --- |\n{rows}\n")
            elif run.status == "ok":
                parts.append(f"(no {METRICS_FILE} written)\n")
            for table in run.tables:
                parts.append((self.out_dir / table).read_text(encoding="utf-8"))
        return "\n".join(parts)


def _flatten(metrics: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(_cell(item) for item in value)
    return str(value).replace("|", "\\|")


@contextlib.contextmanager
def _kernel_environment(profile: str) -> Iterator[None]:
    """Environment inherited by the kernels papermill starts; restored afterwards."""
    wanted = {PROFILE_ENV: profile, **STATIC_KERNEL_ENV}
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


def _select(documents: list[TocDocument], names: Sequence[str] | None) -> list[TocDocument]:
    notebooks = [doc for doc in documents if doc.is_notebook]
    if names is None:
        return notebooks
    by_name: dict[str, TocDocument] = {}
    for doc in notebooks:
        for alias in (doc.path.stem, doc.docname, doc.path.as_posix()):
            by_name[alias] = doc
    unknown = [name for name in names if name not in by_name]
    if unknown:
        known = ", ".join(doc.path.stem for doc in notebooks)
        raise ValueError(f"not a notebook of _toc.yml: {', '.join(unknown)}; known: {known}")
    chosen = {by_name[name].docname for name in names}
    return [doc for doc in notebooks if doc.docname in chosen]


def _support_paths(config: dict[str, Any], book_root: Path) -> list[str]:
    """Files and folders the configuration refers to (vendored MathJax, bibliography, logo...)."""
    sphinx_config = (config.get("sphinx") or {}).get("config") or {}
    html = config.get("html") or {}
    paths = [
        *(sphinx_config.get("html_extra_path") or []),
        *(sphinx_config.get("html_static_path") or []),
        *(config.get("bibtex_bibfiles") or []),
        config.get("logo") or "",
        html.get("favicon") or "",
    ]
    if (book_root / "_static").is_dir():
        paths.append("_static")
    return [path for path in paths if path]


def prepare_book_copy(book_root: Path, documents: list[TocDocument], copy_root: Path) -> None:
    """Make ``copy_root`` a buildable copy of the book, without notebooks and with execution off.

    Raises:
        FileNotFoundError: a file or folder named by ``_config.yml`` is missing (for the vendored
            MathJax: run ``scripts/setup_book_assets.sh``).
    """
    copy_root.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((book_root / CONFIG_FILE).read_text(encoding="utf-8")) or {}
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    atomic_write_text(copy_root / CONFIG_FILE, yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    shutil.copy2(book_root / TOC_FILE, copy_root / TOC_FILE)

    for top in sorted({doc.path.parts[0] for doc in documents if len(doc.path.parts) > 1}):
        shutil.copytree(book_root / top, copy_root / top, ignore=_IGNORED_IN_COPY, dirs_exist_ok=True)
    for doc in documents:
        if not doc.is_notebook:
            (copy_root / doc.path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(book_root / doc.path, copy_root / doc.path)

    for relative in _support_paths(config, book_root):
        source, target = book_root / relative, copy_root / relative
        if not source.exists():
            hint = " (run scripts/setup_book_assets.sh)" if "_vendor" in Path(relative).parts else ""
            raise FileNotFoundError(
                f"{CONFIG_FILE} refers to {relative}, which is missing in {book_root}{hint}"
            )
        if target.exists() or target.is_symlink():
            if not target.is_symlink():
                continue
            target.unlink()
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            # Large vendored folders are linked, not copied; Sphinx follows the link when it copies.
            try:
                target.symlink_to(source.resolve(), target_is_directory=True)
            except OSError:
                shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)


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
    import tempfile

    from traitlets.config import Config

    with tempfile.TemporaryDirectory(prefix="sdr-kernel-") as folder:
        yield Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(folder, "k")}})


def _execute(
    book_root: Path,
    doc: TocDocument,
    executed: Path,
    output_dir: Path,
    profile: str,
    device: str,
    kernel: str,
    progress: bool,
) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    executed.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _kernel_environment(profile), _local_kernel_config() as kernel_config:
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


def _jupyter_book() -> str:
    beside = Path(sys.executable).with_name("jupyter-book")
    found = str(beside) if beside.exists() else shutil.which("jupyter-book")
    if found is None:
        raise FileNotFoundError("jupyter-book is not installed (pip install -e '.[book]')")
    return found


def build_book(copy_root: Path, out_dir: Path, strict: bool = True) -> Path:
    """Build the HTML of ``copy_root`` into ``out_dir/_build/html``; return its ``index.html``.

    Args:
        copy_root: a book whose notebooks are already executed (execution is off in its config).
        out_dir: where ``_build/`` and ``build.log`` go.
        strict: turn warnings into errors (``-W -n --keep-going``), as the tests and CI require.

    Raises:
        BookBuildError: the build failed; the message holds its last warnings, ``build.log`` all.
    """
    command = [_jupyter_book(), "build", str(copy_root), "--path-output", str(out_dir), "--all"]
    if strict:
        command += ["-W", "-n", "--keep-going"]
    env = {**os.environ, **STATIC_KERNEL_ENV}
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    log = out_dir / "build.log"
    atomic_write_text(log, completed.stdout + completed.stderr)
    index = out_dir / "_build" / "html" / "index.html"
    if completed.returncode != 0 or not index.is_file():
        lines = (completed.stdout + completed.stderr).splitlines()
        warnings = [line for line in lines if "WARNING" in line or "ERROR" in line] or lines[-15:]
        raise BookBuildError(
            f"jupyter-book build failed (exit {completed.returncode}); full log in {log}:\n"
            + "\n".join(warnings[-15:])
        )
    return index


def _collect(run: NotebookRun, out_dir: Path, output_dir: Path) -> None:
    metrics_path = output_dir / METRICS_FILE
    run.metrics = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.is_file() else None
    tables = sorted((output_dir / "tables").glob("*.md")) if (output_dir / "tables").is_dir() else []
    run.tables = [table.relative_to(out_dir).as_posix() for table in tables]


def reproduce(
    profile: str,
    out_root: str | Path | None = None,
    book_root: str | Path | None = None,
    notebooks: Sequence[str] | None = None,
    build: bool = True,
    kernel: str = "python3",
    device: str = "auto",
    strict: bool = True,
    progress: bool = True,
) -> ReproduceResult:
    """Execute the book's notebooks for ``profile`` and build the book from the executed copies.

    Args:
        profile: one of :data:`sdrlib.book.PROFILES`.
        out_root: results go to ``<out_root>/<profile>`` (default ``<book root>/runs``).
        book_root: folder with ``_toc.yml`` (default: found by :func:`find_book_root`).
        notebooks: run only these (file stems or ``_toc.yml`` names); the others keep their
            executed copy from an earlier run, or are copied unexecuted when there is none.
        build: build the HTML after executing.
        kernel: Jupyter kernel name.
        device: ``DEVICE`` parameter passed to every notebook.
        strict: build with warnings as errors.
        progress: print per-notebook lines and papermill's progress bars.

    Raises:
        ValueError: unknown profile or notebook name.
        NotebookExecutionError: a notebook failed (``reproduce.json`` records the run so far).
        BookBuildError: the book build failed.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
    started = time.perf_counter()
    book_root = Path(book_root).resolve() if book_root is not None else find_book_root()
    documents = toc_documents(book_root)
    selected = _select(documents, notebooks)
    out_dir = (Path(out_root) if out_root is not None else book_root / "runs").resolve() / profile
    copy_root = out_dir / "book"
    prepare_book_copy(book_root, documents, copy_root)

    runs = [NotebookRun(notebook=doc.path.as_posix()) for doc in documents if doc.is_notebook]
    result = ReproduceResult(profile=profile, out_dir=out_dir, notebooks=runs)
    report = out_dir / REPORT_FILE
    chosen = {doc.docname for doc in selected}
    notebook_docs = [doc for doc in documents if doc.is_notebook]

    def save() -> None:
        result.wall_s = time.perf_counter() - started
        atomic_write_json(report, result.to_json())

    for position, (doc, run) in enumerate(zip(notebook_docs, runs, strict=True), start=1):
        executed = copy_root / doc.path
        output_dir = out_dir / "outputs" / doc.path.stem
        run.executed = executed.relative_to(out_dir).as_posix()
        run.output_dir = output_dir.relative_to(out_dir).as_posix()
        if doc.docname not in chosen:
            if not executed.exists():
                shutil.copy2(book_root / doc.path, executed)
                run.status = "not run (source copied)"
            else:
                run.status = "not run (earlier copy kept)"
            continue
        if progress:
            print(f"[{position}/{len(notebook_docs)}] {doc.path.as_posix()} (profile {profile})", flush=True)
        shutil.rmtree(output_dir, ignore_errors=True)
        tick = time.perf_counter()
        try:
            _execute(book_root, doc, executed, output_dir, profile, device, kernel, progress)
        except NotebookExecutionError as err:
            run.status, run.error = "failed", str(err)
            run.wall_s = round(time.perf_counter() - tick, 3)
            _collect(run, out_dir, output_dir)
            save()
            raise
        run.status, run.wall_s = "ok", round(time.perf_counter() - tick, 3)
        _collect(run, out_dir, output_dir)
        save()
        if progress:
            note = "" if run.metrics is not None else f"; warning: no {METRICS_FILE} written"
            print(f"    done in {run.wall_s:.1f} s{note}", flush=True)

    if build:
        tick = time.perf_counter()
        if progress:
            print(f"building the book from {copy_root}", flush=True)
        result.html_index = build_book(copy_root, out_dir, strict=strict)
        result.build_wall_s = time.perf_counter() - tick
    save()
    atomic_write_text(out_dir / TABLES_FILE, result.tables_markdown())
    return result
