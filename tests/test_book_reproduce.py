"""`sdr reproduce --profile smoke` end to end, and the built book in headless Chromium.

One smoke reproduction (module fixture) serves every test here, so the notebooks run once per CI
run: the executed copies also serve the check ``pytest --nbval-lax book/`` made with a second
execution of every notebook (every code cell ran, in order, without an error;
:func:`failed_cells`). The browser test needs Debian's ``chromium`` (installed by
scripts/setup_book_assets.sh) and skips without it; it loads every page once at the reading width
(1280 pixels) and checks that no code line is wider than its column and that every figure has a
numbered caption, and it keeps a screenshot in ``runs/ci-artifacts/`` for CI.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from sdrlib.book import NotebookExecutionError, reproduce
from sdrlib.book.toc import toc_documents

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "runs" / "ci-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=10000",
]


def _digest(paths: list[Path]) -> dict[Path, str]:
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """Run the CLI once; return (run folder, stdout, source digests before and after)."""
    sources = [ROOT / doc.path for doc in toc_documents(ROOT)]
    before = _digest(sources)
    out = tmp_path_factory.mktemp("reproduce")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "sdrlib.cli",
            "reproduce",
            "--profile",
            "smoke",
            "--out",
            str(out),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return out / "smoke", completed.stdout, before, _digest(sources)


def test_reproduce_smoke_executes_every_notebook(smoke_run):
    run_dir, stdout, before, after = smoke_run
    assert before == after, "reproduce must never write over the sources"
    report = json.loads((run_dir / "reproduce.json").read_text())
    notebooks = [doc for doc in toc_documents(ROOT) if doc.is_notebook]
    assert [entry["notebook"] for entry in report["notebooks"]] == [doc.path.as_posix() for doc in notebooks]
    assert report["profile"] == "smoke" and report["build"]["status"] == "ok"
    for entry, doc in zip(report["notebooks"], notebooks, strict=True):
        assert entry["status"] == "ok" and entry["wall_s"] > 0, entry
        executed = nbformat.read(run_dir / entry["executed"], as_version=4)
        injected = [cell for cell in executed.cells if "injected-parameters" in cell.metadata.get("tags", [])]
        assert len(injected) == 1 and 'PROFILE = "smoke"' in injected[0].source
        assert str(run_dir / "outputs" / doc.path.stem) in injected[0].source
        assert any(cell.get("outputs") for cell in executed.cells if cell.cell_type == "code")
        metrics = json.loads((run_dir / entry["output_dir"] / "metrics.json").read_text())
        assert metrics and metrics == entry["metrics"], f"{doc.path}: metrics.json missing or not collected"


def failed_cells(notebook: nbformat.NotebookNode) -> list[str]:
    """The code cells of an executed notebook that did not run, or ran into an error.

    What nbval-lax asserts: every cell executes (an execution count, in order) and none raises,
    except a cell tagged ``raises-exception``. Papermill's per-cell record must agree.
    """
    problems, last = [], 0
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        count, record = cell.get("execution_count"), cell.metadata.get("papermill", {})
        raised = any(output.get("output_type") == "error" for output in cell.get("outputs", []))
        if not isinstance(count, int) or count <= last or record.get("status") != "completed":
            problems.append(f"cell {index} did not run")
        elif (raised or record.get("exception")) and "raises-exception" not in cell.metadata.get("tags", []):
            problems.append(f"cell {index} raised")
        last = count if isinstance(count, int) else last
    return problems


def test_every_cell_of_every_notebook_ran_without_error(smoke_run):
    run_dir = smoke_run[0]
    for doc in (doc for doc in toc_documents(ROOT) if doc.is_notebook):
        executed = nbformat.read(run_dir / "book" / doc.path, as_version=4)
        assert not failed_cells(executed), f"{doc.path}: {failed_cells(executed)}"
        assert executed.metadata["papermill"]["parameters"]["PROFILE"] == "smoke"  # the defaults' profile


def test_failed_cells_finds_skipped_and_raising_cells():
    def executed(*cells):
        notebook = nbformat.v4.new_notebook()
        for count, outputs, tags in cells:
            cell = nbformat.v4.new_code_cell("x = 1", execution_count=count, outputs=outputs)
            cell.metadata.update(tags=tags, papermill={"status": "completed" if count else "pending", "exception": False})
            notebook.cells.append(cell)
        return notebook

    error = nbformat.v4.new_output("error", ename="ValueError", evalue="no", traceback=[])
    assert failed_cells(executed((1, [], []), (2, [], []))) == []
    assert failed_cells(executed((1, [], []), (None, [], []))) == ["cell 1 did not run"]
    assert failed_cells(executed((1, [error], []), (2, [], []))) == ["cell 0 raised"]
    assert failed_cells(executed((1, [error], ["raises-exception"]), (2, [], []))) == []
    assert failed_cells(executed((2, [], []), (1, [], []))) == ["cell 1 did not run"]  # out of order


def test_reproduce_prints_and_saves_the_tables(smoke_run):
    run_dir, stdout, _, _ = smoke_run
    tables = sorted((run_dir / "outputs").glob("*/tables/*.md"))
    assert tables, "the introduction saves at least one table"
    for table in tables:
        caption = table.read_text().splitlines()[0]
        assert caption in stdout, f"{table.name} not printed"
    intro = json.loads((run_dir / "outputs" / "00_introduction" / "metrics.json").read_text())
    assert intro["profile"] == "smoke" and "sdr" in intro["models"]
    assert (run_dir / "tables.md").read_text().strip() in stdout
    assert str(run_dir / "_build" / "html" / "index.html") in stdout


def test_executed_introduction_has_its_figure(smoke_run):
    # tests/conftest.py exports MPLBACKEND=Agg; the kernels must still draw inline.
    executed = nbformat.read(smoke_run[0] / "book" / "book" / "00_introduction.ipynb", as_version=4)
    images = [
        output
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert len(images) == 1, "the pipeline schematic is the introduction's one figure"
    injected = next(cell for cell in executed.cells if "injected-parameters" in cell.metadata.get("tags", []))
    assert "remove-cell" in injected.metadata.tags, "papermill's cell (local paths) stays out of the book"


def test_reproduce_names_the_failing_notebook_and_cell(tmp_path):
    (tmp_path / "_config.yml").write_text("title: failing\n")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: nb/bad\nchapters:\n  - file: nb/never\n")
    (tmp_path / "nb").mkdir()
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for name, cells in {
        "bad": [
            'PROFILE = "smoke"\nDEVICE = "auto"\nOUTPUT_DIR = ""',
            "x = 1",
            "# a comment\n1 / 0",
            "y = 2",
        ],
        "never": ['PROFILE = "smoke"\nDEVICE = "auto"\nOUTPUT_DIR = ""'],
    }.items():
        notebook = nbformat.v4.new_notebook(metadata={"kernelspec": kernelspec})
        notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        notebook.cells[0].metadata["tags"] = ["parameters"]
        nbformat.write(notebook, tmp_path / "nb" / f"{name}.ipynb")
    with pytest.raises(NotebookExecutionError) as info:
        reproduce("smoke", out_root=tmp_path / "runs", book_root=tmp_path, build=False, progress=False)
    err = info.value
    assert (err.notebook, err.cell_index, err.ename) == (Path("nb/bad.ipynb"), 2, "ZeroDivisionError")
    assert "nb/bad.ipynb failed in cell 2 ('# a comment')" in str(err)
    report = json.loads((tmp_path / "runs" / "smoke" / "reproduce.json").read_text())
    assert [entry["status"] for entry in report["notebooks"]] == ["failed", "pending"]
    with pytest.raises(ValueError, match="not a notebook of _toc.yml: nope"):
        reproduce("smoke", book_root=tmp_path, notebooks=["nope"], build=False)


def test_notebooks_run_side_by_side_and_a_failure_stops_the_ones_not_started(tmp_path):
    """``jobs=2``: two kernels at once, each with its share of the cores and the reproduction's
    environment; after a failure the notebooks not yet started are skipped and the failure raised."""
    (tmp_path / "_config.yml").write_text("title: parallel\n")
    toc = "format: jb-book\nroot: nb/slow\nchapters:\n  - file: nb/bad\n  - file: nb/late\n  - file: nb/later\n"
    (tmp_path / "_toc.yml").write_text(toc)
    (tmp_path / "nb").mkdir()
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    seen = tmp_path / "seen.txt"
    slow = f"import os, time\ntime.sleep(6)\nopen({str(seen)!r}, 'w').write(os.environ['SDR_PROFILE'] + ' ' + os.environ['OMP_NUM_THREADS'])"
    for name, body in {"slow": slow, "bad": "1 / 0", "late": "x = 1", "later": "y = 2"}.items():
        notebook = nbformat.v4.new_notebook(metadata={"kernelspec": kernelspec})
        notebook.cells = [nbformat.v4.new_code_cell('PROFILE = "smoke"\nDEVICE = "auto"\nOUTPUT_DIR = ""'),
                          nbformat.v4.new_code_cell(body)]
        notebook.cells[0].metadata["tags"] = ["parameters"]
        nbformat.write(notebook, tmp_path / "nb" / f"{name}.ipynb")
    with pytest.raises(NotebookExecutionError) as info:
        reproduce("smoke", out_root=tmp_path / "runs", book_root=tmp_path, build=False, progress=False, jobs=2)
    assert info.value.notebook == Path("nb/bad.ipynb")
    report = json.loads((tmp_path / "runs" / "smoke" / "reproduce.json").read_text())
    statuses = [entry["status"] for entry in report["notebooks"]]
    assert statuses == ["ok", "failed", "not run (an earlier notebook failed)", "not run (an earlier notebook failed)"]
    threads = max(1, (os.cpu_count() or 1) // 2)
    assert seen.read_text() == f"smoke {threads}", "the slow notebook ran beside the failing one, in its environment"


class _Assets(HTMLParser):
    """Scripts, stylesheets and images a page asks the browser to load."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in {"script", "img"} and values.get("src"):
            self.urls.append((tag, values["src"] or ""))
        if tag == "link" and values.get("href") and values.get("rel") in {"stylesheet", "preload"}:
            self.urls.append((tag, values["href"] or ""))


