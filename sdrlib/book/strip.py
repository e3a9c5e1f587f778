"""Remove outputs and run-specific metadata from notebooks, so that only sources are committed.

Used by ``scripts/strip_notebooks.py`` (``--check`` for CI) and checked by
``tests/test_book_notebooks.py``. Kept: sources, cell tags and ids, the kernelspec. Removed:
outputs, execution counts, papermill/execution/widget metadata, papermill's injected-parameters
and error cells (present when an executed copy is saved over a source by mistake).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat

from sdrlib.utils import atomic_write_text

NOTEBOOK_METADATA_KEPT = ("kernelspec", "language_info")
CELL_METADATA_KEPT = ("tags", "mystnb")
RUN_CELL_TAGS = ("injected-parameters", "papermill-error-cell-tag")


def strip_notebook(notebook: Any) -> bool:
    """Strip ``notebook`` (an ``nbformat`` node) in place; return whether anything changed."""
    snapshot = json.dumps(notebook, sort_keys=True)
    notebook.cells = [
        cell
        for cell in notebook.cells
        if not set(RUN_CELL_TAGS) & set(cell.get("metadata", {}).get("tags", []))
    ]
    for cell in notebook.cells:
        # papermill adds empty tag lists to every cell; an empty list carries nothing.
        cell.metadata = {
            key: value
            for key, value in cell.get("metadata", {}).items()
            if key in CELL_METADATA_KEPT and value
        }
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    metadata = {key: value for key, value in notebook.metadata.items() if key in NOTEBOOK_METADATA_KEPT}
    if "language_info" in metadata:
        metadata["language_info"] = {"name": metadata["language_info"].get("name", "python")}
    notebook.metadata = metadata
    return json.dumps(notebook, sort_keys=True) != snapshot


def strip_file(path: str | Path, check: bool = False) -> bool:
    """Strip the notebook at ``path`` (rewritten atomically unless ``check``); return whether it needed it."""
    path = Path(path)
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    changed = strip_notebook(notebook)
    if changed and not check:
        atomic_write_text(path, nbformat.writes(notebook) + "\n")
    return changed


def notebooks_under(paths: Sequence[str | Path]) -> list[Path]:
    """Every ``.ipynb`` in ``paths`` (files or folders), skipping checkpoints and build folders."""
    found: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_file():
            found.append(entry)
            continue
        if not entry.is_dir():
            raise FileNotFoundError(f"no such file or folder: {entry}")
        found += [
            path
            for path in sorted(entry.rglob("*.ipynb"))
            if not {".ipynb_checkpoints", "_build"} & set(path.relative_to(entry).parts)
        ]
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """``python scripts/strip_notebooks.py [--check] [PATH ...]``: exit 1 in check mode if any needs stripping."""
    parser = argparse.ArgumentParser(description="Strip outputs and run metadata from notebooks.")
    parser.add_argument("paths", nargs="*", default=["book"], help="notebooks or folders (default: book)")
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a notebook needs stripping"
    )
    args = parser.parse_args(argv)
    dirty = [path for path in notebooks_under(args.paths) if strip_file(path, check=args.check)]
    for path in dirty:
        print(f"{'needs stripping' if args.check else 'stripped'}: {path}")
    return 1 if args.check and dirty else 0
