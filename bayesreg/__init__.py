"""bayesreg: Bayesian regression you can see, on NumPyro and JAX.

Start with::

    import bayesreg
    bayesreg.setup()   # float64, one CPU device per core, compilation cache: before any JAX work

Importing bayesreg changes nothing in the process (no environment variable, no JAX
setting) and imports JAX only when a name that needs it is first used (PEP 562), so the
command line starts fast. :func:`setup` does the back-end set-up (see
:mod:`bayesreg.config`); the fitting methods call it with its defaults if you did not.
"""

from __future__ import annotations

import importlib
import warnings

from ._version import __version__
from .config import backend_info, setup

# public name -> module that defines it; imported on first access
_LAZY = {
    "BayesianLinearRegression": "estimators.linear_regression",
    "BernoulliNaiveBayes": "estimators.naive_bayes",
    "ConvergenceError": "exceptions",
    "ConvergenceWarning": "exceptions",
    "GaussianMean": "estimators.gaussian_mean",
    "Gamma": "priors",
    "HalfCauchy": "priors",
    "Horseshoe": "priors",
    "R2D2": "priors",
    "RegularizedHorseshoe": "priors",
    "compare_priors": "model_comparison",
    "HalfNormal": "priors",
    "InverseGamma": "priors",
    "Jeffreys": "priors",
    "LassoLambda": "priors",
    "MAPEstimate": "results",
    "ModelFileError": "exceptions",
    "Normal": "conjugate",
    "NotFittedError": "exceptions",
    "PosteriorFit": "results",
    "SetupWarning": "exceptions",
    "calibrate": "studies.calibration",
    "compare_predictives": "predictive",
    "growth_table": "predictive",
    "regularization_path": "regularization_paths",
    "sign_cases": "predictive",
}

__all__ = [
    "BayesianLinearRegression",
    "BernoulliNaiveBayes",
    "ConvergenceError",
    "ConvergenceWarning",
    "Gamma",
    "GaussianMean",
    "HalfCauchy",
    "Horseshoe",
    "HalfNormal",
    "InverseGamma",
    "Jeffreys",
    "LassoLambda",
    "MAPEstimate",
    "ModelFileError",
    "Normal",
    "NotFittedError",
    "PosteriorFit",
    "R2D2",
    "RegularizedHorseshoe",
    "SetupWarning",
    "backend_info",
    "calibrate",
    "compare_predictives",
    "compare_priors",
    "growth_table",
    "load",
    "regularization_path",
    "setup",
    "sign_cases",
    "__version__",
]


def load(path):
    """Load a model saved by ``BayesianLinearRegression.save`` (see :mod:`bayesreg.persistence`)."""
    from .estimators.linear_regression import BayesianLinearRegression
    from .persistence import load as load_model

    return load_model(path, BayesianLinearRegression)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bayesreg' has no attribute {name!r}")
    with warnings.catch_warnings():
        # NumPyro imports tqdm.auto, which warns in a Jupyter kernel without ipywidgets; bayesreg never
        # uses NumPyro's progress bars (see config._import_numpyro_quietly)
        warnings.filterwarnings("ignore", message="IProgress not found")
        value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted({*globals(), *_LAZY})
