"""sdrlib: Spatial Dependency Reduction (Chu et al., ICASSP 2025) for video-level deepfake detection.

The library behind sdr-book, in layers (each imports only the layers above it in this list):
``data`` (SynthDF, clip datasets, the real-video pipeline) -> ``models`` (FTCN trunk, I3D, SDR,
2D baseline), ``augment`` (TPA), ``mi`` (mutual-information estimators), ``losses`` -> ``engine``
(training, checkpoints, evaluation, cached runs) -> ``experiments`` (the paper's tables as grids)
-> ``studies`` (what trained models rely on) and ``predict`` (your own videos) -> ``book`` and
``cli`` (the ``sdr`` command). ``bench`` times training steps.

The short public API: :func:`create_model`, :class:`ClipDataset`, :func:`train`,
:func:`evaluate_checkpoint`, :func:`run_experiment` and the :mod:`studies` (loaded on first use,
so ``import sdrlib`` stays as light as the models).
"""

import importlib
from typing import Any

from sdrlib.models import ModelOutput, create_model, list_models

__version__ = "0.1.0"

_LAZY = {
    "ClipDataset": ("sdrlib.data", "ClipDataset"),
    "train": ("sdrlib.engine.trainer", "train"),
    "evaluate_checkpoint": ("sdrlib.engine.evaluate", "evaluate_checkpoint"),
    "run_experiment": ("sdrlib.experiments", "run_experiment"),
    "studies": ("sdrlib.studies", None),
}

__all__ = ["ModelOutput", "__version__", "create_model", "list_models", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'sdrlib' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = importlib.import_module(module)
    return value if attribute is None else getattr(value, attribute)
