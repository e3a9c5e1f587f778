"""Which source code a trained model depends on: the code half of the run-cache key.

A cached run may be reused only when retraining would run exactly the same code on exactly the same
config. "The same code" is the set of ``sdrlib`` modules that training and evaluation can import,
found by following their ``import`` statements (module level and inside functions) from the
engine's entry points. A module that training never imports (a study of trained models, a plot,
the book, the command line) is outside that set by construction, so editing it never invalidates
a run, and no hand-kept list of exceptions can drift. Book chapter 'training end to end'.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from collections.abc import Iterable
from pathlib import Path

_PACKAGE = "sdrlib"
_ROOT = Path(__file__).resolve().parents[1]

#: The modules whose import closure trains and evaluates a run (the trainer and the test-split
#: evaluation the experiment grids cache beside each run).
TRAINING_ENTRY_POINTS = ("sdrlib.engine.trainer", "sdrlib.engine.evaluate")


def _module_file(name: str) -> Path | None:
    """The source file of ``sdrlib`` module ``name`` (a package's ``__init__.py``), if any."""
    rel = Path(*name.split(".")[1:])
    for candidate in (_ROOT / rel / "__init__.py", (_ROOT / rel).with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _imported_modules(name: str, path: Path) -> set[str]:
    """The ``sdrlib`` modules that ``path`` (module ``name``) imports anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            # ``from pkg import sub`` may name a sub-module rather than an attribute
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {m for m in found if m == _PACKAGE or m.startswith(_PACKAGE + ".")}


def _with_parents(name: str) -> list[str]:
    """``a.b.c`` -> ``[a, a.b, a.b.c]``: importing a module runs its packages' ``__init__`` first."""
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def import_closure(entry_points: Iterable[str]) -> dict[str, Path]:
    """Every ``sdrlib`` module reachable from ``entry_points`` through imports, with its file."""
    todo = [parent for name in entry_points for parent in _with_parents(name)]
    seen: dict[str, Path] = {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_file(name)
        if path is None:  # an attribute imported with ``from module import name``
            continue
        seen[name] = path
        for module in _imported_modules(name, path):
            todo.extend(parent for parent in _with_parents(module) if parent not in seen)
    return dict(sorted(seen.items()))


def source_fingerprint(entry_points: Iterable[str]) -> str:
    """Hash of the sources of :func:`import_closure` (paths and bytes), 16 hex digits."""
    digest = hashlib.sha256()
    for name, path in import_closure(entry_points).items():
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """:func:`source_fingerprint` of :data:`TRAINING_ENTRY_POINTS`: the code half of the run key."""
    return source_fingerprint(TRAINING_ENTRY_POINTS)


@functools.lru_cache(maxsize=64)
def module_fingerprint(module: str) -> str:
    """:func:`source_fingerprint` of one module's closure (e.g. a study's test-time transform)."""
    return source_fingerprint([module])
