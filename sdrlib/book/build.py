"""Building the HTML of ``sdr reproduce`` from the executed notebooks.

:func:`prepare_book_copy` makes a buildable copy of the book beside the executed notebooks (with
execution off and the vendored assets linked); :func:`build_book` runs ``jupyter-book build`` on
it, warnings as errors.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from sdrlib.book.display import STATIC_KERNEL_ENV
from sdrlib.book.toc import CONFIG_FILE, TOC_FILE, TocDocument
from sdrlib.utils import atomic_write_text

_IGNORED_IN_COPY = shutil.ignore_patterns(
    "*.ipynb", ".ipynb_checkpoints", "__pycache__", "_build", "conftest.py"
)


class BookBuildError(RuntimeError):
    """``jupyter-book build`` of the executed copy failed or warned."""


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
