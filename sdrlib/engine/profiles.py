"""Profiles: the YAML files of ``configs/`` and the one way to make a :class:`RunConfig` from them.

A profile holds ``run`` (the base :class:`~sdrlib.engine.config.RunConfig` as a mapping),
``models`` (options per registered model, sizes that suit the profile) and ``experiments``
(settings of the grids, :mod:`sdrlib.experiments`). ``sdr train --config NAME`` and every grid
run build their config with :meth:`Profile.run_config`, so a profile means the same thing to both.
A plain run YAML (the sections of a RunConfig at the top level) is read as a profile whose ``run``
section is the whole file. Book chapter 'training end to end'.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from sdrlib.config import ConfigError, apply_overrides, deep_merge, load_yaml, parse_override
from sdrlib.engine.config import ModelSpec, RunConfig, run_config_from_dict

_SECTIONS = {"profile", "description", "run", "models", "experiments"}
_RUN_SECTIONS = {f.name for f in fields(RunConfig)}

#: The FF++ manipulations and the cross-dataset test sets of the paper's protocol (SynthDF's
#: stand-ins carry the same names). A profile may name others (``experiments.ffpp_domains``,
#: ``experiments.cross_domains``); everything reads them through :class:`Profile`.
DEFAULT_FFPP_DOMAINS = ("ffpp-df", "ffpp-f2f", "ffpp-fs", "ffpp-nt")
DEFAULT_CROSS_DOMAINS = ("celebdf", "dfdc")


def config_dirs() -> list[Path]:
    """Folders searched for profile YAML files, in order: ``$SDR_CONFIG_DIR``, ``./configs``, the
    ``configs`` folder beside the package (an editable install or a source checkout)."""
    dirs = []
    if os.environ.get("SDR_CONFIG_DIR"):
        dirs.append(Path(os.environ["SDR_CONFIG_DIR"]))
    dirs.append(Path.cwd() / "configs")
    dirs.append(Path(__file__).resolve().parents[2] / "configs")
    seen, out = set(), []
    for d in dirs:
        key = d.resolve()
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def load_profile(path_or_name: str | Path) -> dict[str, Any]:
    """Read a profile YAML by path or by name (``smoke`` -> ``configs/smoke.yaml``, see
    :func:`config_dirs`)."""
    path = Path(path_or_name)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        return load_yaml(path)
    for folder in config_dirs():
        candidate = folder / f"{path_or_name}.yaml"
        if candidate.is_file():
            return load_yaml(candidate)
    names = sorted({p.stem for d in config_dirs() if d.is_dir() for p in d.glob("*.yaml")})
    raise ConfigError(f"unknown profile {str(path_or_name)!r}; available: {names}")


@dataclass
class Profile:
    """A profile YAML: the base run config, per-model options and experiment settings."""

    name: str
    run: dict[str, Any]
    models: dict[str, dict[str, Any]]
    experiments: dict[str, Any]

    @classmethod
    def load(cls, name_or_path: str | Path) -> Profile:
        """Read a profile by name or path; a plain run YAML becomes a profile with only ``run``."""
        data = load_profile(name_or_path)
        stem = Path(str(name_or_path)).stem
        if "run" not in data and data and set(data) <= _RUN_SECTIONS:
            return cls(name=stem, run=data, models={}, experiments={})
        unknown = sorted(set(data) - _SECTIONS)
        if unknown:
            raise ConfigError(f"profile {name_or_path}: unknown section(s) {unknown}")
        return cls(
            name=str(data.get("profile", stem)),
            run=data.get("run") or {},
            models=data.get("models") or {},
            experiments=data.get("experiments") or {},
        )

    def setting(self, key: str, default: Any) -> Any:
        """``experiments.<key>`` of the profile, or ``default``."""
        return self.experiments.get(key, default)

    @property
    def workers(self) -> int:
        """``experiments.workers`` (1 when unset): the processes that train and score a grid's runs,
        and the notebooks ``sdr reproduce`` executes at once."""
        return int(self.setting("workers", 1))

    @property
    def ffpp_domains(self) -> list[str]:
        """The training (FF++) domains: ``experiments.ffpp_domains`` or the protocol's four."""
        return list(self.setting("ffpp_domains", DEFAULT_FFPP_DOMAINS))

    @property
    def cross_domains(self) -> list[str]:
        """The cross-dataset test domains: ``experiments.cross_domains`` or CDF-v2 and DFDC."""
        return list(self.setting("cross_domains", DEFAULT_CROSS_DOMAINS))

    def with_overrides(self, overrides: Sequence[str]) -> tuple[Profile, list[str]]:
        """Split ``key=value`` overrides of a whole profile (``sdr experiment --set``).

        ``models.<name>.<option>=value`` and ``experiments.<key>=value`` edit a copy of the
        profile's sections (the options of one model, the grids' settings); every other override
        is about the run config and is returned, for every run of a grid
        (:meth:`run_config`'s ``cli_overrides``).

        Returns:
            The edited profile and the run-config overrides, in their order.
        """
        edits: dict[str, list[str]] = {"models": [], "experiments": []}
        rest: list[str] = []
        for text in overrides:
            parts, _ = parse_override(text)
            if parts[0] in edits:
                if len(parts) < 2:
                    raise ConfigError(f"override {text!r}: name a key inside {parts[0]}")
                edits[parts[0]].append(text.split(".", 1)[1])
            else:
                rest.append(text)
        edited = replace(
            self,
            models=apply_overrides(self.models, edits["models"]),
            experiments=apply_overrides(self.experiments, edits["experiments"]),
        )
        return edited, rest

    def run_config(
        self,
        model: str | None = None,
        overrides: Mapping[str, Any] | None = None,
        cli_overrides: Sequence[str] = (),
        seed: int | None = None,
    ) -> RunConfig:
        """The validated config of one run of this profile.

        Precedence, lowest first: the ``run`` section; ``models.<name>`` options; the ``run.model``
        section when it is about the chosen model (its ``name`` unset, which means ``sdr``, or equal);
        ``overrides`` (a grid's per-run mapping); ``cli_overrides`` (``key=value`` strings, as
        ``--set`` gives them); ``seed``.

        Args:
            model: the registered model to train; default ``run.model.name`` (else ``sdr``).
            overrides: a run-config mapping merged on top (e.g. ``{"loss": {"lambda_mi": 0}}``).
            cli_overrides: ``key=value`` strings applied last, before ``seed``.
            seed: ``train.seed`` of the run.
        """
        run = copy.deepcopy(self.run)
        run_model = run.pop("model", None) or {}
        merged = apply_overrides(deep_merge(run, overrides or {}), list(cli_overrides))
        asked = merged.pop("model", None) or {}
        name = asked.get("name") or model or run_model.get("name") or ModelSpec.name
        spec: dict[str, Any] = {"options": copy.deepcopy(self.models.get(name, {}))}
        if run_model.get("name", ModelSpec.name) == name:
            spec = deep_merge(spec, {k: v for k, v in run_model.items() if k != "name"})
        spec = deep_merge(spec, {k: v for k, v in asked.items() if k != "name"})
        merged["model"] = {**spec, "name": name, "options": spec.get("options") or {}}
        if seed is not None:
            merged.setdefault("train", {})["seed"] = seed
        return run_config_from_dict(merged)


def load_run_config(path_or_name: str | Path, overrides: Sequence[str] = ()) -> RunConfig:
    """The :class:`RunConfig` of ``sdr train --config NAME --set ...`` (:meth:`Profile.run_config`)."""
    return Profile.load(path_or_name).run_config(cli_overrides=overrides)
