"""Every notebook of the book follows the conventions of book/README.md (checked on the sources)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import papermill
import pytest

from sdrlib.book.strip import main as strip_main
from sdrlib.book.strip import strip_notebook
from sdrlib.book.toc import toc_documents

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOTEBOOKS = sorted(
    path for path in BOOK.rglob("*.ipynb") if not {".ipynb_checkpoints", "_build"} & set(path.parts)
)
REQUIRED = {"PROFILE": "smoke", "DEVICE": "auto", "OUTPUT_DIR": ""}


def _tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _parameters_cell(notebook) -> int:
    indices = [i for i, cell in enumerate(notebook.cells) if "parameters" in _tags(cell)]
    assert len(indices) == 1, f"expected exactly one cell tagged 'parameters', found {len(indices)}"
    assert notebook.cells[indices[0]].cell_type == "code"
    return indices[0]


def test_book_has_notebooks_and_toc_lists_them_all():
    listed = {doc.path for doc in toc_documents(ROOT) if doc.is_notebook}
    present = {path.relative_to(ROOT) for path in NOTEBOOKS}
    assert Path("book/00_introduction.ipynb") in listed
    assert present == listed, (
        f"not in _toc.yml: {sorted(present - listed)}; missing: {sorted(listed - present)}"
    )


@pytest.fixture(params=NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def notebook_path(request) -> Path:
    return request.param


def test_no_outputs_committed(notebook_path):
    notebook = nbformat.read(notebook_path, as_version=4)
    dirty = [
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count)
    ]
    assert not dirty, f"cells {dirty} hold outputs: run python scripts/strip_notebooks.py"
    assert not strip_notebook(notebook), "run metadata present: run python scripts/strip_notebooks.py"


def test_kernel_is_python3(notebook_path):
    notebook = nbformat.read(notebook_path, as_version=4)
    assert notebook.metadata["kernelspec"]["name"] == "python3"


def test_parameters_cell_holds_literals_only(notebook_path):
    notebook = nbformat.read(notebook_path, as_version=4)
    source = notebook.cells[_parameters_cell(notebook)].source
    values = {}
    for node in ast.parse(source).body:
        assert isinstance(node, (ast.Assign, ast.AnnAssign)), f"not an assignment: {ast.unparse(node)}"
        target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
        assert isinstance(target, ast.Name), f"assign to a plain name: {ast.unparse(node)}"
        values[target.id] = ast.literal_eval(node.value)
    for name, default in REQUIRED.items():
        assert values.get(name) == default, f"{name} must default to {default!r}"
    # papermill must parse every line, or it cannot document or override the parameter.
    assert set(papermill.inspect_notebook(str(notebook_path))) == set(values)


def test_setup_follows_parameters_and_metrics_are_written(notebook_path):
    notebook = nbformat.read(notebook_path, as_version=4)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), (
        "first cell: '# Title' and motivation"
    )
    after = next(
        cell for cell in notebook.cells[_parameters_cell(notebook) + 1 :] if cell.cell_type == "code"
    )
    call = re.search(r"setup_notebook\(\s*globals\(\)\s*,\s*[\"']([^\"']+)[\"']", after.source)
    assert call, "the cell after the parameters must call setup_notebook(globals(), '<file stem>')"
    assert call.group(1) == notebook_path.stem
    assert any("write_metrics(" in cell.source for cell in notebook.cells if cell.cell_type == "code")


def test_strip_removes_outputs_and_run_metadata(tmp_path):
    kernelspec = {"name": "python3", "display_name": "Python 3"}
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": kernelspec, "papermill": {"x": 1}})
    notebook.cells = [
        nbformat.v4.new_code_cell("A = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("A = 2", metadata={"tags": ["injected-parameters"]}),
        nbformat.v4.new_code_cell(
            "print(A)",
            execution_count=3,
            outputs=[nbformat.v4.new_output("stream", text="1\n")],
            metadata={"tags": [], "execution": {"iopub.status.busy": "2026-01-01T00:00:00Z"}},
        ),
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(notebook, path)
    assert strip_main(["--check", str(tmp_path)]) == 1
    assert strip_main([str(path)]) == 0
    assert strip_main(["--check", str(path)]) == 0
    stripped = nbformat.read(path, as_version=4)
    assert [cell["source"] for cell in stripped["cells"]] == ["A = 1", "print(A)"]
    assert stripped["cells"][1]["outputs"] == [] and stripped["cells"][1]["execution_count"] is None
    assert stripped["cells"][1]["metadata"] == {}
    assert stripped["cells"][0]["metadata"] == {"tags": ["parameters"]}
    assert stripped["metadata"] == {"kernelspec": kernelspec}
