"""Training-step throughput of ``ftcn``, ``i3d`` and ``sdr`` (the ``sdr bench`` command).

One step is what training does: forward, the SDR loss (eq. 6 from :mod:`sdrlib.losses`, which
reduces to BCE for the baselines), backward and an SGD update. After ``warmup`` steps the median of
``iters`` steps is reported, timed with CUDA events on a GPU and ``perf_counter`` on the CPU.
FLOPs of one step (forward + backward + loss) are counted with ``torch.utils.flop_counter`` in the
first warm-up step, which runs eagerly.

Sizes are in trunk **views** per step (``batch``): ``ftcn``/``i3d`` see ``batch`` clips, ``sdr``
sees ``batch / K`` clips, each perturbed K times. So all models are timed at the same trunk batch,
and ``ftcn``'s views/s divided by K is the ceiling of SDR clips/s on the same card (what SDR would
reach if its only cost were the K trunk passes; docs/performance.md). The naive SDR variant (fp32,
no channels_last, no compile, one trunk call per branch in a Python loop) gives the speed-up of
the batched implementation.
"""

from __future__ import annotations

import contextlib
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from tqdm.auto import tqdm

from sdrlib.config import ConfigError
from sdrlib.engine.config import TrainConfig
from sdrlib.losses import SDRLoss
from sdrlib.models import ModelOutput, create_model
from sdrlib.utils import autocast_context, resolve_device
from sdrlib.utils.device import torch_threads

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


