"""bayesreg: Bayesian regression you can see, on NumPyro and JAX.

Importing bayesreg switches JAX to float64 and, if JAX has not started yet, exposes one
CPU device per core so that NUTS chains run in parallel (see ``bayesreg._backend``).
"""

from . import _backend

_backend.configure()

from .conjugate import Normal  # noqa: E402
from .exceptions import ConvergenceWarning, ModelFileError, NotFittedError  # noqa: E402
from .gaussian_mean import GaussianMean  # noqa: E402
from .predictive import compare_predictives, growth_table, sign_cases  # noqa: E402
from .results import MAPEstimate, PosteriorFit  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "ConvergenceWarning",
    "GaussianMean",
    "MAPEstimate",
    "ModelFileError",
    "Normal",
    "NotFittedError",
    "PosteriorFit",
    "compare_predictives",
    "growth_table",
    "sign_cases",
    "__version__",
]
