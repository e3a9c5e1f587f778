"""The engine that trains and scores one model: config, training loop, checkpoints, evaluation.

:func:`~sdrlib.engine.trainer.train` trains a :class:`~sdrlib.engine.config.RunConfig` into a run
folder; :func:`~sdrlib.engine.evaluate.evaluate_checkpoint` scores a checkpoint on prepared data;
:mod:`~sdrlib.engine.runs` caches runs and their evaluations for the experiment grids. Nothing here
imports the studies of trained models (:mod:`sdrlib.studies`), the book or the command line, so
the run cache (keyed by the code training imports, :mod:`~sdrlib.engine.fingerprint`) never
depends on them. Book chapter 'training end to end'.
"""

from sdrlib.engine.checkpoint import load_checkpoint
from sdrlib.engine.config import RunConfig
from sdrlib.engine.evaluate import evaluate_checkpoint
from sdrlib.engine.profiles import Profile, load_run_config
from sdrlib.engine.trainer import train

__all__ = ["Profile", "RunConfig", "evaluate_checkpoint", "load_checkpoint", "load_run_config", "train"]
