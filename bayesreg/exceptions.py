"""Exceptions and warnings raised by bayesreg."""

from __future__ import annotations


class NotFittedError(ValueError, AttributeError):
    """An estimator was used before ``fit`` (as in scikit-learn)."""


class ConvergenceWarning(UserWarning):
    """A sampler or optimiser did not converge: divergences, high R-hat, low ESS."""


class ModelFileError(ValueError):
    """A saved model or data file is missing, truncated, or not what was expected."""
