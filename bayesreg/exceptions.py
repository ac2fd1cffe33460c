"""Exceptions and warnings raised by bayesreg."""

from __future__ import annotations

__all__ = ["ConvergenceError", "ConvergenceWarning", "ModelFileError", "NotFittedError", "SetupWarning"]  # noqa: F822 (lazy, below)


class ConvergenceWarning(UserWarning):
    """A sampler or optimiser did not converge: divergences, high R-hat, low ESS."""


class ConvergenceError(ValueError):
    """A sampler failed outright: a chain never moved from its starting point (its log density
    or gradient was not finite there, usually data too large for float64), or a fit gave
    non-finite estimates. A ``ValueError``: the cure is almost always in the data or settings."""


class SetupWarning(UserWarning):
    """:func:`bayesreg.setup` could not apply a backend setting (JAX had already started)."""


class ModelFileError(ValueError):
    """A saved model or data file is missing, truncated, or not what was expected."""


def __getattr__(name):
    # scikit-learn's own NotFittedError, so its tools recognise it; imported on first use because
    # importing scikit-learn takes seconds and ``bayesreg --help`` needs none of it
    if name == "NotFittedError":
        from sklearn.exceptions import NotFittedError

        return NotFittedError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
