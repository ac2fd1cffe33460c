"""Exceptions and warnings raised by bayesreg."""

from __future__ import annotations

__all__ = [  # noqa: F822 (lazy, below)
    "CellError", "ConvergenceError", "ConvergenceWarning", "ModelFileError", "NotFittedError", "SetupWarning",
]


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


class CellError(RuntimeError):
    """Some cells of a study raised. ``failures`` maps each failed cell's key to its exception;
    ``results`` holds the other cells' results (also in the checkpoint folder, if any)."""

    def __init__(self, failures: dict, results: dict, total: int):
        self.failures = dict(failures)
        self.results = dict(results)
        lines = [f"{key}: {type(err).__name__}: {err}" for key, err in self.failures.items()]
        super().__init__(f"{len(self.failures)} of {total} cells failed ({len(self.results)} finished):\n  "
                         + "\n  ".join(lines))


def __getattr__(name):
    # scikit-learn's own NotFittedError, so its tools recognise it; imported on first use because
    # importing scikit-learn takes seconds and ``bayesreg --help`` needs none of it
    if name == "NotFittedError":
        from sklearn.exceptions import NotFittedError

        return NotFittedError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