def _assets(html: str) -> list[tuple[str, str]]:
    parser = _Assets()
    parser.feed(html)
    return parser.urls


# Run in every page (a copy of it, beside it, so that its assets load) after the page has loaded:
# the code blocks whose lines are wider than their column (they would scroll sideways), the display
# formulas wider than the column (MathJax cuts them off), and the figures (images from the
# notebooks' outputs) without a numbered caption. The result goes into an
# attribute of <body>, which --dump-dom prints.
PAGE_CHECK = """<script>
window.addEventListener("load", function () {
  var out = {overflow: [], images: 0, uncaptioned: []};
  document.querySelectorAll("main pre").forEach(function (pre) {
    if (pre.scrollWidth > pre.clientWidth + 1) {
      var lines = pre.textContent.split("\\n").sort(function (a, b) { return b.length - a.length; });
      out.overflow.push(lines[0].slice(0, 120));
    }
  });
  document.querySelectorAll("main div.math mjx-container").forEach(function (formula) {
    if (formula.scrollWidth > formula.clientWidth + 1) {
      out.overflow.push("formula " + (formula.closest("div.math").id || "without a label"));
    }
  });
  document.querySelectorAll("main img").forEach(function (img) {
    if (!/_images\\//.test(img.getAttribute("src") || "")) return;
    out.images += 1;
    var figure = img.closest("figure");
    if (!figure || !figure.querySelector("figcaption .caption-number")) out.uncaptioned.push(img.getAttribute("src"));
  });
  document.body.setAttribute("data-page-check", JSON.stringify(out));
});
</script>"""
READING_WINDOW = "--window-size=1280,2400"  # the column _static/sdr.css and book/ruff.toml are sized for


