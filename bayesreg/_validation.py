"""Input checks: the one place where user input is coerced and validated.

Every public entry point (API, CLI, evaluation) calls these, so every error names the
argument that was wrong and says what was expected. Model functions and hot loops
assume validated input and never check again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


def _as_float_array(value: ArrayLike, name: str) -> NDArray[np.float64]:
    if isinstance(value, str | bytes):
        raise TypeError(f"{name} must be numeric array-like; got a string {value!r}.")
    if hasattr(value, "toarray") or hasattr(value, "tocsr"):
        raise TypeError(
            f"Sparse data was passed for {name}, but dense data is required. "
            f"Use {name}.toarray() to convert to a dense numpy array."
        )
    try:
        arr = np.asarray(value)
        if arr.dtype.kind == "c":
            raise ValueError(f"Complex data not supported: {name} must be real numbers.")
        arr = arr.astype(np.float64, copy=False)
    except (TypeError, ValueError) as err:
        if "Complex data" in str(err):
            raise
        raise TypeError(
            f"{name} must be numeric array-like; got {type(value).__name__} "
            f"that cannot be converted to float ({err})."
        ) from None
    return arr


def check_finite(arr: NDArray[np.float64], name: str) -> None:
    """Raise ``ValueError`` naming the first NaN or infinite entry of ``arr``."""
    bad = ~np.isfinite(arr)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = index[0] if len(index) == 1 else index
        kind = "NaN" if np.isnan(arr[index]) else "infinite"
        raise ValueError(
            f"{name} contains {int(bad.sum())} non-finite value(s); the first is {kind} at "
            f"index {where}. Remove or impute missing values before fitting."
        )


def check_1d(value: ArrayLike, name: str = "x", *, min_size: int = 1) -> NDArray[np.float64]:
    """A finite 1-D float64 array with at least ``min_size`` entries."""
    arr = _as_float_array(value, name)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (n_samples,); got shape {arr.shape}.")
    if arr.size < min_size:
        raise ValueError(
            f"{name} is empty: need at least {min_size} value(s), got {arr.size}."
            if arr.size == 0
            else f"{name} needs at least {min_size} values; got {arr.size}."
        )
    check_finite(arr, name)
    return arr


def check_2d(value: ArrayLike, name: str = "X", *, min_samples: int = 1) -> NDArray[np.float64]:
    """A finite 2-D float64 array with at least ``min_samples`` rows and one column."""
    arr = _as_float_array(value, name)
    if arr.ndim != 2:
        hint = (" Reshape your data with X.reshape(-1, 1) for a single feature or "
                "X.reshape(1, -1) for a single sample." if arr.ndim == 1 else "")
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got shape {arr.shape}.{hint}")
    if arr.shape[0] < min_samples:
        raise ValueError(f"{name} is empty: need at least {min_samples} row(s); got shape {arr.shape}.")
    if arr.shape[1] == 0:
        raise ValueError(
            f"{name} has 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required."
        )
    check_finite(arr, name)
    # one memory layout (C order) whatever the input's (a DataFrame's values are Fortran-ordered):
    # X'X sums in another order otherwise, and the same data would give other draws
    return np.ascontiguousarray(arr)


def check_scales(X: NDArray[np.float64], y: NDArray[np.float64], names: Sequence[str] | None = None, *,
                 raw: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None) -> None:
    """Refuse data whose sums of squares float64 cannot hold, before any fitting.

    A linear model's fit goes through X'X, X'y and y'y (the Normal likelihood's sufficient
    statistics): a column whose squares sum past ~1.8e308 (one value like 1e300) makes them
    infinite and every estimate NaN; one whose squares underflow to 0 while its values are not
    all 0 (values ~1e-160) loses the column. Either error names the column and suggests scaling.
    ``X`` and ``y`` are as the model sees them (centred when it fits an intercept); ``raw``, the
    data as given, for the largest values the messages quote.
    """
    raw_X, raw_y = raw if raw is not None else (X, y)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        col_ss = np.einsum("ij,ij->j", X, X)
        y_ss = float(y @ y)
        cross = X.T @ y
    label = (lambda j: f"X column {names[j]!r}") if names is not None else (lambda j: f"X column {j}")
    fix = "scale it (e.g. StandardScaler, or change its units) before fitting."
    for j in np.flatnonzero(~np.isfinite(col_ss)):
        raise ValueError(f"{label(j)} is too large for float64 (largest |value| {np.max(np.abs(raw_X[:, j])):.3g}): "
                         f"its sum of squares overflows; {fix}")
    for j in np.flatnonzero((col_ss < np.finfo(np.float64).tiny) & np.any(X != 0, axis=0)):
        raise ValueError(f"{label(j)} is too small for float64 (largest |value| {np.max(np.abs(raw_X[:, j])):.3g}): "
                         f"its sum of squares underflows to 0; {fix}")
    if not np.isfinite(y_ss):
        raise ValueError(f"y is too large for float64 (largest |value| {np.max(np.abs(raw_y)):.3g}): its sum of "
                         f"squares overflows; {fix}")
    for j in np.flatnonzero(~np.isfinite(cross)):
        raise ValueError(f"{label(j)} times y overflows float64 (X'y is infinite); scale X or y before fitting.")


def check_X_y(X: ArrayLike, y: ArrayLike, *, estimator: str = "this estimator",
              ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate a design matrix and target together: finite, 2-D/1-D, same length."""
    if y is None:
        raise ValueError(f"{estimator} requires y to be passed, but the target y is None.")
    X = check_2d(X, "X")
    y = _as_float_array(y, "y")
    if y.ndim == 2 and y.shape[1] == 1:
        import warnings

        from sklearn.exceptions import DataConversionWarning

        warnings.warn("A column-vector y was passed when a 1d array was expected. Please change "
                      "the shape of y to (n_samples,), for example using ravel().",
                      DataConversionWarning, stacklevel=3)
    y = check_1d(y, "y")
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X and y have different numbers of samples: X has {X.shape[0]} rows, "
            f"y has {y.shape[0]} values."
        )
    return X, y


