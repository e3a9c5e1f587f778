"""Experiments as code: the paper's tables as named grids of cached training runs.

``run_experiment(name, profile)`` expands a grid into training runs (a base ``run`` config from the
profile plus per-run overrides), trains the runs that are not in the cache yet (keyed by
:meth:`RunConfig.fingerprint`), evaluates each on its test domains (evaluations are cached in the
run folder too) and renders a CSV + Markdown table. Re-running an experiment, or the notebook that
shows it, re-renders instead of retraining.

Grids (SDR_SPEC section 3; book chapters 'Table 1', 'Table 2', 'Table 3', 'Figure 2',
'spatial-dependency diagnostic'):

- ``table1``: in-domain, one run per model and FF++ manipulation (train and test on it);
- ``table2``: train on the four FF++ manipulations, test on FF++, Celeb-DF and DFDC;
- ``table3``: SDR ablation (full; w/o SPB i.e. K = 1; w/o TRFI; w/o L_MI; w/o L_con;
  w/o temporal transformer), tested cross-dataset;
- ``figure2``: SDR with K = 1..5 perturbation branches;
- ``baselines``: frame2d, i3d and ftcn, as in ``table2``;
- ``control``: all models on SynthDF fakes *without* temporal artifacts;
- ``diagnose``: the spatial-dependency diagnostic of every ``table2`` model.

Several seeds (``experiments.seeds`` in the profile, or ``experiments.grid_seeds.<name>`` for one
grid) are reported as mean ± std.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sdrlib.config import ConfigError, deep_merge
from sdrlib.engine.cache import run_cache_dir
from sdrlib.engine.config import RunConfig, load_profile, run_config_from_dict
from sdrlib.engine.data import resolve_roots
from sdrlib.engine.inference import ClipTransform
from sdrlib.engine.trainer import is_finished, load_result, train
from sdrlib.models.sdr import SDRConfig
from sdrlib.utils import atomic_write_json, atomic_write_text

FFPP_DOMAINS = ["ffpp-df", "ffpp-f2f", "ffpp-fs", "ffpp-nt"]
CROSS_DOMAINS = ["celebdf", "dfdc"]
COLUMN_NAMES = {
    "ffpp-df": "DF",
    "ffpp-f2f": "F2F",
    "ffpp-fs": "FS",
    "ffpp-nt": "NT",
    "celebdf": "CDF",
    "dfdc": "DFDC",
}

#: The paper's reported video-level AUC (%) where the spec gives it (SDR_SPEC section 3).
PAPER_TABLE2 = pd.DataFrame(
    [
        {"method": "LipForensics (CVPR'21)", "CDF": 82.4, "DFDC": 73.5, "FF++": np.nan},
        {"method": "FTCN (ICCV'21)", "CDF": 86.9, "DFDC": 74.0, "FF++": 99.4},
        {"method": "RealForensics (CVPR'22)", "CDF": 86.9, "DFDC": 75.9, "FF++": np.nan},
        {"method": "AltFreezing (CVPR'23)", "CDF": 89.5, "DFDC": np.nan, "FF++": np.nan},
        {"method": "SDR (ICASSP'25)", "CDF": 88.5, "DFDC": 76.2, "FF++": 99.6},
    ]
)


@dataclass
class RunSpec:
    """One cell-producing training run of a grid."""

    row: str
    model: str
    overrides: dict[str, Any] = field(default_factory=dict)
    train_domains: list[str] | None = None
    test_domains: list[str] | None = None
    diagnose: bool = False


@dataclass
class ExperimentResult:
    """The long table (one row per run x test domain x seed) and the rendered table."""

    name: str
    profile: str
    long: pd.DataFrame
    table: pd.DataFrame
    out_dir: Path
    runs: list[Path]

    @property
    def markdown(self) -> str:
        return self.table.to_markdown(index=False)


@dataclass
class Profile:
    """A profile YAML: the base run config, per-model options and experiment settings."""

    name: str
    run: dict[str, Any]
    models: dict[str, dict[str, Any]]
    experiments: dict[str, Any]

    @classmethod
    def load(cls, name_or_path: str | Path) -> Profile:
        data = load_profile(name_or_path)
        unknown = sorted(set(data) - {"profile", "description", "run", "models", "experiments"})
        if unknown:
            raise ConfigError(f"profile {name_or_path}: unknown section(s) {unknown}")
        return cls(
            name=str(data.get("profile", Path(str(name_or_path)).stem)),
            run=data.get("run", {}),
            models=data.get("models", {}),
            experiments=data.get("experiments", {}),
        )

    def setting(self, key: str, default: Any) -> Any:
        return self.experiments.get(key, default)

    def run_config(self, spec: RunSpec, seed: int) -> RunConfig:
        """The full config of ``spec`` at ``seed``: profile run + model options + overrides."""
        base = copy.deepcopy(self.run)
        base.setdefault("model", {})
        base["model"] = {"name": spec.model, "options": copy.deepcopy(self.models.get(spec.model, {}))}
        merged = deep_merge(base, spec.overrides)
        if spec.train_domains is not None:
            merged.setdefault("data", {})["train_domains"] = list(spec.train_domains)
        merged.setdefault("train", {})["seed"] = seed
        return run_config_from_dict(merged)


def _sdr(opts: dict[str, Any] | None = None, loss: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if opts:
        out["model"] = {"options": opts}
    if loss:
        out["loss"] = loss
    return out


def _per_grid(profile: Profile, key: str) -> dict[str, Any]:
    """``experiments.<key>``, a mapping from grid names to settings; a misspelt grid is an error,
    not a setting silently ignored."""
    table = profile.setting(key, {}) or {}
    unknown = sorted(set(table) - set(EXPERIMENTS) - {"robustness"})
    if unknown:
        raise ConfigError(
            f"profile {profile.name}: experiments.{key} names unknown grid(s) {unknown}; "
            f"known: {EXPERIMENTS + ['robustness']}"
        )
    return table


def grid(name: str, profile: Profile) -> list[RunSpec]:
    """The runs of experiment ``name`` under ``profile``.

    A profile may adjust one grid's runs with ``experiments.grid_overrides.<name>`` (a run-config
    mapping merged into each run, e.g. fewer steps for the easy in-domain ``table1``).
    """
    specs = _grid_specs(name, profile)
    extra = _per_grid(profile, "grid_overrides").get(name)
    if extra:
        for spec in specs:
            spec.overrides = deep_merge(spec.overrides, extra)
    return specs


def grid_seeds(name: str, profile: Profile) -> list[int]:
    """The seeds experiment ``name`` trains each run with.

    ``experiments.grid_seeds.<name>`` when the profile sets it (more seeds for the grid a budget
    can afford them for, e.g. the headline ``table2`` of the tiny profile), else
    ``experiments.seeds``. Tables report mean ± std over them.
    """
    seeds = _per_grid(profile, "grid_seeds").get(name) or profile.setting("seeds", [0])
    if not isinstance(seeds, list) or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        raise ConfigError(
            f"profile {profile.name}: the seeds of {name} must be a list of integers, got {seeds!r}"
        )
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"profile {profile.name}: the seeds of {name} repeat: {seeds}")
    return list(seeds)


def _grid_specs(name: str, profile: Profile) -> list[RunSpec]:
    ffpp = profile.setting("ffpp_domains", FFPP_DOMAINS)
    cross = profile.setting("cross_domains", CROSS_DOMAINS)
    all_test = list(ffpp) + list(cross)
    table2_models = profile.setting("table2_models", ["frame2d", "i3d", "ftcn", "sdr"])
    if name == "table1":
        return [
            RunSpec(f"{m}", m, train_domains=[d], test_domains=[d])
            for m in profile.setting("table1_models", ["ftcn", "sdr"])
            for d in ffpp
        ]
    if name in {"table2", "baselines", "diagnose"}:
        models = [m for m in table2_models if m != "sdr"] if name == "baselines" else table2_models
        return [
            RunSpec(m, m, train_domains=ffpp, test_domains=all_test, diagnose=name == "diagnose")
            for m in models
        ]
    if name == "table3":
        variants = [
            ("SDR (full)", _sdr()),
            ("w/o SPB (K = 1)", _sdr({"K": 1})),
            ("w/o TRFI", _sdr({"trfi": False})),
            ("w/o L_MI", _sdr(loss={"lambda_mi": 0.0})),
            ("w/o L_con", _sdr(loss={"lambda_con": 0.0})),
            ("w/o temporal transformer", _sdr({"temporal_transformer": False})),
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
        return [RunSpec(m, m, control, ffpp, all_test) for m in table2_models]
    raise ConfigError(f"unknown experiment {name!r}; known: {EXPERIMENTS}")


_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

EXPERIMENTS = ["table1", "table2", "table3", "figure2", "baselines", "control", "diagnose"]


def ensure_trained(config: RunConfig, progress: bool = True) -> Path:
    """The cached run directory of ``config``, training (or resuming) it when not finished."""
    run_dir = run_cache_dir(config.fingerprint())
    if not is_finished(run_dir):
        train(config, run_dir, resume=True, progress=progress)
    return run_dir


def cached_evaluation(
    run_dir: Path,
    config: RunConfig,
    domains: list[str] | None,
    condition: str = "clean",
    progress: bool = True,
    transform: ClipTransform | None = None,
) -> pd.DataFrame:
    """Per-domain metric table of the run's best checkpoint on the test split (cached on disk).

    Args:
        condition: a diagnostic condition (:data:`sdrlib.engine.diagnose.CONDITIONS`), or, with
            ``transform``, the label under which that transform's evaluation is cached (it must
            name everything that determines the transform, e.g. ``robust-blur-3-s0``).
        transform: a test-time clip transform used instead of the condition's (robustness).
    """
    from sdrlib.engine.diagnose import CONDITIONS, condition_transform
    from sdrlib.engine.evaluate import evaluate_checkpoint

    if transform is None and condition not in CONDITIONS:
        raise ConfigError(f"unknown condition {condition!r}; known: {list(CONDITIONS)}")
    if transform is not None and (condition in CONDITIONS or not _LABEL.match(condition)):
        raise ConfigError(
            f"a custom transform needs its own plain label (letters, digits, '.', '_', '-'), "
            f"not {condition!r}"
        )
    key = hashlib.sha256(json.dumps([domains, condition], sort_keys=True).encode()).hexdigest()[:12]
    path = run_dir / "eval" / f"{condition}-{key}.csv"
    if path.exists():
        return pd.read_csv(path)
    result = evaluate_checkpoint(
        run_dir,
        resolve_roots(config.data),
        split="test",
        domains=domains,
        batch_size=config.data.eval_batch_size,
        transform=transform if transform is not None else condition_transform(condition, config.train.seed),
        progress=progress,
    )
    atomic_write_text(path, result.table.to_csv(index=False))
    return result.table


def run_experiment(
    name: str,
    profile: str | Path | Profile,
    out_dir: str | Path | None = None,
    progress: bool = True,
    seeds: list[int] | None = None,
) -> ExperimentResult:
    """Train (or fetch from the cache), evaluate and tabulate experiment ``name``.

    Args:
        name: one of :data:`EXPERIMENTS`.
        profile: a profile name (``smoke``, ``tiny``, ``synth-gpu``, ``paper``), path or object.
        out_dir: where the CSV/Markdown tables go (default ``runs/<profile>/experiments/<name>``).
        seeds: override the profile's ``experiments.seeds``.
    """
    from sdrlib.engine.diagnose import CONDITIONS

    prof = profile if isinstance(profile, Profile) else Profile.load(profile)
    specs = grid(name, prof)
    seeds = list(seeds or grid_seeds(name, prof))
    out = Path(out_dir) if out_dir is not None else Path("runs") / prof.name / "experiments" / name
    rows, runs = [], []
    jobs = [(spec, seed) for spec in specs for seed in seeds]
    for spec, seed in tqdm(jobs, desc=f"{name} ({prof.name})", disable=not progress):
        config = prof.run_config(spec, seed)
        run_dir = ensure_trained(config, progress=progress)
        runs.append(run_dir)
        result = load_result(run_dir)
        conditions = list(CONDITIONS) if spec.diagnose else ["clean"]
        for condition in conditions:
            table = cached_evaluation(run_dir, config, spec.test_domains, condition, progress)
            for rec in table.to_dict("records"):
                rows.append(
                    {
                        "experiment": name,
                        "row": spec.row,
                        "model": spec.model,
                        "seed": seed,
                        "train_domains": ",".join(spec.train_domains or []),
                        "condition": condition,
                        "test_domain": rec["domain"],
                        "video_auc": rec["video_auc"],
                        "clip_auc": rec["clip_auc"],
                        "video_ap": rec["video_ap"],
                        "video_eer": rec["video_eer"],
                        "video_acc": rec["video_acc"],
                        "n_videos": rec["n_videos"],
                        "threshold": result.threshold,
                        "val_video_auc": result.val_metrics.get("video_auc", np.nan),
                        "train_wall_s": result.wall_s,
                        "run_dir": str(run_dir),
                    }
                )
    long = pd.DataFrame(rows)
    table = RENDERERS[name](long)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "results.csv", long.to_csv(index=False))
    atomic_write_text(out / "table.csv", table.to_csv(index=False))
    atomic_write_text(out / "table.md", table.to_markdown(index=False) + "\n")
    atomic_write_json(
        out / "metrics.json",
        {"experiment": name, "profile": prof.name, "seeds": seeds, "table": table.to_dict("records")},
    )
    return ExperimentResult(name, prof.name, long, table, out, runs)


FFPP_AVG = "FF++ (avg)"
CROSS_COLUMNS = [FFPP_AVG, "CDF", "DFDC"]
TABLE1_COLUMNS = ["DF", "F2F", "FS", "NT", "avg"]
_DOMAIN_OF = {name: domain for domain, name in COLUMN_NAMES.items()}


def _per_seed(sub: pd.DataFrame, column: str) -> pd.Series:
    """Video AUC per seed of one table cell: a domain, or the mean over the FF++ domains."""
    if column in (FFPP_AVG, "avg"):
        sub = sub[sub["test_domain"].isin(FFPP_DOMAINS)]
    else:
        sub = sub[sub["test_domain"] == _DOMAIN_OF.get(column, column)]
    return sub.groupby("seed")["video_auc"].mean()


def auc_summary(
    long: pd.DataFrame,
    columns: list[str] | None = None,
    condition: str = "clean",
    in_domain: bool = False,
) -> pd.DataFrame:
    """Video AUC (%) of every row of an experiment and every column, mean and std over seeds.

    Args:
        long: ``ExperimentResult.long``.
        columns: column names (``DF`` ... ``DFDC``, ``FF++ (avg)``, ``avg``) or raw domain names;
            default :data:`CROSS_COLUMNS`.
        condition: the diagnostic condition to read (``clean`` for every table).
        in_domain: keep only the rows tested on their own training domain (Table 1).

    Returns:
        Tidy table: ``method``, ``column``, ``mean``, ``std`` (NaN with one seed), ``n_seeds``;
        rows in the experiment's order.
    """
    columns = columns or CROSS_COLUMNS
    sub = long[long["condition"] == condition]
    if in_domain:
        sub = sub[sub["test_domain"] == sub["train_domains"]]
    out = []
    for method in dict.fromkeys(sub["row"]):
        rows = sub[sub["row"] == method]
        for column in columns:
            values = _per_seed(rows, column).dropna().to_numpy() * 100
            out.append(
                {
                    "method": method,
                    "column": column,
                    "mean": float(values.mean()) if values.size else np.nan,
                    "std": float(values.std(ddof=1)) if values.size > 1 else np.nan,
                    "n_seeds": int(values.size),
                }
            )
    return pd.DataFrame(out, columns=["method", "column", "mean", "std", "n_seeds"])


def format_cell(mean: float, std: float) -> str:
    """``mean`` or ``mean ± std`` (one decimal; "n/a" without a value), as every table shows AUC."""
    if not np.isfinite(mean):
        return "n/a"
    return f"{mean:.1f}" if not np.isfinite(std) else f"{mean:.1f} ± {std:.1f}"


def with_std(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`auc_summary` as a method x column table of ``mean`` or ``mean ± std`` strings."""
    table = summary.assign(
        cell=[format_cell(m, s) for m, s in zip(summary["mean"], summary["std"], strict=True)]
    )
    out = table.pivot(index="method", columns="column", values="cell")
    out = out.loc[list(dict.fromkeys(summary["method"])), list(dict.fromkeys(summary["column"]))]
    out.columns.name = None
    return out.reset_index()


