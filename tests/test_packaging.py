"""The set-up files agree with each other: pyproject.toml, environment.yml, the CLI entry point."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    for sep in "<>=!~ ;[":
        requirement = requirement.split(sep)[0]
    return requirement.strip().lower().replace("_", "-")


def test_environment_yml_lists_exactly_the_project_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"])
    for extra in ("book", "dev"):
        wanted |= set(project["optional-dependencies"][extra])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    listed = {p for p in pip if not p.startswith("-e")}
    assert {_name(p): p for p in listed} == {_name(p): p for p in wanted}
    assert any(d.startswith("python=3.11") for d in env["dependencies"] if isinstance(d, str))
    assert "-e ." in pip


def test_console_script_and_commands():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["sdr"] == "sdrlib.cli:main"
    from sdrlib.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    for name in [
        "synth",
        "train",
        "evaluate",
        "diagnose",
        "experiment",
        "prepare",
        "predict",
        "bench",
        "reproduce",
    ]:
        assert name in commands, name
