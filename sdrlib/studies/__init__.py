"""Studies of trained models: what a detector relies on and how it behaves, drawn for the book.

Built on the engine (:mod:`sdrlib.engine`) and the experiment grids (:mod:`sdrlib.experiments`),
never the other way round: a study brings its test-time conditions to the engine as
:class:`~sdrlib.engine.runs.Condition` objects, so editing a study never invalidates a cached run.

- :mod:`.diagnose`: the spatial-dependency diagnostic (temporal vs spatial destructions);
- :mod:`.robustness` and :mod:`.perturbations`: DeeperForensics' seven perturbations at test time;
- :mod:`.clusters`: SDR's spatially-perturbed feature clusters;
- :mod:`.curves`: training curves and ROC curves;
- :mod:`.plots`: the figures of the diagnostic and robustness chapters.
"""

from sdrlib.studies.diagnose import CONDITIONS, diagnose_checkpoint, run_diagnostic
from sdrlib.studies.robustness import run_robustness

#: Grids that score the ``table2`` runs under a study's conditions (``sdr experiment NAME``).
STUDY_GRIDS = {"diagnose": run_diagnostic}

__all__ = ["CONDITIONS", "STUDY_GRIDS", "diagnose_checkpoint", "run_diagnostic", "run_robustness"]
