"""What every notebook of the book does after its ``parameters`` cell, in one call.

A notebook's ``parameters`` cell holds literals only (papermill overrides them); the cell after it
calls :func:`setup_notebook`, which decides the profile, the device and the output folder, sets
the figure style and seeds the generators. The rules (see ``book/README.md``):

- profile: a value papermill injected (``PROFILE`` other than the default ``smoke``) wins; else
  the ``SDR_PROFILE`` environment variable (nbval and the book build cannot pass parameters);
  else ``smoke``.
- output folder: ``OUTPUT_DIR`` when given (relative paths are taken from the book root); else
  ``<book root>/runs/<profile>/notebooks/<notebook>``. ``sdr reproduce`` passes
  ``runs/<profile>/outputs/<notebook>``.
- paths shown on a page (:func:`display_path`, ``print(ctx)``) are relative to the reproduction
  folder (``$SDR_REPRODUCTION_DIR``, set by ``sdr reproduce``) or to the book root, never absolute:
  the rendered book must not carry the folders of the machine that built it.

Each notebook ends with :func:`write_metrics`, which ``sdr reproduce`` collects.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from sdrlib.book.toc import find_book_root
from sdrlib.utils import atomic_write_json, resolve_device, seed_everything

PROFILES = ("smoke", "tiny", "small", "synth-gpu", "paper")
DEFAULT_PROFILE = "smoke"
PROFILE_ENV = "SDR_PROFILE"
REPRODUCTION_ENV = "SDR_REPRODUCTION_DIR"
REQUIRED_PARAMETERS = ("PROFILE", "DEVICE", "OUTPUT_DIR")
METRICS_FILE = "metrics.json"

# A readable style for the book's pages (the rendered HTML shows figures at about 700 px wide).
FIGURE_STYLE = {
    "figure.figsize": (7.0, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
}


class SavedPath(type(Path())):  # type: ignore[misc]
    """The path of a file a helper saved (:func:`write_metrics`, ``show_table``): a ``Path`` that a
    notebook does not print, so that a cell ending with the call does not put
    ``PosixPath('/absolute/...')`` on the page."""

    def _ipython_display_(self) -> None:
        """Display nothing: the page shows what was saved, not where."""


@dataclass(frozen=True)
class NotebookContext:
    """What a notebook needs to know about the run it is part of.

    Attributes:
        name: the notebook's file stem, e.g. ``"00_introduction"``.
        profile: one of :data:`PROFILES`, after the precedence rules.
        device: the resolved torch device.
        output_dir: an existing folder for this notebook's files (``metrics.json``, ``tables/``).
        seed: the seed the generators were set to (``None`` when not seeded).
    """

    name: str
    profile: str
    device: torch.device
    output_dir: Path
    seed: int | None

    @property
    def metrics_path(self) -> Path:
        return self.output_dir / METRICS_FILE

    @property
    def tables_dir(self) -> Path:
        return self.output_dir / "tables"

    def __str__(self) -> str:
        shown = display_path(self.output_dir)
        return f"notebook {self.name}: profile {self.profile!r} on {self.device}, outputs in {shown}"


def display_path(path: str | Path) -> str:
    """``path`` as a page of the book shows it: relative to the reproduction folder of
    ``sdr reproduce`` (``$SDR_REPRODUCTION_DIR``) or to the book root, else ``.../<name>``.

    Never absolute, so that the rendered book does not show the folders of the machine it was built on.
    """
    path = Path(path).expanduser().resolve()
    bases = [os.environ.get(REPRODUCTION_ENV, "").strip()]
    try:
        bases.append(str(find_book_root()))
    except FileNotFoundError:
        pass
    for base in filter(None, bases):
        try:
            return path.relative_to(Path(base).expanduser().resolve()).as_posix() or "."
        except ValueError:
            continue
    return f".../{path.name}"


def resolve_profile(profile: str) -> str:
    """Apply the precedence: a non-default ``profile`` > ``$SDR_PROFILE`` > the default.

    Raises:
        ValueError: the resulting name is not one of :data:`PROFILES`.
    """
    env = os.environ.get(PROFILE_ENV, "").strip()
    from_env = profile == DEFAULT_PROFILE and bool(env)
    chosen = env if from_env else profile
    if chosen not in PROFILES:
        origin = f"${PROFILE_ENV}" if from_env else "PROFILE"
        raise ValueError(f"{origin} is {chosen!r}; expected one of {', '.join(PROFILES)}")
    return chosen


def setup_notebook(namespace: MutableMapping[str, Any], name: str, seed: int | None = 0) -> NotebookContext:
    """Resolve a notebook's parameters and prepare its run; call it right after the parameters cell.

    Reads ``PROFILE``, ``DEVICE`` and ``OUTPUT_DIR`` from ``namespace`` (pass ``globals()``),
    resolves them (see the module docstring), writes the resolved values back into ``namespace``
    so that ``PROFILE`` and ``ctx.profile`` never disagree, creates the output folder, sets the
    matplotlib style and seeds Python, NumPy and torch.

    Args:
        namespace: the notebook's globals, holding the parameters cell's names.
        name: the notebook's file stem (a kernel cannot know its own file name).
        seed: seed for :func:`sdrlib.utils.seed_everything`; ``None`` leaves the generators alone.

    Raises:
        ValueError: a parameter is missing, not a string, or has a value that is not allowed.
    """
    missing = [key for key in REQUIRED_PARAMETERS if key not in namespace]
    if missing:
        raise ValueError(f"the parameters cell must define {', '.join(missing)} (see book/README.md)")
    for key in REQUIRED_PARAMETERS:
        if not isinstance(namespace[key], str):
            raise ValueError(f"{key} must be a string, got {type(namespace[key]).__name__}")
    if not name or Path(name).name != name or Path(name).suffix:
        raise ValueError(f"name must be the notebook's file stem such as '00_introduction', got {name!r}")

    profile = resolve_profile(namespace["PROFILE"])
    device = resolve_device(namespace["DEVICE"])
    output_dir = _output_dir(namespace["OUTPUT_DIR"], profile, name)
    output_dir.mkdir(parents=True, exist_ok=True)
    namespace.update(PROFILE=profile, DEVICE=str(device), OUTPUT_DIR=str(output_dir))

    # imported here, not at the top: `sdr --help` imports this module (sdr reproduce's profiles) and
    # stays fast without matplotlib
    import matplotlib
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update(FIGURE_STYLE)
    # pyplot loads its backend at the first pyplot figure, and only then does the inline backend
    # register IPython's image formatters: load it now, so that a Figure made without pyplot (what
    # sdrlib's plot functions return) shows as an image from the first cell on.
    plt.switch_backend(plt.get_backend())
    if seed is not None:
        seed_everything(seed)
    return NotebookContext(name=name, profile=profile, device=device, output_dir=output_dir, seed=seed)


def _output_dir(value: str, profile: str, name: str) -> Path:
    if not value.strip():
        return find_book_root() / "runs" / profile / "notebooks" / name
    path = Path(value).expanduser()
    return path if path.is_absolute() else find_book_root() / path


def _jsonable(value: Any) -> Any:
    """Plain JSON values: numpy/torch scalars and arrays unwrapped, NaN and infinities as null."""
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return _jsonable(value.tolist())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Path):
        return value.as_posix()
    raise TypeError(f"metric values must be numbers, strings, lists or dicts; got {type(value).__name__}")


def write_metrics(ctx: NotebookContext, metrics: Mapping[str, Any]) -> Path:
    """Merge ``metrics`` into ``OUTPUT_DIR/metrics.json`` (atomically) and return its path.

    Keys already in the file keep their values unless ``metrics`` sets them again, so a notebook
    may call this more than once. NaN and infinities are stored as ``null``.

    Raises:
        TypeError: ``metrics`` is not a mapping with string keys, or holds a value JSON cannot store.
        ValueError: the existing file is not a JSON object.
    """
    if not isinstance(metrics, Mapping):
        raise TypeError(f"metrics must be a mapping of name -> value, got {type(metrics).__name__}")
    bad = [key for key in metrics if not isinstance(key, str)]
    if bad:
        raise TypeError(f"metric names must be strings, got {bad!r}")
    merged: dict[str, Any] = {}
    if ctx.metrics_path.is_file():
        try:
            existing = json.loads(ctx.metrics_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            existing = None
        if not isinstance(existing, dict):
            raise ValueError(f"{ctx.metrics_path} exists but is not a JSON object; delete it and rerun")
        merged.update(existing)
    merged.update(_jsonable(dict(metrics)))
    return SavedPath(atomic_write_json(ctx.metrics_path, merged))
