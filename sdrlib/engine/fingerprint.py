"""Which source code a trained model depends on: the code half of the run-cache key.

A cached run may be reused only when retraining would run exactly the same code on exactly the same
config. "The same code" is the set of ``sdrlib`` modules that training and evaluation can import,
found by following their ``import`` statements (module level and inside functions) from the
engine's entry points. A module that training never imports (a study of trained models, a plot,
the book, the command line) is outside that set by construction, so editing it never invalidates
a run, and no hand-kept list of exceptions can drift.

The data half: a run trained on prepared directories (``data.roots``) is keyed by what they hold
(:func:`data_fingerprint`), not only by their paths, so re-preparing a data set retrains instead of
reusing runs of the old one; a SynthDF set is generated into a folder keyed by its parameters and
by the source of its generator (:func:`sdrlib.engine.data.synth_root`). Book chapter 'training end
to end'.
"""

from __future__ import annotations

import ast
import csv
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


def import_closure(entry_points: Iterable[str], packages: bool = True) -> dict[str, Path]:
    """Every ``sdrlib`` module reachable from ``entry_points`` through imports, with its file.

    Args:
        entry_points: dotted module names.
        packages: also follow the parent packages of every module (importing ``a.b.c`` runs
            ``a/__init__.py`` and ``a/b/__init__.py``); ``False`` keeps only the modules named in
            import statements, which is what defines the *bytes* a generator writes.
    """
    expand = _with_parents if packages else (lambda name: [name])
    todo = [parent for name in entry_points for parent in expand(name)]
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
            todo.extend(parent for parent in expand(module) if parent not in seen)
    return dict(sorted(seen.items()))


def source_fingerprint(entry_points: Iterable[str], packages: bool = True) -> str:
    """Hash of the sources of :func:`import_closure` (paths and bytes), 16 hex digits."""
    digest = hashlib.sha256()
    for name, path in import_closure(entry_points, packages).items():
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


#: Files beside ``manifest.csv`` that describe how a data set was made (hashed whole).
DATA_DESCRIPTIONS = ("dataset.json", "prepare.json")


def data_fingerprint(roots: Iterable[str | Path]) -> str:
    """What prepared data sets hold, read cheaply: the key of their runs and cached evaluations.

    Per root: the bytes of ``manifest.csv`` and of :data:`DATA_DESCRIPTIONS`, and the size and
    modification time (ns) of every track file the manifest lists. The tracks' bytes are not read
    (gigabytes on FF++/DFDC); ``sdr prepare`` and ``sdr synth`` rewrite a track and the manifest
    whenever they change them, which changes both. A copy that does not keep modification times
    (``cp`` without ``-p``) counts as new data. A root without a manifest hashes as missing.

    Returns:
        16 hex digits.
    """
    digest = hashlib.sha256()
    for root in roots:
        root = Path(root).expanduser()
        manifest = root / "manifest.csv"
        if not manifest.is_file():
            digest.update(b"no manifest")
            continue
        digest.update(manifest.read_bytes())
        for name in DATA_DESCRIPTIONS:
            if (root / name).is_file():
                digest.update(name.encode() + (root / name).read_bytes())
        with manifest.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                track = root / (row.get("path") or "")
                stat = track.stat() if track.is_file() else None
                seen = f"{row.get('path')}:{stat.st_size}:{stat.st_mtime_ns}" if stat else "-"
                digest.update(seen.encode())
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=256)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes (16 hex digits), computed once per (path, size, mtime) in a process."""
    stat = Path(path).stat()
    return _file_digest(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
