"""bayesreg: Bayesian regression you can see, on NumPyro and JAX.

Importing bayesreg switches JAX to float64 and, if JAX has not started yet, exposes one
CPU device per core so that NUTS chains run in parallel (see ``bayesreg._backend``).
"""

from . import _backend

_backend.configure()

from ._version import __version__  # noqa: E402
from .conjugate import Normal  # noqa: E402
from .exceptions import ConvergenceWarning, ModelFileError, NotFittedError  # noqa: E402
from .gaussian_mean import GaussianMean  # noqa: E402
from .naive_bayes import BernoulliNaiveBayes  # noqa: E402
from .paths import regularization_path  # noqa: E402
from .persistence import load  # noqa: E402
from .predictive import compare_predictives, growth_table, sign_cases  # noqa: E402
from .priors import HalfCauchy, HalfNormal, InverseGamma  # noqa: E402
from .regression import BayesianLinearRegression  # noqa: E402
from .results import MAPEstimate, PosteriorFit  # noqa: E402

__all__ = [
    "BayesianLinearRegression",
    "BernoulliNaiveBayes",
    "ConvergenceWarning",
    "HalfCauchy",
    "HalfNormal",
    "InverseGamma",
    "GaussianMean",
    "MAPEstimate",
    "ModelFileError",
    "Normal",
    "NotFittedError",
    "PosteriorFit",
    "compare_predictives",
    "growth_table",
    "load",
    "regularization_path",
    "sign_cases",
    "__version__",
]
