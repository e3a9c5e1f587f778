"""Showing library code, tables and widgets the same way in Jupyter and in the rendered book.

Outputs are emitted as Markdown (with a plain-text fallback): Jupyter renders it, and the book
(``nb_render_markdown_format: myst`` in ``_config.yml``) turns it into the theme's own highlighted
code blocks and tables, so a page never depends on inline styles.

Widgets need a live kernel with a frontend. A kernel cannot see whether a frontend is attached,
so :func:`is_static` asks the environment: ``SDR_STATIC=1`` means no frontend, ``SDR_STATIC=0``
forces widgets; unset, widgets are shown whenever the code runs in an IPython kernel with
ipywidgets installed. ``sdr reproduce``, ``book/conftest.py`` (nbval) and the
``sdrlib.book.sphinx_ext`` extension (``jupyter-book build``) give their kernels
:data:`STATIC_KERNEL_ENV`.

IPython and matplotlib are imported inside the functions: ``sdr --help`` imports this module (for
``sdr reproduce``'s options) and stays fast without them; ipywidgets is optional.
"""

from __future__ import annotations

import inspect
import os
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sdrlib
from sdrlib.book.notebook import NotebookContext, SavedPath
from sdrlib.utils import atomic_write_text

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

STATIC_ENV = "SDR_STATIC"
# What a kernel without a frontend needs: static outputs, and figures drawn inline even when the
# parent process chose a headless backend (MPLBACKEND=Agg would leave the notebook without figures).
STATIC_KERNEL_ENV = {STATIC_ENV: "1", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_TABLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _display_markdown(markdown: str, plain: str) -> None:
    from IPython.display import display

    display({"text/markdown": markdown, "text/plain": plain}, raw=True)


def show_markdown(markdown: str) -> None:
    """Display generated Markdown (a banner, a paragraph read from the page's numbers)."""
    _display_markdown(markdown, markdown)


def _fence(code: str) -> str:
    """A backtick fence longer than any backtick run inside ``code``."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)


def source_markdown(obj: Any) -> str:
    """Markdown for :func:`show_source`: a caption naming the object and file, then its source.

    Raises:
        TypeError: ``obj`` has no Python source (a builtin, an instance, a C extension).
    """
    try:
        lines, start = inspect.getsourcelines(obj)
        source_file = inspect.getsourcefile(obj)
    except (OSError, TypeError) as err:
        raise TypeError(f"no Python source for {obj!r}: pass a module, class, function or method") from err
    code = textwrap.dedent("".join(lines))
    qualname = getattr(obj, "__qualname__", getattr(obj, "__name__", type(obj).__name__))
    module = getattr(obj, "__module__", None) or getattr(obj, "__name__", "")
    name = qualname if module == qualname else f"{module}.{qualname}"
    where = _relative_source_path(source_file)
    fence = _fence(code)
    return f"`{name}` ({where}, line {start or 1})\n\n{fence}python\n{code.rstrip()}\n{fence}\n"


def _relative_source_path(source_file: str | None) -> str:
    if source_file is None:
        return "unknown file"
    path = Path(source_file).resolve()
    package_root = Path(sdrlib.__file__).resolve().parent.parent
    return path.relative_to(package_root).as_posix() if path.is_relative_to(package_root) else path.name


def show_source(obj: Any) -> None:
    """Display the source code of a library object as highlighted Python.

    Used by the component chapters to show the code they explain, so the book always shows the
    code that actually runs.

    Raises:
        TypeError: ``obj`` has no Python source.
    """
    markdown = source_markdown(obj)
    _display_markdown(markdown, inspect.getsource(obj))


def table_markdown(df: pd.DataFrame, caption: str, floatfmt: str = ".3f", index: bool = False) -> str:
    """Markdown for :func:`show_table`: the caption in bold, then a pipe table."""
    if not caption.strip():
        raise ValueError("a table needs a caption that says what it shows")
    return f"**{caption.strip()}**\n\n{df.to_markdown(index=index, floatfmt=floatfmt)}\n"


def show_table(
    df: pd.DataFrame,
    caption: str,
    ctx: NotebookContext | None = None,
    name: str | None = None,
    floatfmt: str = ".3f",
    index: bool = False,
) -> Path | None:
    """Display ``df`` as a captioned table; with ``ctx`` and ``name`` also save it for ``sdr reproduce``.

    Saving writes ``OUTPUT_DIR/tables/<name>.md`` (what is displayed) and ``<name>.csv`` (full
    precision); ``sdr reproduce`` prints every saved table at the end of a reproduction.

    Args:
        df: the table.
        caption: one line saying what the table shows (and, for results, on which data).
        ctx: the notebook's context, from :func:`setup_notebook`.
        name: file name without suffix, e.g. ``"table1"``.
        floatfmt: format of floating-point cells.
        index: include the DataFrame index as the first column.

    Returns:
        The path of the saved Markdown file, or ``None`` when not saved.

    Raises:
        ValueError: only one of ``ctx`` and ``name`` was given, ``name`` is not a plain file name,
            or the caption is empty.
    """
    if (ctx is None) != (name is None):
        raise ValueError("pass both ctx and name to save the table, or neither to only display it")
    markdown = table_markdown(df, caption, floatfmt=floatfmt, index=index)
    saved = None
    if ctx is not None and name is not None:
        if not _TABLE_NAME.match(name):
            raise ValueError(f"table name must be a plain file name such as 'table1', got {name!r}")
        saved = SavedPath(atomic_write_text(ctx.tables_dir / f"{name}.md", markdown))
        atomic_write_text(ctx.tables_dir / f"{name}.csv", df.to_csv(index=index))
    _display_markdown(markdown, f"{caption.strip()}\n{df.to_string(index=index)}")
    return saved


def is_static() -> bool:
    """Whether outputs must be static (no frontend to draw widgets); see the module docstring.

    Raises:
        ValueError: ``SDR_STATIC`` holds something other than a yes/no value.
    """
    flag = os.environ.get(STATIC_ENV, "").strip().lower()
    if flag in _TRUE:
        return True
    if flag in _FALSE:
        return False
    if flag:
        raise ValueError(f"{STATIC_ENV} must be 1 or 0, got {flag!r}")
    try:  # optional: the book extra (pip install -e '.[book]')
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return True
    shell = get_ipython()
    return shell is None or getattr(shell, "kernel", None) is None


def interactive_or_static(
    build_widget: Callable[[], Any],
    static_figure: Callable[[], Figure | None],
) -> None:
    """Show an ipywidget in a live notebook, and a static figure everywhere else.

    Only the branch that is shown is built. A figure returned by ``static_figure`` is displayed
    and closed (so the inline backend does not show it twice).

    Args:
        build_widget: returns the widget to display (e.g. ``ipywidgets.interactive(...)``).
        static_figure: draws the figure for papermill, nbval and the book build; returns it.
    """
    from IPython.display import display

    if not is_static():
        display(build_widget())
        return
    figure = static_figure()
    if figure is not None:
        import matplotlib.pyplot as plt

        display(figure)
        plt.close(figure)
