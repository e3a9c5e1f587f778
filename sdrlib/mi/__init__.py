"""Mutual-information estimators (SDR_SPEC section 2.4; book chapter 'mutual information').

- :mod:`~sdrlib.mi.bounds`: InfoNCE, NWJ, DV, JSD and CLUB as functions of a score matrix.
- :mod:`~sdrlib.mi.critics`: separable (bilinear) and concat critics producing that matrix.
- :mod:`~sdrlib.mi.estimators`: trainable estimators (critic + bound, or CLUB's Gaussian q).
- :mod:`~sdrlib.mi.gaussian`: closed-form symmetric KL between diagonal Gaussians.
- :mod:`~sdrlib.mi.synthetic`: correlated Gaussians with analytic MI.
- :mod:`~sdrlib.mi.fit`: fitting and evaluating an estimator on a sampler.
"""

from sdrlib.mi.bounds import (
    club_upper_bound,
    dv_lower_bound,
    infonce_lower_bound,
    jsd_objective,
    nwj_lower_bound,
    off_diagonal,
)
from sdrlib.mi.critics import ConcatCritic, SeparableCritic
from sdrlib.mi.estimators import CLUB, JSD, NWJ, EstimatorOutput, InfoNCE, MIEstimator
from sdrlib.mi.fit import evaluate_estimator, fit_estimator
from sdrlib.mi.gaussian import MIN_SIGMA, gaussian_symmetric_kl
from sdrlib.mi.synthetic import CorrelatedGaussian

__all__ = [
    "CLUB",
    "JSD",
    "MIN_SIGMA",
    "NWJ",
    "ConcatCritic",
    "CorrelatedGaussian",
    "EstimatorOutput",
    "InfoNCE",
    "MIEstimator",
    "SeparableCritic",
    "club_upper_bound",
    "dv_lower_bound",
    "evaluate_estimator",
    "fit_estimator",
    "gaussian_symmetric_kl",
    "infonce_lower_bound",
    "jsd_objective",
    "nwj_lower_bound",
    "off_diagonal",
]
