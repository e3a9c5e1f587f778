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
from dataclasses import asdict
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from tqdm.auto import tqdm

from sdrlib.bench.report import BenchConfig, BenchReport, BenchRow, describe_device
from sdrlib.losses import SDRLoss
from sdrlib.models import ModelOutput, create_model
from sdrlib.utils import autocast_context, resolve_device
from sdrlib.utils.device import torch_threads


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