def check_positive(value: Any, name: str) -> float:
    """A finite, strictly positive real number (scales such as sigma and tau)."""
    if isinstance(value, bool) or not isinstance(value, Real | np.floating | np.integer):
        raise TypeError(f"{name} must be a positive number; got {type(value).__name__} {value!r}.")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}.")
    return value


def check_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """An integer >= ``minimum`` (counts such as num_samples)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__} {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}.")
    return int(value)


def check_level(value: Any, name: str = "level") -> float:
    """A probability strictly between 0 and 1 (interval levels)."""
    if isinstance(value, bool) or not isinstance(value, Real | np.floating):
        raise TypeError(f"{name} must be a number in (0, 1); got {value!r}.")
    value = float(value)
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be in (0, 1), e.g. 0.95; got {value!r}.")
    return value


def check_option(value: Any, name: str, options: Sequence[str]) -> str:
    """One of a fixed set of string options."""
    if value not in options:
        raise ValueError(f"{name} must be one of {tuple(options)}; got {value!r}.")
    return value


MAX_SEED = 2**63 - 1  # jax.random.key and numpy's SeedSequence both take any int up to here


def check_seed(seed: Any, name: str = "seed") -> int:
    """A seed as an int in [0, 2**63): from an int >= 0 (itself), None (fresh entropy from the
    operating system, as ``np.random.default_rng(None)``) or a ``np.random.Generator`` (one draw
    from it, which advances it, as scikit-learn does with a ``RandomState``).

    Everything else (``"abc"``, ``1.5``, ``True``, a legacy ``np.random.RandomState``) is a
    ``TypeError`` naming ``name``, raised before any JAX or numpy code sees it.
    """
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(MAX_SEED, endpoint=True))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        got = ("a legacy np.random.RandomState (pass np.random.default_rng(seed) or an int)"
               if isinstance(seed, np.random.RandomState) else f"{type(seed).__name__} {seed!r}")
        raise TypeError(f"{name} must be an int >= 0, None or a numpy Generator; got {got}.")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"{name} must be an int >= 0 (at most 2**63 - 1), None or a numpy Generator; got {seed}.")
    return int(seed)
