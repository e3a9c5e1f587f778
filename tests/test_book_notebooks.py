"""Every notebook of the book follows the conventions of book/README.md (checked on the sources)."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
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
# A chapter opens with its MyST label (what {ref} and {numref} link to), then its title.
TITLE = re.compile(r"\((chapter|appendix)-[a-z0-9-]+\)=\n# \S")


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


def test_every_cell_has_a_unique_id(notebook_path):
    """nbformat 4.5 cells carry an ``id``; a cell added without one is a warning at every
    execution today and an error in future nbformat versions."""
    cells = json.loads(notebook_path.read_text())["cells"]
    ids = [cell.get("id") for cell in cells]
    assert None not in ids, f"cells {[i for i, v in enumerate(ids) if v is None]} have no id"
    assert len(set(ids)) == len(ids), "cell ids repeat"


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
    assert first.cell_type == "markdown" and TITLE.match(first.source), (
        "first cell: a MyST label '(chapter-x)=' line, then '# Title' and motivation"
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


def _ruff() -> str | None:
    beside = Path(sys.executable).with_name("ruff")
    return str(beside) if beside.exists() else shutil.which("ruff")


@pytest.mark.skipif(_ruff() is None, reason="ruff is a dev dependency (pip install -e '.[dev]')")
def test_notebook_code_is_formatted_to_the_column():
    """The code cells fit the rendered column (book/ruff.toml: 80 characters) and pass ruff's lint,
    undefined names included (a notebook that fails there fails in the book build)."""
    notebooks = [str(path) for path in NOTEBOOKS]
    formatted = subprocess.run(
        [_ruff(), "format", "--check", "--diff", *notebooks], capture_output=True, text=True, cwd=ROOT
    )
    assert formatted.returncode == 0, "run: ruff format book/\n" + formatted.stdout[-3000:]
    linted = subprocess.run(
        [_ruff(), "check", "--output-format", "concise", *notebooks], capture_output=True, text=True, cwd=ROOT
    )
    assert linted.returncode == 0, linted.stdout[-3000:]


def _markdown(notebook) -> str:
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def test_chapters_cite_no_document_the_reader_cannot_open(notebook_path):
    """Provenance lives in the appendix 'Provenance'; the working notes (SDR_SPEC) are not cited."""
    notebook = nbformat.read(notebook_path, as_version=4)
    cited = [
        i
        for i, cell in enumerate(notebook.cells)
        if "SDR_SPEC" in cell.source and "docs/sdr_spec.md" not in cell.source
    ]
    assert not cited, f"cells {cited} cite SDR_SPEC: link {{ref}}`appendix-provenance` instead"


def test_numbered_chapters_end_with_summary_and_exercises():
    toc = (ROOT / "_toc.yml").read_text()
    for doc in toc_documents(ROOT):
        if not doc.is_notebook or doc.path.stem.startswith("00_") or "appendix-" in doc.path.read_text():
            continue
        text = _markdown(nbformat.read(ROOT / doc.path, as_version=4))
        assert "\n## Summary\n" in text and "\n## Exercises\n" in text, (
            f"{doc.path}: summary or exercises missing"
        )
        assert text.index("## Summary") < text.index("## Exercises"), doc.path
    assert toc.count("numbered: true") >= 4, "the chapters are numbered (_toc.yml)"


def test_every_reference_has_a_target():
    """Each {ref}/{numref} label and {eq} in the notebooks is defined somewhere in the book (the
    -W -n build fails otherwise; this says which one, without a build)."""
    labels, equations, used = set(), set(), []
    texts = {
        path: "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells) for path in NOTEBOOKS
    }
    for path, text in texts.items():
        labels |= set(re.findall(r"^\(([a-z0-9-]+)\)=$", text, flags=re.M))
        labels |= set(re.findall(r'"name": "([a-z0-9-]+)"', path.read_text()))  # figure names
        equations |= set(re.findall(r"\$\$ \(([a-z0-9-]+)\)", text))
        used += [
            (path.name, "ref", m) for m in re.findall(r"\{(?:num)?ref\}`(?:[^`<]*<)?([a-z0-9-]+)>?`", text)
        ]
        used += [(path.name, "eq", m) for m in re.findall(r"\{eq\}`([a-z0-9-]+)`", text)]
    from sdrlib.book import provenance

    used += [("provenance.py", "ref", item.label) for item in provenance.ITEMS]
    missing = [u for u in used if u[2] not in (equations if u[1] == "eq" else labels)]
    assert not missing, missing