def _table1(long: pd.DataFrame) -> pd.DataFrame:
    """Rows = models; columns = manipulations (trained and tested in-domain) and their average."""
    return with_std(auc_summary(long, TABLE1_COLUMNS, in_domain=True))


def _cross(long: pd.DataFrame) -> pd.DataFrame:
    return with_std(auc_summary(long, CROSS_COLUMNS))


def _seed_cell(per_seed: pd.Series) -> str:
    """AUC fractions of one cell, one per seed -> its :func:`format_cell` in %."""
    v = per_seed.dropna().to_numpy() * 100
    return format_cell(float(v.mean()) if v.size else np.nan, float(v.std(ddof=1)) if v.size > 1 else np.nan)


def _diagnose(long: pd.DataFrame) -> pd.DataFrame:
    """Rows = models; columns = video AUC (%) on in-domain FF++ test clips under each condition."""
    from sdrlib.engine.diagnose import CONDITIONS

    sub = long[long["test_domain"].isin(FFPP_DOMAINS)]
    out = []
    for model in dict.fromkeys(sub["row"]):
        rec: dict[str, Any] = {"method": model}
        clean = sub[(sub["row"] == model) & (sub["condition"] == "clean")].groupby("seed")["video_auc"].mean()
        for condition in CONDITIONS:
            per_seed = (
                sub[(sub["row"] == model) & (sub["condition"] == condition)]
                .groupby("seed")["video_auc"]
                .mean()
            )
            rec[condition] = _seed_cell(per_seed)
            if condition != "clean":
                rec[f"drop {condition}"] = _seed_cell(clean - per_seed)
        out.append(rec)
    return pd.DataFrame(out)


RENDERERS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "table1": _table1,
    "table2": _cross,
    "table3": _cross,
    "figure2": _cross,
    "baselines": _cross,
    "control": _cross,
    "diagnose": _diagnose,
}