class NaiveSDR(nn.Module):
    """SDR with one trunk call per branch in a Python loop: the baseline of the batching speed-up.

    Same weights, TPA and heads as the wrapped model; only the trunk is called K times on B clips
    instead of once on K*B views (so BatchNorm statistics are per branch instead of shared).
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        if getattr(model, "trunks", None) is not None or not hasattr(model, "make_views"):
            raise ValueError("NaiveSDR wraps an sdr model with a shared trunk")
        self.model = model

    def forward(self, x: torch.Tensor) -> ModelOutput:
        views = self.model.make_views(x)
        chunks = views.chunk(views.shape[0] // x.shape[0])
        features = torch.stack([self.model.trunk(chunk) for chunk in chunks], dim=1)
        return self.model.forward_head(features)


def describe_device(device: torch.device) -> str:
    """``"NVIDIA H100 80GB HBM3"`` or ``"CPU (2 threads)"`` (torch's intra-op threads)."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'' if threads == 1 else 's'})"


@contextlib.contextmanager
def _cuda_flags(device: torch.device, tf32: bool) -> Iterator[None]:
    """TF32 only with bf16 (fp32 means true fp32, as in the reference), cuDNN autotuning on."""
    if device.type != "cuda":
        yield
        return
    saved = (
        torch.backends.cuda.matmul.allow_tf32,
        torch.backends.cudnn.allow_tf32,
        torch.backends.cudnn.benchmark,
    )
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = True
    try:
        yield
    finally:
        (
            torch.backends.cuda.matmul.allow_tf32,
            torch.backends.cudnn.allow_tf32,
            torch.backends.cudnn.benchmark,
        ) = saved


def _peak_memory_gib(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**30
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**30 if sys.platform == "darwin" else rss / 2**20


def _time_steps(
    step: Callable[[], None], device: torch.device, warmup: int, iters: int
) -> tuple[list[float], list[float]]:
    """Wall seconds (CUDA events on a GPU, ``perf_counter`` on the CPU) and process CPU seconds per step."""
    for _ in range(warmup):
        step()
    times, cpu_times = [], []
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    for _ in range(iters):
        cpu_start = time.process_time()
        if device.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            step()
            # host time of the step itself: read before the synchronisation spins on the GPU
            cpu_times.append(time.process_time() - cpu_start)
            end.record()
            torch.cuda.synchronize(device)
            times.append(start.elapsed_time(end) / 1e3)
        else:
            start_s = time.perf_counter()
            step()
            times.append(time.perf_counter() - start_s)
            cpu_times.append(time.process_time() - cpu_start)
    return times, cpu_times


def _build(name: str, cfg: BenchConfig) -> nn.Module:
    options: dict[str, Any] = {
        "width_mult": cfg.width_mult,
        "depth_mult": cfg.depth_mult,
        "num_frames": cfg.frames,
        "input_size": cfg.size,
    }
    if name == "sdr":
        options["K"] = cfg.K
    return create_model(name, **options)


def bench_variant(name: str, cfg: BenchConfig, device: torch.device, naive: bool = False) -> BenchRow:
    """Time training steps of one model (``naive``: the naive SDR variant, fp32, plain layout).

    ``cfg`` must be :meth:`BenchConfig.resolved`.
    """
    torch.manual_seed(cfg.seed)
    k = cfg.K if name == "sdr" else 1
    clips = cfg.batch // k
    precision = "fp32" if naive else cfg.precision
    channels_last = cfg.channels_last and not naive
    compiled = cfg.compile and not naive
    model: nn.Module = _build(name, cfg).to(device).train()
    if naive:
        model = NaiveSDR(model)
    loss_fn = SDRLoss().to(device)
    x = torch.randn(clips, 3, cfg.frames, cfg.size, cfg.size, device=device)
    y = torch.randint(0, 2, (clips,), device=device).float()
    if channels_last:
        model.to_channels_last()
        x = x.contiguous(memory_format=torch.channels_last_3d)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    params = sum(p.numel() for p in model.parameters())

    def step_with(net: nn.Module) -> Callable[[], None]:
        def step() -> None:
            with autocast_context(device, precision):
                out = net(x)
            loss_fn(out, y, progress=1.0)["loss"].backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

        return step

    with _cuda_flags(device, tf32=precision == "bf16"):
        # The first warm-up step runs eagerly under the FLOP counter (which needs eager dispatch).
        with FlopCounterMode(display=False) as counter:
            step_with(model)()
        flops = counter.get_total_flops()
        runner = torch.compile(model) if compiled else model
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        # A compiled model compiles in its first call(s): never let that land in the timed steps.
        warmup = max(cfg.warmup - 1, 2) if compiled else cfg.warmup - 1  # validate(): warmup >= 1
        times, cpu_times = _time_steps(step_with(runner), device, warmup, cfg.iters)
    median = statistics.median(times)
    variant = "+".join([precision] + (["cl3d"] if channels_last else []) + (["compile"] if compiled else []))
    return BenchRow(
        model=f"{name}-naive" if naive else name,
        variant=variant,
        clips=clips,
        views=clips * k,
        step_s=round(median, 4),
        cpu_s=round(statistics.median(cpu_times), 4),
        min_s=round(min(times), 4),
        max_s=round(max(times), 4),
        views_per_s=round(clips * k / median, 2),
        clips_per_s=round(clips / median, 2),
        sdr_clips_per_s=round(clips / median if name == "sdr" else clips / median / cfg.K, 2),
        gflop_per_step=round(flops / 1e9, 2),
        tflops=round(flops / median / 1e12, 3),
        params_m=round(params / 1e6, 3),
        peak_mem_gib=round(_peak_memory_gib(device), 2),
    )


def run_bench(cfg: BenchConfig, progress: bool = True) -> BenchReport:
    """Time every model of ``cfg`` (and the naive SDR variant) and derive the ratios.

    Ratios: ``sdr_vs_naive`` (naive step time / batched step time, at equal clips) and
    ``sdr_vs_ftcn_ceiling`` (SDR clips/s over ftcn views/s / K; the project's GPU target is >= 0.9).
    """
    device = resolve_device(cfg.device)
    cfg = cfg.resolved(device)
    jobs = [(name, False) for name in cfg.models]
    if cfg.naive and "sdr" in cfg.models:
        jobs.append(("sdr", True))
    rows = []
    with torch_threads(cfg.threads):
        for name, naive in tqdm(jobs, desc="sdr bench", disable=not progress, leave=False):
            rows.append(bench_variant(name, cfg, device, naive=naive))
            if device.type == "cuda":
                torch.cuda.empty_cache()
        device_name = describe_device(device)
    by_model = {row.model: row for row in rows}
    ratios = {}
    if "sdr" in by_model and "sdr-naive" in by_model:
        ratios["sdr_vs_naive"] = round(by_model["sdr-naive"].step_s / by_model["sdr"].step_s, 3)
    if "sdr" in by_model and "ftcn" in by_model:
        ratios["sdr_vs_ftcn_ceiling"] = round(
            by_model["sdr"].sdr_clips_per_s / by_model["ftcn"].sdr_clips_per_s, 3
        )
    return BenchReport(
        config=asdict(cfg),
        device=device_name,
        torch_version=torch.__version__,
        rows=rows,
        ratios=ratios,
    )


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
