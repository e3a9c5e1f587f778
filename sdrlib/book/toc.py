"""The book's table of contents: where the book is and which pages it has, in reading order.

``_toc.yml`` (jupyter-book's sphinx-external-toc format) is the only place that orders the book;
:func:`toc_documents` reads it with the same parser Jupyter Book uses, so ``sdr reproduce``
executes the notebooks in exactly the order the book shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TOC_FILE = "_toc.yml"
CONFIG_FILE = "_config.yml"
SOURCE_SUFFIXES = (".ipynb", ".md")


@dataclass(frozen=True)
class TocDocument:
    """One page of the book.

    Attributes:
        docname: the name used in ``_toc.yml`` (relative path without suffix, POSIX separators).
        path: the source file, relative to the book root.
    """

    docname: str
    path: Path

    @property
    def is_notebook(self) -> bool:
        return self.path.suffix == ".ipynb"


def _is_book_root(folder: Path) -> bool:
    return (folder / TOC_FILE).is_file() and (folder / CONFIG_FILE).is_file()


def find_book_root(start: str | Path | None = None) -> Path:
    """The folder holding ``_toc.yml`` and ``_config.yml`` (for sdr-book, the repository root).

    Searched upwards from ``start`` (default: the working directory), then from this package's
    location (an editable install lives inside the repository), so that a notebook finds the book
    wherever its kernel was started.

    Raises:
        FileNotFoundError: neither search finds a book root.
    """
    here = Path(start if start is not None else Path.cwd()).resolve()
    package_dir = Path(__file__).resolve().parent
    for origin in (here, package_dir):
        for folder in (origin, *origin.parents):
            if _is_book_root(folder):
                return folder
    raise FileNotFoundError(
        f"no book root ({TOC_FILE} + {CONFIG_FILE}) above {here} or the installed sdrlib; "
        "run from inside the sdr-book checkout or pass the book root explicitly"
    )


def _resolve(book_root: Path, docname: str) -> TocDocument:
    for suffix in SOURCE_SUFFIXES:
        candidate = Path(docname + suffix)
        if (book_root / candidate).is_file():
            return TocDocument(docname, candidate)
    raise FileNotFoundError(
        f"{TOC_FILE} lists {docname!r} but neither {docname}.ipynb nor {docname}.md exists in {book_root}"
    )


def toc_documents(book_root: str | Path) -> list[TocDocument]:
    """Every page listed in ``<book_root>/_toc.yml``, depth first, in reading order.

    Glob entries are expanded (sorted, skipping pages listed elsewhere); URL entries are skipped.

    Raises:
        FileNotFoundError: ``_toc.yml`` or a page it lists is missing.
        ValueError: ``_toc.yml`` is not valid sphinx-external-toc YAML.
    """
    # imported here, not at the top: sphinx-external-toc comes with the book extra (jupyter-book),
    # and `sdr --help` imports this module without it
    from sphinx_external_toc.api import GlobItem, UrlItem
    from sphinx_external_toc.parsing import MalformedError, parse_toc_yaml

    root = Path(book_root)
    toc_path = root / TOC_FILE
    if not toc_path.is_file():
        raise FileNotFoundError(f"no {TOC_FILE} in {root}")
    try:
        site_map = parse_toc_yaml(toc_path)
    except MalformedError as err:
        raise ValueError(f"{toc_path} is not a valid table of contents: {err}") from err

    listed = set(site_map)
    order: list[TocDocument] = []

    def visit(docname: str) -> None:
        order.append(_resolve(root, docname))
        document = site_map[docname]
        for subtree in document.subtrees:
            for item in subtree.items:
                if isinstance(item, UrlItem):
                    continue
                if isinstance(item, GlobItem):
                    for match in sorted(root.glob(str(item))):
                        name = match.relative_to(root).with_suffix("").as_posix()
                        if match.suffix in SOURCE_SUFFIXES and name not in listed:
                            listed.add(name)
                            order.append(TocDocument(name, match.relative_to(root)))
                    continue
                visit(str(item))

    visit(site_map.root.docname)
    return order
