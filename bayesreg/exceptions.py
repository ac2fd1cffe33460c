"""Exceptions and warnings raised by bayesreg."""

from __future__ import annotations

from sklearn.exceptions import NotFittedError  # scikit-learn's own, so its tools recognise it

__all__ = ["ConvergenceWarning", "ModelFileError", "NotFittedError"]


class ConvergenceWarning(UserWarning):
    """A sampler or optimiser did not converge: divergences, high R-hat, low ESS."""


class ModelFileError(ValueError):
    """A saved model or data file is missing, truncated, or not what was expected."""
