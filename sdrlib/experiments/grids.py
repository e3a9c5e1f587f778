"""The paper's tables as named grids of training runs (SDR_SPEC section 3).

A grid is a list of :class:`RunSpec` (a row of the table: which model, which overrides of the
profile's run, which domains it trains and is tested on); :func:`jobs` turns it into the engine's
:class:`~sdrlib.engine.runs.RunJob` list, one per run x seed. Grids (book chapters 'Table 1',
'Table 2', 'Table 3', 'Figure 2'):

- ``table1``: in-domain, one run per model and FF++ manipulation (train and test on it);
- ``table2``: train on the four FF++ manipulations, test on FF++, Celeb-DF and DFDC;
- ``table3``: SDR ablation (full; w/o SPB i.e. K = 1; w/o TRFI; w/o L_MI; w/o L_con;
  w/o temporal transformer) and one addition (+ clean view: an identity branch beside the K
  perturbed ones, so BatchNorm and one head see clean clips in training), tested cross-dataset;
- ``figure2``: SDR with K = 1..5 perturbation branches;
- ``baselines``: frame2d, i3d and ftcn, as in ``table2``;
- ``control``: the models of ``experiments.control_models`` (default: Table 2's) on SynthDF fakes
  *without* temporal artifacts.

The studies of trained models (:mod:`sdrlib.studies`: the spatial-dependency diagnostic and
robustness) score the ``table2`` runs under their own conditions; their names are known here
(:data:`GRID_NAMES`) only so that a profile's per-grid settings can be checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sdrlib.config import ConfigError, deep_merge, parse_override
from sdrlib.engine.config import RunConfig
from sdrlib.engine.profiles import Profile
from sdrlib.engine.runs import CLEAN, Condition, RunJob
from sdrlib.models.sdr import SDRConfig

EXPERIMENTS = ["table1", "table2", "table3", "figure2", "baselines", "control"]
#: The grids above and the studies that score the ``table2`` runs.
GRID_NAMES = [*EXPERIMENTS, "diagnose", "robustness"]


@dataclass
class RunSpec:
    """One cell-producing training run of a grid."""

    row: str
    model: str
    overrides: dict[str, Any] = field(default_factory=dict)
    train_domains: list[str] | None = None
    test_domains: list[str] | None = None

    def config(self, profile: Profile, seed: int, cli_overrides: Sequence[str] = ()) -> RunConfig:
        """The full config of this run at ``seed``: :meth:`Profile.run_config` with the profile's
        ``experiments.model_overrides.<model>`` (a model's own training settings, e.g. more steps
        for a baseline), then the row's overrides and training domains, then ``cli_overrides``
        (``sdr experiment --set``, checked by :func:`check_cli_overrides`)."""
        overrides = deep_merge(model_overrides(profile).get(self.model, {}), self.row_overrides())
        return profile.run_config(self.model, overrides, cli_overrides, seed=seed)

    def row_overrides(self) -> dict[str, Any]:
        """What this row sets itself: its overrides and its training domains."""
        if self.train_domains is None:
            return dict(self.overrides)
        return deep_merge(self.overrides, {"data": {"train_domains": list(self.train_domains)}})


def _flatten(mapping: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        if isinstance(value, dict) and value:
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def check_cli_overrides(name: str, profile: Profile, specs: list[RunSpec], cli_overrides: Sequence[str]) -> None:
    """Refuse ``--set`` keys that would erase the difference between a grid's rows.

    A grid's rows differ by their model and by the keys their overrides set to different values
    (``table1``'s training domain, ``table3``'s ablated loss weights, ``figure2``'s ``K``); an
    override of one of those keys would make every row the same run. Keys the rows share (the
    steps, the clip size...) are what ``--set`` is for, and so are a model's own settings
    (``experiments.model_overrides``), which ``--set`` overrides like the rest.

    Raises:
        ConfigError: ``model.name`` or a key that tells the rows apart, named with the grid.
    """
    flat = [_flatten(spec.row_overrides()) for spec in specs]
    keys = set().union(*flat) if flat else set()
    varying = sorted(k for k in keys if len({repr(f.get(k, "<unset>")) for f in flat}) > 1)
    for text in cli_overrides:
        key = ".".join(parse_override(text)[0])
        if key == "model" or key == "model.name":
            raise ConfigError(f"--set {text}: every row of {name} names its own model; see experiments.*_models")
        clash = [k for k in varying if k == key or k.startswith(key + ".") or key.startswith(k + ".")]
        if clash:
            raise ConfigError(
                f"--set {text}: {clash[0]} is what tells the rows of {name} apart (profile {profile.name}); "
                "it cannot be set for all of them"
            )


def model_overrides(profile: Profile) -> dict[str, Any]:
    """``experiments.model_overrides``: a run-config mapping per model, merged into every run of
    that model in every grid (a baseline's steps or learning rate, set by its own needs and not by
    SDR's); a model the profile does not know is an error."""
    table = profile.setting("model_overrides", {}) or {}
    unknown = sorted(set(table) - set(profile.models))
    if unknown:
        raise ConfigError(
            f"profile {profile.name}: experiments.model_overrides names unknown model(s) {unknown}; "
            f"known: {sorted(profile.models)}"
        )
    return table


def _sdr(opts: dict[str, Any] | None = None, loss: dict[str, Any] | None = None) -> dict[str, Any]:
    """Overrides of an SDR variant: model options and loss settings."""
    out: dict[str, Any] = {}
    if opts:
        out["model"] = {"options": opts}
    if loss:
        out["loss"] = loss
    return out


def _per_grid(profile: Profile, key: str, names: list[str]) -> dict[str, Any]:
    """``experiments.<key>``, a mapping from grid names (one of ``names``) to settings; a misspelt
    grid is an error, not a setting silently ignored."""
    table = profile.setting(key, {}) or {}
    unknown = sorted(set(table) - set(names))
    if unknown:
        raise ConfigError(
            f"profile {profile.name}: experiments.{key} names unknown grid(s) {unknown}; known: {names}"
        )
    return table


def grid(name: str, profile: Profile) -> list[RunSpec]:
    """The runs of experiment ``name`` under ``profile``.

    A profile may adjust one grid's runs with ``experiments.grid_overrides.<name>`` (a run-config
    mapping merged into each run, e.g. fewer steps for the easy in-domain ``table1``). The studies
    score the ``table2`` runs, so they have no overrides of their own.
    """
    specs = _grid_specs(name, profile)
    extra = _per_grid(profile, "grid_overrides", EXPERIMENTS).get(name)
    if extra:
        for spec in specs:
            spec.overrides = deep_merge(spec.overrides, extra)
    return specs


def grid_seeds(name: str, profile: Profile) -> list[int]:
    """The seeds every run of experiment ``name`` is trained with: the profile's
    ``experiments.seeds``, the same for every grid, so that rows shared between tables (the full
    SDR of Tables 2 and 3 and Figure 2) are the same runs and every paired difference pairs the same
    seeds. Tables report the mean over the seeds with a 95 % interval.
    """
    if profile.setting("grid_seeds", None):
        raise ConfigError(
            f"profile {profile.name}: experiments.grid_seeds is gone; every grid uses experiments.seeds"
        )
    seeds = profile.setting("seeds", [0])
    if not isinstance(seeds, list) or not seeds or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        raise ConfigError(f"profile {profile.name}: experiments.seeds must be a list of integers, got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"profile {profile.name}: experiments.seeds repeat: {seeds}")
    return list(seeds)


def _grid_specs(name: str, profile: Profile) -> list[RunSpec]:
    ffpp = profile.ffpp_domains
    all_test = ffpp + profile.cross_domains
    table2_models = profile.setting("table2_models", ["frame2d", "i3d", "ftcn", "sdr"])
    if name == "table1":
        return [
            RunSpec(f"{m}", m, train_domains=[d], test_domains=[d])
            for m in profile.setting("table1_models", ["ftcn", "sdr"])
            for d in ffpp
        ]
    if name in {"table2", "baselines"}:
        models = [m for m in table2_models if m != "sdr"] if name == "baselines" else table2_models
        return [RunSpec(m, m, train_domains=ffpp, test_domains=all_test) for m in models]
    if name == "table3":
        variants = [
            ("SDR (full)", _sdr()),
            ("w/o SPB (K = 1)", _sdr({"K": 1})),
            ("w/o TRFI", _sdr({"trfi": False})),
            ("w/o L_MI", _sdr(loss={"lambda_mi": 0.0})),
            ("w/o L_con", _sdr(loss={"lambda_con": 0.0})),
            ("w/o temporal transformer", _sdr({"temporal_transformer": False})),
            ("+ clean view", _sdr({"clean_view": True})),
        ]
        return [RunSpec(row, "sdr", ov, ffpp, all_test) for row, ov in variants]
    if name == "figure2":
        # The profile's own K is the full SDR of table2/table3: no override, so the same cached run.
        default_k = profile.models.get("sdr", {}).get("K", SDRConfig.K)
        return [
            RunSpec(f"K = {k}", "sdr", {} if k == default_k else _sdr({"K": k}), ffpp, all_test)
            for k in profile.setting("figure2_K", [1, 2, 3, 4, 5])
        ]
    if name == "control":
        control = {"data": {"synth": {"temporal_scale": 0.0}}}
        if not profile.run.get("data", {}).get("synth"):
            raise ConfigError(
                "the control experiment needs SynthDF data (a data.synth section in the profile)"
            )
        models = profile.setting("control_models", table2_models)
        return [RunSpec(m, m, control, ffpp, all_test) for m in models]
    raise ConfigError(f"unknown experiment {name!r}; known: {EXPERIMENTS}")


def jobs(
    name: str,
    profile: Profile,
    specs: list[RunSpec],
    seeds: list[int],
    conditions: Sequence[Condition] | Callable[[int], Sequence[Condition]] | None = None,
    cli_overrides: Sequence[str] = (),
) -> list[RunJob]:
    """The engine's jobs for ``specs`` x ``seeds``, rows labelled with the experiment ``name``.

    Args:
        conditions: the test-time conditions of every job: a list of
            :class:`~sdrlib.engine.runs.Condition`, or a function ``seed -> list`` for conditions
            that draw random numbers from the run's seed; default the clean clips.
        cli_overrides: ``key=value`` run-config overrides of every run (``sdr experiment --set``);
            refused when they would make rows identical (:func:`check_cli_overrides`).
    """
    check_cli_overrides(name, profile, specs, cli_overrides)
    out = []
    for spec in specs:
        for seed in seeds:
            chosen = [CLEAN] if conditions is None else conditions(seed) if callable(conditions) else conditions
            fields = {
                "experiment": name,
                "row": spec.row,
                "model": spec.model,
                "seed": seed,
                "train_domains": ",".join(spec.train_domains or []),
            }
            out.append(RunJob(spec.config(profile, seed, cli_overrides), spec.test_domains, fields, list(chosen)))
    return out
