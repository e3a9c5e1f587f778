"""How a dataset directory was prepared (its ``prepare.json``), as training and prediction read it.

``sdr prepare`` records the settings that shaped the tracks in ``prepare.json``: the dataset, the
compression, the track format and the face pipeline's options under ``face``
(:class:`~sdrlib.data.faces.FacePipelineConfig`, without where the detector ran). A model learns
from those crops, so its checkpoint carries the face settings of its training data
(:func:`sdrlib.engine.data.training_preparation`) and ``sdr predict`` makes its crops the same way
(:func:`sdrlib.predict.faces.prediction_face_config`). This module lives outside
:mod:`sdrlib.data.prepare` on purpose: the trainer reads the file without importing the
preparation code, which the run-cache key would otherwise hash (:mod:`sdrlib.engine.fingerprint`).

Where the prepared benchmarks live: one name per dataset folder (:data:`DATASET_DIRS`). ``sdr
prepare ffpp|celebdf|dfdc`` writes there unless ``--out`` says otherwise, the ``paper`` profiles
read these paths (``data.roots``) and the scripts of ``data_scripts/`` default to them
(``tests/test_paper_walk.py`` checks that all three agree). Paths are relative to the folder the
commands run in (the repository root in the README). What ``sdr prepare`` takes by default is the
protocol's sets (SDR_SPEC section 3): FF++'s originals and four manipulations at the chosen
compression (not FaceShifter nor DeepFakeDetection), Celeb-DF-v2's 518-video test list (not its
other 6k videos) and DFDC's 3215-video subset; the rest is behind a flag (``--methods all``,
``--splits all``, ``--subset full``). Book chapter 'data'; ``data_scripts/README.md``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SETTINGS_FILE = "prepare.json"
#: Face-pipeline options that decide what a crop shows (its side, how much of the head it holds):
#: a model must be given crops made with the values it was trained on.
CROP_SETTINGS = ("size", "scale")
#: Options of one preparation run rather than of its crops (where and in what batches the detector
#: ran, which frames and faces were kept, the alignment window that prediction sets to the model's
#: clip length): never carried over to prediction.
RUN_SETTINGS = ("device", "batch_size", "clip_len", "max_frames", "all_tracks")


def read_settings(dataset_dir: str | Path) -> dict[str, Any] | None:
    """The ``prepare.json`` of a dataset directory, or None (SynthDF, a hand-made manifest)."""
    path = Path(dataset_dir) / SETTINGS_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return data if isinstance(data, dict) else None


def face_settings(dataset_dir: str | Path) -> dict[str, Any] | None:
    """The face-pipeline options a dataset directory was prepared with (``prepare.json``'s
    ``face``), or None when it was not made by the face pipeline."""
    face = (read_settings(dataset_dir) or {}).get("face")
    return dict(face) if isinstance(face, Mapping) else None


def crop_differences(first: Mapping[str, Any], second: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """The :data:`CROP_SETTINGS` two sets of face options give different values, as
    ``(key, first value, second value)``; a key one of them lacks is not a difference."""
    return [
        (key, first[key], second[key])
        for key in CROP_SETTINGS
        if key in first and key in second and first[key] != second[key]
    ]

#: Default dataset directory of each benchmark (``{compression}``: c23, c40 or raw).
DATASET_DIRS: dict[str, str] = {
    "ffpp": "data/ffpp_{compression}",
    "celebdf": "data/celebdf",
    "dfdc": "data/dfdc",
}
#: FF++ manipulations of the protocol (folder names under ``manipulated_sequences``).
PROTOCOL_FFPP_METHODS = ("Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures")
#: Celeb-DF-v2 splits of the protocol: its official test list only (it is a test set here).
PROTOCOL_CELEBDF_SPLITS = ("test",)
#: DFDC test videos of the protocol (LipForensics / RealForensics / FTCN).
PROTOCOL_DFDC_SUBSET = "3215"


def default_dataset_dir(dataset: str, compression: str = "c23") -> str:
    """The dataset directory ``sdr prepare DATASET`` writes when ``--out`` is not given.

    Raises:
        KeyError: a dataset without a default folder (``folder``, ``deepfakebench``).
    """
    if dataset not in DATASET_DIRS:
        raise KeyError(f"no default folder for dataset {dataset!r}; known: {sorted(DATASET_DIRS)}")
    return DATASET_DIRS[dataset].format(compression=compression)


def prepare_hint(root: str | Path) -> str:
    """The command that writes dataset directory ``root`` when it is one of the default folders,
    else a pointer to ``sdr prepare`` (for the error of a missing ``data.roots`` entry)."""
    name = Path(root).as_posix().rstrip("/")
    for dataset in DATASET_DIRS:
        for compression in ("c23", "c40", "raw"):
            if name.endswith(default_dataset_dir(dataset, compression)):
                extra = f" --compression {compression}" if dataset == "ffpp" else ""
                return f"`sdr prepare {dataset} --root RAW --out {name}{extra}` (data_scripts/README.md)"
    return "`sdr synth` or `sdr prepare` (data_scripts/README.md)"
