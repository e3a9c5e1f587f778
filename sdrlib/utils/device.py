"""Device selection, mixed precision and CPU threads, so that notebooks and the CLI accept ``device="auto"``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Turn ``"auto"`` into CUDA when available (else CPU); validate explicit names.

    Raises:
        ValueError: the name is not a device torch knows, or CUDA was asked for but is absent.
    """
    if isinstance(device, torch.device):
        return device
    name = str(device).strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError as err:
        raise ValueError(f"unknown device {device!r} (use auto, cpu, cuda or cuda:N)") from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available on this machine")
    return dev


def autocast_context(device: torch.device, precision: str = "auto") -> contextlib.AbstractContextManager:
    """Autocast for ``precision`` in {"auto", "fp32", "bf16", "fp16"}.

    ``auto`` is bf16 on CUDA and fp32 on the CPU (bf16 convolutions on a 2-core CPU are slower
    than fp32, and the CPU profiles are about correctness, not speed).
    """
    if precision not in {"auto", "fp32", "bf16", "fp16"}:
        raise ValueError(f"precision must be auto, fp32, bf16 or fp16, got {precision!r}")
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" else "fp32"
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


@contextlib.contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """Run the block with ``count`` intra-op threads (``None``: leave them), then restore the number.

    Small matrices (the MI playground) and stable CPU timings (``sdr bench --threads 1``) want
    fewer threads than torch's default.
    """
    previous = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
