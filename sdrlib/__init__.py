"""sdrlib: Spatial Dependency Reduction (Chu et al., ICASSP 2025) for video-level deepfake detection.

The library behind sdr-book. Sub-packages by concept: ``models`` (FTCN trunk, I3D, SDR, 2D
baseline), ``augment`` (TPA), ``mi`` (mutual-information estimators), ``losses``, ``data``
(SynthDF, clip datasets, real-video pipeline), ``engine`` (training, evaluation, experiments) and
``cli`` (the ``sdr`` command).
"""

from sdrlib.models import ModelOutput, create_model, list_models

__version__ = "0.1.0"

__all__ = ["ModelOutput", "__version__", "create_model", "list_models"]
