"""The book's machinery: notebook helpers and the ``sdr reproduce`` runner.

Notebook authors use :func:`setup_notebook`, :func:`write_metrics`, :func:`show_source`,
:func:`show_table` and :func:`interactive_or_static` (conventions in ``book/README.md``);
:func:`reproduce` executes the book's notebooks with papermill and builds the HTML from the
executed copies.
"""

from sdrlib.book.display import interactive_or_static, is_static, show_markdown, show_source, show_table
from sdrlib.book.execute import NotebookExecutionError
from sdrlib.book.notebook import PROFILES, NotebookContext, display_path, setup_notebook, write_metrics
from sdrlib.book.reproduce import ReproduceResult, reproduce
from sdrlib.book.toc import TocDocument, find_book_root, toc_documents

__all__ = [
    "PROFILES",
    "NotebookContext",
    "NotebookExecutionError",
    "ReproduceResult",
    "TocDocument",
    "display_path",
    "find_book_root",
    "interactive_or_static",
    "is_static",
    "reproduce",
    "show_markdown",
    "setup_notebook",
    "show_source",
    "show_table",
    "toc_documents",
    "write_metrics",
]
