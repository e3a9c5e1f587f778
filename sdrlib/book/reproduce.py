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
the kernel's environment. The run stops at the first failing notebook with an error naming it and
the failing cell. Training runs come from the engine's cache (``$SDR_CACHE``), so a second
reproduction only re-renders; before the notebooks, every run the chosen results chapters read is
trained and scored in one worker pool (:mod:`sdrlib.book.prefetch`).
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sdrlib.book.build import build_book, prepare_book_copy
from sdrlib.book.execute import NotebookExecutionError, execute_notebook, kernel_environment
from sdrlib.book.notebook import METRICS_FILE, PROFILES
from sdrlib.book.toc import TocDocument, find_book_root, toc_documents
from sdrlib.utils import atomic_write_json, atomic_write_text

REPORT_FILE = "reproduce.json"
TABLES_FILE = "tables.md"


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
        prefetched_runs: runs trained or scored before the notebooks (``None``: no prefetch).
        prefetch_wall_s: seconds that took.
        wall_s: seconds for the whole reproduction.
    """

    profile: str
    out_dir: Path
    notebooks: list[NotebookRun]
    html_index: Path | None = None
    build_wall_s: float | None = None
    prefetched_runs: int | None = None
    prefetch_wall_s: float | None = None
    wall_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "wall_s": round(self.wall_s, 3),
            "prefetch": {"runs": self.prefetched_runs, "wall_s": self.prefetch_wall_s},
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


def _collect(run: NotebookRun, out_dir: Path, output_dir: Path) -> None:
    metrics_path = output_dir / METRICS_FILE
    run.metrics = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.is_file() else None
    tables = sorted((output_dir / "tables").glob("*.md")) if (output_dir / "tables").is_dir() else []
    run.tables = [table.relative_to(out_dir).as_posix() for table in tables]


@dataclass
class _NotebookJob:
    """Executes one chosen notebook of a reproduction and records it in its :class:`NotebookRun`;
    returns the :class:`NotebookExecutionError` instead of raising it (several may run at once).
    ``bars``: papermill's progress bars (one notebook at a time only)."""

    book_root: Path
    out_dir: Path
    total: int
    profile: str
    device: str
    kernel: str
    progress: bool
    bars: bool
    stop: threading.Event = field(default_factory=threading.Event)

    def __call__(self, position: int, doc: TocDocument, run: NotebookRun) -> NotebookExecutionError | None:
        if self.stop.is_set():
            run.status = "not run (an earlier notebook failed)"
            return None
        name = f"[{position}/{self.total}] {doc.path.as_posix()}"
        if self.progress and self.bars:
            print(f"{name} (profile {self.profile})", flush=True)
        executed, output_dir = self.out_dir / run.executed, self.out_dir / run.output_dir
        shutil.rmtree(output_dir, ignore_errors=True)
        tick = time.perf_counter()
        error = None
        try:
            execute_notebook(
                self.book_root,
                doc,
                executed,
                output_dir,
                self.profile,
                self.device,
                self.kernel,
                self.progress and self.bars,
                self.out_dir,
            )
            run.status = "ok"
        except NotebookExecutionError as err:
            run.status, run.error, error = "failed", str(err), err
            self.stop.set()
        run.wall_s = round(time.perf_counter() - tick, 3)
        _collect(run, self.out_dir, output_dir)
        if self.progress and error is None:
            note = "" if run.metrics is not None else f"; warning: no {METRICS_FILE} written"
            print(
                f"    done in {run.wall_s:.1f} s{note}"
                if self.bars
                else f"{name} done in {run.wall_s:.1f} s{note}",
                flush=True,
            )
        return error


def _execute_in_parallel(
    one: _NotebookJob, todo: list[tuple[int, TocDocument, NotebookRun]], jobs: int, save: Callable[[], None]
) -> list[NotebookExecutionError]:
    """Run the notebooks ``jobs`` at a time (each kernel with its share of the cores); after a failure
    the ones not started are skipped. Returns the failures in ``_toc.yml`` order."""
    threads = str(max(1, (os.cpu_count() or 1) // jobs))
    errors: dict[int, NotebookExecutionError] = {}
    # the kernels' environment is set once for all of them: entering and leaving it per notebook
    # from several threads would undo it under a kernel that is starting
    with kernel_environment(one.profile, one.out_dir, {"OMP_NUM_THREADS": threads}):
        with cf.ThreadPoolExecutor(jobs) as pool:
            futures = {pool.submit(one, *item): item[0] for item in todo}
            for future in cf.as_completed(futures):
                error = future.result()
                if error is not None:
                    errors[futures[future]] = error
                save()
    return [errors[position] for position in sorted(errors)]


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
    prefetch: bool = True,
    jobs: int | None = None,
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
        prefetch: first train and score every run the chosen results notebooks read, in one
            worker pool (:func:`~sdrlib.book.prefetch.prefetch_book_runs`); the notebooks then
            read the cache. Without it each notebook trains its own grid.
        jobs: notebooks executed at once (default: the profile's ``experiments.workers``), each
            kernel with its share of the cores; the rendered pages are the same as one at a time.

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

    # here, not at the top: the grids and the studies import torch, and `sdr --help` imports this module
    from sdrlib.book.prefetch import NOTEBOOK_GRIDS, prefetch_book_runs
    from sdrlib.engine.profiles import Profile

    chosen_stems = [doc.path.stem for doc in notebook_docs if doc.docname in chosen]
    if prefetch and any(stem in NOTEBOOK_GRIDS for stem in chosen_stems):
        tick = time.perf_counter()
        if progress:
            print(f"training and scoring the runs of the results chapters (profile {profile})", flush=True)
        result.prefetched_runs = prefetch_book_runs(profile, chosen_stems, progress)
        result.prefetch_wall_s = round(time.perf_counter() - tick, 3)
        save()
        if progress:
            print(f"    {result.prefetched_runs} runs in {result.prefetch_wall_s:.1f} s", flush=True)

    todo = []
    for position, (doc, run) in enumerate(zip(notebook_docs, runs, strict=True), start=1):
        executed = copy_root / doc.path
        run.executed = executed.relative_to(out_dir).as_posix()
        run.output_dir = (out_dir / "outputs" / doc.path.stem).relative_to(out_dir).as_posix()
        if doc.docname in chosen:
            todo.append((position, doc, run))
        elif not executed.exists():
            shutil.copy2(book_root / doc.path, executed)
            run.status = "not run (source copied)"
        else:
            run.status = "not run (earlier copy kept)"
    jobs = max(1, int(jobs if jobs is not None else Profile.load(profile).workers))
    one = _NotebookJob(book_root, out_dir, len(notebook_docs), profile, device, kernel, progress, jobs == 1)
    if jobs == 1 or len(todo) < 2:
        for position, doc, run in todo:
            error = one(position, doc, run)
            save()
            if error is not None:
                raise error
    else:
        errors = _execute_in_parallel(one, todo, jobs, save)
        if errors:
            raise errors[0]

    if build:
        tick = time.perf_counter()
        if progress:
            print(f"building the book from {copy_root}", flush=True)
        result.html_index = build_book(copy_root, out_dir, strict=strict)
        result.build_wall_s = time.perf_counter() - tick
    save()
    atomic_write_text(out_dir / TABLES_FILE, result.tables_markdown())
    return result
