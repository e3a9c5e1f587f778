"""sdrlib.book notebook helpers: profile precedence, outputs, metrics, tables, source, widgets, toc."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import sdrlib.book as book
from sdrlib.book.display import source_markdown, table_markdown
from sdrlib.book.notebook import resolve_profile
from sdrlib.book.overview import pipeline_figure, subpackages
from sdrlib.book.toc import find_book_root, toc_documents
from sdrlib.cli import main as cli_main


@pytest.fixture
def fake_book(tmp_path, monkeypatch) -> Path:
    """An empty book root as the working directory, so default outputs land in tmp_path."""
    (tmp_path / "_config.yml").write_text("title: test\n")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    (tmp_path / "intro.md").write_text("# Intro\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SDR_PROFILE", raising=False)
    return tmp_path


def _params(**overrides) -> dict:
    return {"PROFILE": "smoke", "DEVICE": "cpu", "OUTPUT_DIR": "", **overrides}


@pytest.mark.parametrize(
    ("parameter", "env", "expected"),
    [
        ("smoke", None, "smoke"),
        ("smoke", "tiny", "tiny"),
        ("paper", "tiny", "paper"),
        ("synth-gpu", None, "synth-gpu"),
        ("smoke", "", "smoke"),
    ],
)
def test_profile_precedence(monkeypatch, parameter, env, expected):
    if env is None:
        monkeypatch.delenv("SDR_PROFILE", raising=False)
    else:
        monkeypatch.setenv("SDR_PROFILE", env)
    assert resolve_profile(parameter) == expected


def test_unknown_profile_names_its_source(monkeypatch):
    monkeypatch.setenv("SDR_PROFILE", "huge")
    with pytest.raises(ValueError, match=r"\$SDR_PROFILE is 'huge'"):
        resolve_profile("smoke")
    with pytest.raises(ValueError, match="PROFILE is 'big'"):
        resolve_profile("big")


def test_setup_notebook_defaults_and_write_back(fake_book, monkeypatch):
    monkeypatch.setenv("SDR_PROFILE", "tiny")
    namespace = _params()
    ctx = book.setup_notebook(namespace, "03_demo", seed=5)
    assert ctx.profile == "tiny" and ctx.device == torch.device("cpu") and ctx.seed == 5
    assert ctx.output_dir == fake_book / "runs" / "tiny" / "notebooks" / "03_demo"
    assert ctx.output_dir.is_dir()
    assert namespace == {"PROFILE": "tiny", "DEVICE": "cpu", "OUTPUT_DIR": str(ctx.output_dir)}
    assert "runs/tiny/notebooks/03_demo" in str(ctx)
    first = torch.rand(3)
    book.setup_notebook(_params(), "03_demo", seed=5)
    assert torch.equal(first, torch.rand(3)), "the same seed must give the same draws"


def test_setup_notebook_output_dir_relative_to_book_root(fake_book, tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    ctx = book.setup_notebook(_params(OUTPUT_DIR="elsewhere/out"), "x")
    assert ctx.output_dir == fake_book / "elsewhere" / "out"
    absolute = tmp_path / "abs"
    assert book.setup_notebook(_params(OUTPUT_DIR=str(absolute)), "x").output_dir == absolute


def test_pages_show_paths_relative_to_the_reproduction_folder(tmp_path, monkeypatch):
    """What ``sdr reproduce`` renders: the kernel runs in the book copy ``<repro>/book``, and each
    notebook writes to ``<repro>/outputs/<name>``; no page may show this machine's folders."""
    from sdrlib.book.execute import kernel_environment

    repro = tmp_path / "runs" / "tiny"
    copy = repro / "book"
    copy.mkdir(parents=True)
    (copy / "_config.yml").write_text("title: test\n")
    (copy / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    monkeypatch.chdir(copy)
    monkeypatch.delenv("SDR_REPRODUCTION_DIR", raising=False)
    with kernel_environment("tiny", repro):
        ctx = book.setup_notebook(_params(OUTPUT_DIR=str(repro / "outputs" / "03_demo")), "03_demo")
        shown = str(ctx)
        video = book.display_path(repro / "outputs" / "03_demo" / "demo.mp4")
    assert shown.endswith("outputs in outputs/03_demo") and str(tmp_path) not in shown
    assert video == "outputs/03_demo/demo.mp4"
    assert book.display_path(copy / "book" / "01_data.ipynb") == "book/01_data.ipynb"  # the book root
    assert book.display_path("/somewhere/else/clip.mp4") == ".../clip.mp4"  # never absolute


@pytest.mark.parametrize(
    ("namespace", "name", "message"),
    [
        ({"PROFILE": "smoke", "DEVICE": "cpu"}, "x", "must define OUTPUT_DIR"),
        (_params(DEVICE=0), "x", "DEVICE must be a string"),
        (_params(DEVICE="tpu"), "x", "unknown device"),
        (_params(), "00_intro.ipynb", "file stem"),
        (_params(), "book/00_intro", "file stem"),
    ],
)
def test_setup_notebook_rejects_bad_parameters(fake_book, namespace, name, message):
    with pytest.raises(ValueError, match=message):
        book.setup_notebook(namespace, name)


def test_write_metrics_merges_and_sanitises(fake_book):
    ctx = book.setup_notebook(_params(), "m", seed=None)
    book.write_metrics(ctx, {"auc": np.float32(0.75), "kept": 1, "curve": np.arange(3)})
    path = book.write_metrics(ctx, {"auc": 0.5, "nan": math.nan, "nested": {"x": torch.tensor(2.0)}})
    assert path == ctx.output_dir / "metrics.json"
    shell = pytest.importorskip("IPython.core.formatters").DisplayFormatter()
    assert shell.format(path) == ({}, {}), "a saved path puts nothing on the page"
    data = json.loads(path.read_text())
    assert data == {"auc": 0.5, "kept": 1, "curve": [0, 1, 2], "nan": None, "nested": {"x": 2.0}}


def test_write_metrics_rejects_bad_input(fake_book):
    ctx = book.setup_notebook(_params(), "m", seed=None)
    with pytest.raises(TypeError, match="mapping"):
        book.write_metrics(ctx, [("a", 1)])
    with pytest.raises(TypeError, match="names must be strings"):
        book.write_metrics(ctx, {1: 2})
    with pytest.raises(TypeError, match="got object"):
        book.write_metrics(ctx, {"a": object()})
    ctx.metrics_path.write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a JSON object"):
        book.write_metrics(ctx, {"a": 1})


def test_show_table_displays_and_saves(fake_book, capsys):
    ctx = book.setup_notebook(_params(), "t", seed=None)
    df = pd.DataFrame({"model": ["ftcn", "sdr"], "auc": [0.81234, 0.9]})
    saved = book.show_table(df, "Video AUC on SynthDF", ctx, "table2")
    assert saved == ctx.tables_dir / "table2.md"
    text = saved.read_text()
    assert text.startswith("**Video AUC on SynthDF**") and "| sdr" in text and "0.812" in text
    assert pd.read_csv(ctx.tables_dir / "table2.csv")["auc"].tolist() == [0.81234, 0.9]
    assert "Video AUC on SynthDF" in capsys.readouterr().out
    assert book.show_table(df, "only shown") is None
    with pytest.raises(ValueError, match="both ctx and name"):
        book.show_table(df, "x", ctx)
    with pytest.raises(ValueError, match="plain file name"):
        book.show_table(df, "x", ctx, "../escape")
    with pytest.raises(ValueError, match="caption"):
        table_markdown(df, "  ")


def _with_backticks():
    """Example: ```code``` inside a docstring."""
    return 1


def test_source_markdown_names_the_object_and_fences_safely():
    markdown = source_markdown(resolve_profile)
    assert markdown.startswith("`sdrlib.book.notebook.resolve_profile` (sdrlib/book/notebook.py, line ")
    assert "```python\ndef resolve_profile(" in markdown
    method = source_markdown(book.NotebookContext.__str__)
    assert "\ndef __str__(self)" in method, "methods are dedented"
    assert "````python" in source_markdown(_with_backticks)
    with pytest.raises(TypeError, match="no Python source"):
        source_markdown(len)


def test_static_flag(monkeypatch):
    for value, expected in (("1", True), ("true", True), ("0", False), ("no", False)):
        monkeypatch.setenv("SDR_STATIC", value)
        assert book.is_static() is expected
    monkeypatch.setenv("SDR_STATIC", "maybe")
    with pytest.raises(ValueError, match="SDR_STATIC"):
        book.is_static()
    monkeypatch.delenv("SDR_STATIC")
    assert book.is_static(), "outside a kernel there is no frontend"


def test_interactive_or_static_builds_only_one_branch(monkeypatch):
    calls = []

    def widget():
        calls.append("widget")
        return "a widget"

    def figure():
        calls.append("figure")
        return pipeline_figure(2)

    monkeypatch.setenv("SDR_STATIC", "1")
    assert book.interactive_or_static(widget, figure) is None
    monkeypatch.setenv("SDR_STATIC", "0")
    book.interactive_or_static(widget, figure)
    assert calls == ["figure", "widget"]


def test_pipeline_figure_and_subpackages():
    import matplotlib.pyplot as plt

    fig = pipeline_figure(5)
    labels = [text.get_text() for text in fig.axes[0].texts]
    assert sum(label.startswith("TPA") for label in labels) == 5
    plt.close(fig)
    with pytest.raises(ValueError, match="between 1 and 8"):
        pipeline_figure(0)
    table = subpackages()
    assert {"sdrlib.book", "sdrlib.models", "sdrlib.utils"} <= set(table["sub-package"])
    assert (table["what it holds"].str.len() > 0).all(), "every sub-package has a docstring"


def test_toc_order_parts_sections_and_globs(tmp_path):
    for name in ["intro.md", "a/one.ipynb", "a/two.md", "a/three.ipynb", "b/x1.md", "b/x2.md", "extra.md"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}" if name.endswith(".ipynb") else "# t\n")
    (tmp_path / "_config.yml").write_text("title: t\n")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n"
        "  - caption: P1\n    chapters:\n"
        "      - file: a/one\n        sections:\n          - file: a/three\n"
        "      - file: a/two\n"
        "      - url: https://example.org\n        title: Web\n"
        "  - caption: P2\n    chapters:\n      - glob: b/*\n"
    )
    docs = toc_documents(tmp_path)
    assert [doc.docname for doc in docs] == ["intro", "a/one", "a/three", "a/two", "b/x1", "b/x2"]
    assert [doc.is_notebook for doc in docs] == [False, True, True, False, False, False]
    assert find_book_root(tmp_path / "a") == tmp_path
    (tmp_path / "a" / "two.md").unlink()
    with pytest.raises(FileNotFoundError, match="a/two"):
        toc_documents(tmp_path)
    (tmp_path / "_toc.yml").write_text("format: jb-book\n")
    with pytest.raises(ValueError, match="not a valid table of contents"):
        toc_documents(tmp_path)


def test_cli_rejects_unknown_profile(capsys):
    assert cli_main(["reproduce", "--profile", "huge", "--no-build"]) == 2
    assert "unknown profile 'huge'" in capsys.readouterr().err
