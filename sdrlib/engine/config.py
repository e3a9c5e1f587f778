"""The configuration of one training run, loaded from a profile YAML plus ``--set`` overrides.

A profile (``configs/<name>.yaml``, read by :mod:`sdrlib.engine.profiles`) holds a ``run`` section
(this dataclass tree), a ``models`` section with per-model options and an ``experiments`` section
(see :mod:`sdrlib.experiments`). Everything that changes a trained model is in :class:`RunConfig`,
so its hash, with the hash of the code that trains it (:mod:`sdrlib.engine.fingerprint`),
identifies a cached run. Explained in the book chapter 'training end to end'.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from sdrlib.config import ConfigError, apply_overrides, from_dict, to_dict
from sdrlib.engine.fingerprint import code_fingerprint, data_fingerprint
from sdrlib.losses import LossConfig


@dataclass
class ModelSpec:
    """Which registered model to build (``sdrlib.create_model(name, **options)``)."""

    name: str = "sdr"
    options: dict[str, Any] = field(default_factory=dict)
    weights: str | None = None


@dataclass
class SynthSpec:
    """A SynthDF data set generated on demand into the cache (``sdrlib.data.generate_synthdf``)."""

    domains: list[str] = field(
        default_factory=lambda: ["ffpp-df", "ffpp-f2f", "ffpp-fs", "ffpp-nt", "celebdf", "dfdc"]
    )
    n_per_split: dict[str, int] = field(default_factory=lambda: {"train": 16, "val": 8, "test": 8})
    frames: int | dict[str, int] = 16
    size: int = 64
    seed: int = 0
    spatial_scale: float = 1.0
    temporal_scale: float = 1.0


@dataclass
class DataConfig:
    """Where clips come from and how they are batched.

    Attributes:
        roots: dataset directories written by ``sdr synth`` or ``sdr prepare`` (manifest.csv).
        synth: generate SynthDF instead (used when ``roots`` is empty).
        train_domains: domains used for training and validation (``None`` = all).
        test_domains: domains evaluated after training (``None`` = all).
        clip_len: frames per clip (consecutive); the one source of the model's ``num_frames``.
        size: resize frames to ``size`` x ``size`` on load (``None`` = as stored: SynthDF's
            ``synth.size``, or the size the data was prepared at); the one source of the model's
            ``input_size`` (:func:`derive_clip_options`).
        num_workers: DataLoader worker processes of the training loader.
        eval_workers: worker processes of the validation and evaluation loaders (``None``: as
            ``num_workers``); ``sdr evaluate`` takes it from the checkpoint's profile.
    """

    roots: list[str] = field(default_factory=list)
    synth: SynthSpec | None = None
    train_domains: list[str] | None = None
    test_domains: list[str] | None = None
    clip_len: int = 16
    size: int | None = None
    batch_size: int = 8
    eval_batch_size: int = 16
    num_workers: int = 0
    eval_workers: int | None = None


@dataclass
class OptimConfig:
    """AdamW with linear warm-up then cosine decay to ``min_lr_ratio * lr``, stepped every step."""

    lr: float = 3e-4
    weight_decay: float = 0.05
    betas: tuple[float, float] = (0.9, 0.999)
    warmup_frac: float = 0.05
    min_lr_ratio: float = 0.01
    grad_clip: float = 1.0


@dataclass
class TrainConfig:
    """Length of training, validation schedule and execution options.

    ``compile``: ``torch.compile`` the training model; ``auto`` compiles on CUDA only (on a CPU the
    compilation costs more than a short run gains: 90 s before the first of two steps), ``true``
    compiles everywhere (with a warning on a CPU), ``false`` never.
    """

    steps: int = 200
    eval_every: int = 0
    log_every: int = 10
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"
    channels_last: bool = True
    compile: bool | Literal["auto"] = False
    balanced: bool = True


@dataclass
class RunConfig:
    """Everything that defines one trained model."""

    model: ModelSpec = field(default_factory=ModelSpec)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def validate(self) -> RunConfig:
        """Check cross-field constraints; return self. Raises ConfigError."""
        if not self.data.roots and self.data.synth is None:
            raise ConfigError("data: give dataset directories in data.roots or a data.synth section")
        if self.train.steps < 1:
            raise ConfigError(f"train.steps must be >= 1, got {self.train.steps}")
        if self.data.batch_size < 2:
            raise ConfigError("data.batch_size must be >= 2 (a balanced batch holds a real and a fake)")
        if self.train.balanced and self.data.batch_size % 2:
            raise ConfigError(
                "data.batch_size must be even with train.balanced (half reals, half fakes), "
                f"got {self.data.batch_size}"
            )
        if self.data.clip_len < 1:
            raise ConfigError(f"data.clip_len must be >= 1, got {self.data.clip_len}")
        if not 0 <= self.optim.warmup_frac < 1:
            raise ConfigError(f"optim.warmup_frac must be in [0, 1), got {self.optim.warmup_frac}")
        check_clip_options(self.model.options, self.data)
        return self

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    def fingerprint(self) -> str:
        """Short hash of the full config and of the code that trains it: the key of the run cache.

        The code hash (:func:`~sdrlib.engine.fingerprint.code_fingerprint`) makes the cache safe
        while the library changes: a cached run is reused only when retraining would run exactly the
        same code on exactly the same config. With ``data.roots``, the hash of what the directories
        hold (:func:`~sdrlib.engine.fingerprint.data_fingerprint`) makes it safe when a data set is
        prepared again.
        """
        payload = {"config": self.to_dict(), "code": code_fingerprint()}
        if self.data.roots:  # prepared directories: their content too (SynthDF is keyed by its spec)
            payload["data"] = data_fingerprint(self.data.roots)
        payload = json.dumps(payload, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def clip_size(data: DataConfig) -> tuple[int | None, str]:
    """Side of the clips the loader gives, and the key that decides it: ``data.size``, else
    SynthDF's ``data.synth.size``; ``(None, "")`` for prepared data without ``data.size`` (their
    size is in their ``prepare.json``, checked when training starts)."""
    if data.size is not None:
        return data.size, "data.size"
    if not data.roots and data.synth is not None:
        return data.synth.size, "data.synth.size"
    return None, ""


def check_clip_options(options: dict[str, Any], data: DataConfig, stored: int | None = None, where: str = "") -> None:
    """Refuse model options that contradict the clips of the data section, naming both keys.

    Args:
        options: ``model.options``.
        data: the data section.
        stored: the size the data was prepared at (``prepare.json``), when ``data.size`` is unset.
        where: what holds ``stored`` (for the message).
    """
    frames = options.get("num_frames")
    if frames is not None and frames != data.clip_len:
        raise ConfigError(
            f"model.options.num_frames={frames} (a profile's models section or --set) but "
            f"data.clip_len={data.clip_len}: the temporal head is built for clips of num_frames frames; "
            "set data.clip_len (model.options.num_frames follows it when left out)"
        )
    size, key = clip_size(data)
    if size is None and stored is not None:
        size, key = stored, f"data.size unset: as prepared, {where}"
    model_size = options.get("input_size")
    if size is not None and model_size is not None and model_size != size:
        raise ConfigError(
            f"model.options.input_size={model_size} (a profile's models section or --set) but the clips "
            f"are {size} px ({key}): set "
            f"data.size={model_size} to resize them on load (model.options.input_size follows it when "
            "left out)"
        )


def derive_clip_options(config: RunConfig) -> RunConfig:
    """Fill ``model.options.num_frames`` and ``input_size`` from the data section where the options
    leave them out, so the clip length and size are set in one place (``data``); return ``config``."""
    options = config.model.options
    options.setdefault("num_frames", config.data.clip_len)
    size, _ = clip_size(config.data)
    if size is not None:
        options.setdefault("input_size", size)
    return config


def run_config_from_dict(data: dict[str, Any], overrides: list[str] | tuple[str, ...] = ()) -> RunConfig:
    """Build and validate a :class:`RunConfig` from a mapping plus ``key=value`` overrides; the
    model's clip length and size come from the data section (:func:`derive_clip_options`)."""
    merged = apply_overrides(data, overrides)
    return derive_clip_options(from_dict(RunConfig, merged)).validate()