def _checked_dom(page: Path, profile_dir: Path) -> tuple[str, dict]:
    """The page's DOM after load in headless Chromium, and what :data:`PAGE_CHECK` found."""
    probe = page.with_name(f"_check_{page.name}")
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", PAGE_CHECK + "</body>"), encoding="utf-8"
    )
    try:
        dom = _browser([READING_WINDOW, "--dump-dom", probe.as_uri()], profile_dir)
    finally:
        probe.unlink()
    found = re.search(r'data-page-check="([^"]*)"', dom)
    assert found, f"{page.name}: the page check did not run"
    return dom, json.loads(html_lib.unescape(found.group(1)))


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _browser(args: list[str], profile_dir: Path) -> str:
    command = [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", *args]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


@pytest.mark.skipif(
    _chromium() is None, reason="chromium absent (scripts/setup_book_assets.sh installs it as root)"
)
def test_book_renders_offline_in_headless_chromium(smoke_run, tmp_path):
    run_dir = smoke_run[0]
    html_root = run_dir / "_build" / "html"
    for doc in toc_documents(ROOT):
        page = html_root / f"{doc.docname}.html"
        assert page.is_file(), f"page missing: {page.relative_to(run_dir)}"
        html = page.read_text(encoding="utf-8")
        assert "PosixPath(" not in html, f"{page.name} prints a path object"
        assert str(run_dir) not in html, f"{page.name} shows a folder of the machine that built it"
        if not page.name.startswith("15_provenance"):  # the appendix says what the notes are
            assert "SDR_SPEC" not in html, f"{page.name} cites SDR_SPEC: link the appendix 'Provenance'"
        for tag, url in _assets(html):
            assert not re.match(r"(https?:)?//", url), f"{page.name} loads {url} from the network"
            assert (page.parent / url.split("?")[0]).is_file(), f"{page.name}: {tag} {url} is missing"
        dom, check = _checked_dom(page, tmp_path / "profile")
        assert not check["overflow"], (
            f"{page.name}: code lines or formulas wider than the column: {check['overflow']}"
        )
        assert not check["uncaptioned"], (
            f"{page.name}: figures without a numbered caption: {check['uncaptioned']}"
        )
        assert not [url for _, url in _assets(dom) if re.match(r"(https?:)?//", url)], (
            f"{page.name} fetched a URL"
        )
        formulas = html.count('class="math')
        assert dom.count("<mjx-container") >= formulas, f"{page.name}: MathJax did not typeset every formula"
        if doc.is_notebook:
            executed = nbformat.read(run_dir / "book" / doc.path, as_version=4)
            figures = sum(
                "image/png" in output.get("data", {})
                for cell in executed.cells
                if cell.cell_type == "code"
                for output in cell.outputs
            )
            assert len(re.findall(r"<img[^>]+src=\"[^\"]*_images/", dom)) >= figures, (
                f"{page.name}: figure missing"
            )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "book-introduction.png"
    shot.unlink(missing_ok=True)
    intro = html_root / "book" / "00_introduction.html"
    _browser([f"--screenshot={shot}", "--window-size=1280,2400", intro.as_uri()], tmp_path / "profile")
    assert shot.is_file() and shot.stat().st_size > 10_000
