"""The package's layers: each sub-package imports only the layers below it, modules stay small."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sdrlib"

#: Sub-packages a layer must never import (module level or inside a function).
FORBIDDEN = {
    "data": ("engine", "experiments", "studies", "predict", "book", "cli", "bench"),
    "models": ("engine", "experiments", "studies", "predict", "book", "cli", "bench"),
    "augment": ("engine", "experiments", "studies", "predict", "book", "cli", "bench"),
    "mi": ("engine", "experiments", "studies", "predict", "book", "cli", "bench"),
    "losses": ("engine", "experiments", "studies", "predict", "book", "cli", "bench"),
    "engine": ("experiments", "studies", "predict", "book", "cli", "bench"),
    "experiments": ("studies", "predict", "book", "cli", "bench"),
    "studies": ("predict", "book", "cli", "bench"),
    "predict": ("experiments", "studies", "book", "cli", "bench"),
}


def _sdrlib_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return {m for m in found if m.startswith("sdrlib.")}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_import_only_the_layers_below_them(layer):
    offences = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for module in _sdrlib_imports(path):
            if module.split(".")[1] in FORBIDDEN[layer]:
                offences.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not offences, offences


def test_modules_stay_under_about_400_lines():
    long = [
        f"{p.relative_to(ROOT)} ({n})"
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 420
    ]
    assert not long, long


def test_one_list_of_video_suffixes():
    """The suffixes of videos we read are spelled out in one module; every other one imports them
    (the writer's own map of the containers it writes H.264 into names no .webm)."""
    pattern = re.compile(r"[\"']\.(webm|m4v|avi)[\"']")
    homes = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if pattern.search(p.read_text())]
    assert homes == ["data/video/files.py"], homes


def test_importing_the_cli_does_not_import_the_heavy_layers():
    """``sdr --help`` builds every sub-command's parser: the engine, the grids and the studies stay unloaded."""
    code = (
        "import sys; from sdrlib.cli import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[:2] in "
        "(['sdrlib', 'engine'], ['sdrlib', 'studies'], ['sdrlib', 'experiments'])))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stdout
