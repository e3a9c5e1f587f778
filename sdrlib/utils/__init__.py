"""Small helpers shared by every sub-package: devices, threads, atomic file writes, seeding."""

from sdrlib.utils.device import autocast_context, resolve_device, torch_threads
from sdrlib.utils.io import atomic_write_bytes, atomic_write_json, atomic_write_text
from sdrlib.utils.seed import seed_everything

__all__ = [
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "autocast_context",
    "resolve_device",
    "seed_everything",
    "torch_threads",
]
