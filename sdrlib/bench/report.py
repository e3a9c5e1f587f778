"""What ``sdr bench`` measures and how it prints: its settings, one row per timed variant, the table.

The timing itself is in :mod:`sdrlib.bench.training_step`; docs/performance.md explains the
columns and gives the measured tables.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from sdrlib.config import ConfigError
from sdrlib.engine.config import TrainConfig

BENCH_MODELS = ("ftcn", "i3d", "sdr")

#: defaults per device type: small enough for a 2-core CPU, the paper's size on a GPU.
DEFAULTS: dict[str, dict[str, Any]] = {
    "cpu": {"frames": 16, "size": 64, "batch": 8, "width_mult": 0.25, "warmup": 1, "iters": 3},
    "cuda": {"frames": 32, "size": 224, "batch": 16, "width_mult": 1.0, "warmup": 3, "iters": 10},
}


@dataclass
class BenchConfig:
    """What to benchmark; ``None`` sizes take :data:`DEFAULTS` of the device.

    Attributes:
        models: names from :data:`BENCH_MODELS`.
        frames, size: clip shape ``frames x size x size``.
        batch: trunk views per step (``sdr``: ``batch / K`` clips).
        width_mult, depth_mult: trunk size options of every model.
        K: branches of ``sdr``.
        precision: ``fp32``, ``bf16`` or ``auto`` (bf16 on CUDA, fp32 on the CPU).
        channels_last: ``torch.channels_last_3d`` model and input; on by default, as in training
            (``TrainConfig.channels_last``), so that the figures describe real training steps.
        compile: ``torch.compile`` the model.
        naive: also time the naive SDR variant (when ``sdr`` is in ``models``).
        device: ``auto``, ``cpu``, ``cuda``...
        warmup, iters: untimed steps before timing (the first, eager, counts the FLOPs; with
            ``compile`` at least 2 more run compiled), timed steps.
        threads: CPU threads for torch (``None``: torch's default). On a shared, loaded machine
            ``threads=1`` gives stable per-step CPU times (``cpu_s``).
        seed: seed of weights and data.
    """

    models: list[str] = field(default_factory=lambda: list(BENCH_MODELS))
    frames: int | None = None
    size: int | None = None
    batch: int | None = None
    width_mult: float | None = None
    depth_mult: float = 1.0
    K: int = 4
    precision: str = "auto"
    channels_last: bool = TrainConfig.channels_last
    compile: bool = False
    naive: bool = True
    device: str = "auto"
    warmup: int | None = None
    iters: int | None = None
    threads: int | None = None
    seed: int = 0

    def resolved(self, device: torch.device) -> BenchConfig:
        """A copy with every ``None`` filled from :data:`DEFAULTS` and the precision made explicit."""
        defaults = DEFAULTS["cuda" if device.type == "cuda" else "cpu"]
        values = asdict(self)
        for key, value in defaults.items():
            if values[key] is None:
                values[key] = value
        if values["precision"] == "auto":
            values["precision"] = "bf16" if device.type == "cuda" else "fp32"
        out = BenchConfig(**values)
        out.validate()
        return out

    def validate(self) -> None:
        """Raise :class:`ConfigError` on an unusable setting."""
        unknown = [m for m in self.models if m not in BENCH_MODELS]
        if unknown or not self.models:
            raise ConfigError(f"bench models must be some of {list(BENCH_MODELS)}, got {self.models}")
        if self.precision not in ("fp32", "bf16"):
            raise ConfigError(f"precision must be fp32, bf16 or auto, got {self.precision!r}")
        for name in ("frames", "size", "batch", "iters"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"threads must be >= 1, got {self.threads}")
        if self.warmup < 1:
            raise ConfigError(f"warmup must be >= 1 (the first warm-up step counts FLOPs), got {self.warmup}")
        if "sdr" in self.models and self.batch % self.K:
            raise ConfigError(f"batch ({self.batch} views) must be a multiple of K={self.K} to time sdr")


@dataclass
class BenchRow:
    """One timed variant.

    Attributes:
        model: model name (``sdr-naive`` for the naive variant).
        variant: precision and options, e.g. ``bf16+cl3d+compile``.
        clips, views: clips and trunk views per step.
        step_s, min_s, max_s: median, fastest and slowest step (wall seconds).
        cpu_s: median process CPU seconds per step (all threads; on a GPU the host-side cost).
        views_per_s, clips_per_s: throughput at the median step.
        sdr_clips_per_s: SDR clips/s (``sdr``) or the ceiling ``views_per_s / K`` (baselines).
        gflop_per_step: FLOPs of forward + backward, in 1e9.
        tflops: achieved TFLOP/s at the median step.
        params_m: parameters in millions.
        peak_mem_gib: CUDA: peak allocated memory of this variant; CPU: the process's peak RSS so
            far (a high-water mark over every variant run before it).
    """

    model: str
    variant: str
    clips: int
    views: int
    step_s: float
    cpu_s: float
    min_s: float
    max_s: float
    views_per_s: float
    clips_per_s: float
    sdr_clips_per_s: float
    gflop_per_step: float
    tflops: float
    params_m: float
    peak_mem_gib: float


@dataclass
class BenchReport:
    """Every row of one ``sdr bench`` run, with the settings and the derived ratios."""

    config: dict[str, Any]
    device: str
    torch_version: str
    rows: list[BenchRow]
    ratios: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows": [asdict(r) for r in self.rows]}



def describe_device(device: torch.device) -> str:
    """``"NVIDIA H100 80GB HBM3"`` or ``"CPU (2 threads)"`` (torch's intra-op threads)."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'' if threads == 1 else 's'})"


COLUMNS = (
    ("model", "model", "{}"),
    ("variant", "variant", "{}"),
    ("clips", "clips", "{}"),
    ("views", "views", "{}"),
    ("step_s", "step s", "{:.4f}"),
    ("cpu_s", "CPU s", "{:.3f}"),
    ("views_per_s", "views/s", "{:.1f}"),
    ("sdr_clips_per_s", "SDR clips/s", "{:.1f}"),
    ("gflop_per_step", "GFLOP/step", "{:.1f}"),
    ("tflops", "TFLOP/s", "{:.3f}"),
    ("params_m", "params M", "{:.2f}"),
    ("peak_mem_gib", "peak GiB", "{:.2f}"),
)


def format_table(report: BenchReport) -> str:
    """A Markdown table of the rows, then the settings and ratios."""
    header = "| " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    lines = [header, "|" + "---|" * len(COLUMNS)]
    for row in report.rows:
        values = [fmt.format(getattr(row, key)) for key, _, fmt in COLUMNS]
        lines.append("| " + " | ".join(values) + " |")
    c = report.config
    lines.append("")
    lines.append(
        f"device: {report.device}, torch {report.torch_version}; clip {c['frames']}x{c['size']}x{c['size']}, "
        f"{c['batch']} views/step, width_mult {c['width_mult']}, depth_mult {c['depth_mult']}, K={c['K']}; "
        f"median of {c['iters']} steps after {c['warmup']} warm-up"
    )
    if report.device.startswith("CPU"):
        lines.append("peak GiB on the CPU: the process's peak RSS so far (a running high-water mark)")
    labels = {
        "sdr_vs_naive": "batched SDR speed-up over the naive branch loop",
        "sdr_vs_ftcn_ceiling": "SDR clips/s / (ftcn views/s / K) (GPU target >= 0.9)",
    }
    for key, value in report.ratios.items():
        lines.append(f"{labels[key]}: {value:.3f}")
    return "\n".join(lines)
