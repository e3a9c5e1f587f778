"""The README's first command works on a fresh clone: nothing machine-specific is tracked, and the
set-up step copes with whatever is at ``$VENV`` (scripts/setup_venv.sh)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SETUP_VENV = ROOT / "scripts" / "setup_venv.sh"


def _git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def checkout() -> Path:
    """The repository root, or a skip when this is not a git checkout (an sdist, a copy)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    try:
        _git("rev-parse", "--git-dir")
    except subprocess.CalledProcessError:
        pytest.skip(f"{ROOT} is not a git checkout")
    return ROOT


def test_no_tracked_file_is_a_symbolic_link(checkout):
    """A tracked link (``.venv`` -> a folder of the machine it was made on) breaks every other clone."""
    links = [
        line.split("\t", 1)[1] for line in _git("ls-files", "-s").splitlines() if line.startswith("120000 ")
    ]
    assert links == []


def test_no_tracked_file_is_ignored(checkout):
    """Files the ignore rules call local (venv, runs, builds, vendored assets) are never tracked."""
    assert _git("ls-files", "--cached", "--ignored", "--exclude-standard").split() == []


def test_tracked_files_name_no_folder_of_this_machine(checkout):
    mine = [str(ROOT), str(Path.home().resolve()) + "/"]
    offenders = []
    for name in _git("ls-files").split("\n"):
        path = ROOT / name
        if not name or not path.is_file() or path.is_symlink() or path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        offenders += [f"{name}: {folder}" for folder in mine if folder in text]
    assert offenders == []


def test_a_venv_link_is_ignored_by_git(tmp_path, checkout):
    """``.venv/`` (with a slash) matches only a folder; a link named .venv must be ignored too."""
    _git("init", "-q", cwd=tmp_path)
    shutil.copy(ROOT / ".gitignore", tmp_path / ".gitignore")
    (tmp_path / ".venv").symlink_to("/nonexistent/sdr-book/venv")
    status = _git("status", "--porcelain", "--untracked-files=all", cwd=tmp_path).split()
    assert status == ["??", ".gitignore"]


def _setup_venv(venv: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "VENV": str(venv), "PYTHON": sys.executable, "VENV_OPTIONS": "--without-pip"}
    return subprocess.run(
        ["bash", str(cwd / "scripts" / "setup_venv.sh")], env=env, capture_output=True, text=True, timeout=120
    )


def _is_venv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file() and os.access(path / "bin" / "python", os.X_OK)


def test_setup_replaces_a_dangling_link_and_keeps_a_venv(tmp_path):
    venv = tmp_path / ".venv"
    venv.symlink_to(tmp_path / "machine-of-someone-else" / "venv")
    first = _setup_venv(venv)
    assert first.returncode == 0, first.stderr
    assert "does not exist here: replacing it" in first.stdout
    assert not venv.is_symlink() and _is_venv(venv)
    again = _setup_venv(venv)  # idempotent: a working venv is kept as it is
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_setup_refuses_what_is_not_a_venv_in_one_line(tmp_path, kind):
    venv = tmp_path / "venv"
    if kind == "file":
        venv.write_text("not a venv\n")
    else:
        venv.mkdir()
        (venv / "notes.txt").write_text("mine\n")
    result = _setup_venv(venv)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("[setup] error: ")
    assert "VENV=" in result.stderr
    assert (
        venv.read_text() == "not a venv\n" if kind == "file" else (venv / "notes.txt").read_text() == "mine\n"
    )


def test_fresh_clone_sets_up_with_the_default_venv(tmp_path, checkout):
    """What ``make main`` does first, in a clone of the committed tree, with the default ``.venv``."""
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", str(ROOT), str(clone)], check=True, capture_output=True, timeout=120
    )
    assert not (clone / ".venv").exists() and not (clone / ".venv").is_symlink()
    env = {k: v for k, v in os.environ.items() if k != "VENV"}
    env.update(PYTHON=sys.executable, VENV_OPTIONS="--without-pip")
    result = subprocess.run(
        ["bash", "scripts/setup_venv.sh"], cwd=clone, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert _is_venv(clone / ".venv")
