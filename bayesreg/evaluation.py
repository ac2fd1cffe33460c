"""Which point estimate predicts better: the MAP or the posterior mean?

Under y = x'w + eps, eps ~ N(0, sigma^2), with test inputs x of second-moment matrix
M = E[x x'] (the identity for independent, mean-zero, unit-variance features), the
expected test MSE of an estimate w_hat given the true w is

    sigma^2 + (w - w_hat)' M (w - w_hat)            (= sigma^2 + ||w - w_hat||^2 for M = I).

Averaging over the posterior of w (and of sigma, if it is sampled) gives the
*posterior-expected* test MSE, sigma^2 + tr(M Cov[w | D]) + (E[w | D] - w_hat)' M (E[w | D] - w_hat),
which the posterior mean minimises: no other point estimate can have a lower one.
Every number comes with a standard error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ._validation import check_1d, check_2d, check_seed, check_X_y
from .datasets import fixed_sigma
from .likelihood import center


@dataclass(frozen=True)
class Estimate:
    """A number with its standard error (Monte Carlo or sampling)."""

    mean: float
    se: float

    def __repr__(self) -> str:
        return f"{self.mean:.6g} ± {self.se:.2g}"


def test_mse(w_hat: ArrayLike, X: ArrayLike, y: ArrayLike, *, intercept: float = 0.0) -> Estimate:
    """Mean squared prediction error of y_hat = X w_hat + intercept, with its standard error
    sd(squared errors) / sqrt(n)."""
    X, y = check_X_y(X, y)
    w_hat = check_1d(w_hat, "w_hat")
    if w_hat.size != X.shape[1]:
        raise ValueError(f"w_hat has {w_hat.size} entries but X has {X.shape[1]} features.")
    sq = (y - X @ w_hat - intercept) ** 2
    return Estimate(float(sq.mean()), float(sq.std(ddof=1) / np.sqrt(sq.size)) if sq.size > 1 else np.nan)


def paired_mse_difference(pred_a: ArrayLike, pred_b: ArrayLike, y: ArrayLike) -> Estimate:
    """MSE(a) - MSE(b) on the same test points, with the standard error of the paired
    differences of squared errors (far smaller than either MSE's own)."""
    y = check_1d(y, "y")
    d = (y - check_1d(pred_a, "pred_a")) ** 2 - (y - check_1d(pred_b, "pred_b")) ** 2
    return Estimate(float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else np.nan)


def posterior_expected_test_mse(w_draws: ArrayLike, w_hat: ArrayLike, *, sigma=1.0,
                                second_moment: ArrayLike | None = None) -> Estimate:
    """E over the posterior of sigma^2 + (w - w_hat)' M (w - w_hat), from draws.

    ``w_draws`` has shape (chain, draw, p) or (draw, p); ``sigma`` is a fixed number or
    draws of the same leading shape. The standard error is the MCSE of the per-draw
    quantity (ESS-based for (chain, draw) input).
    """
    from .diagnostics import mcse_of_mean

    w = np.asarray(w_draws, dtype=np.float64)
    if w.ndim == 2:
        w = w[None]
    diff = w - check_1d(w_hat, "w_hat")
    if second_moment is None:
        quad = np.sum(diff**2, axis=-1)
    else:
        M = check_2d(second_moment, "second_moment")
        quad = np.einsum("cdi,ij,cdj->cd", diff, M, diff)
    sigma2 = np.broadcast_to(np.asarray(sigma, dtype=np.float64) ** 2, quad.shape)
    per_draw = sigma2 + quad
    return Estimate(float(per_draw.mean()), mcse_of_mean(per_draw))


def compare_estimators(X_train, y_train, X_test, y_test, *, prior: str = "laplace", tau="auto", sigma="ols",
                       loc=0.0, fit_intercept: bool = True, num_warmup: int = 1000, num_samples: int = 1000,
                       num_chains: int = 2, seed: int = 0, progress: bool | None = None, feature_names=None,
                       noise: str = "normal", nu=None):
    """Fit the MAP and NUTS once each; compare point estimates on a held-out set.

    Returns ``(table, fits)``. The table has one row per estimate (w_MAP, posterior mean,
    posterior median, posterior predictive mean) with the test MSE and its SE, the paired
    difference from the posterior mean, the posterior-expected test MSE (with M estimated
    from the centred training inputs) and the number of exact zeros. ``fits`` holds the
    two fitted estimators; with ``feature_names`` they are fitted on DataFrames with those columns,
    so their coefficient tables and convergence messages name the features (``w[bmi]``).

    ``tau="auto"`` is the estimator's default (2.5 sd(y) / sd(x_j) per feature); ``sigma="ols"``
    fixes sigma at the OLS residual sd of the training rows, so that the MAP is the exact
    (weighted) lasso or ridge solution, as ``bayesreg compare`` does. ``noise="student_t"`` (with
    ``nu``) fits Student-t noise, the MAP by L-BFGS; the posterior-expected MSE then uses the noise
    variance sigma^2 nu / (nu - 2) and is NaN when draws of nu <= 2 make it infinite.
    """
    from .estimators.linear_regression import BayesianLinearRegression

    if feature_names is None and hasattr(X_train, "columns"):
        feature_names = list(X_train.columns)
    X_train, y_train = check_X_y(X_train, y_train)
    X_test, y_test = check_X_y(X_test, y_test)
    seed = check_seed(seed)  # once: the fit and the predictive draws share it
    if X_test.shape[1] != X_train.shape[1]:
        raise ValueError(f"X_test has {X_test.shape[1]} features, X_train {X_train.shape[1]}.")
    frame_train, frame_test = X_train, X_test
    if feature_names is not None:
        feature_names = [str(name) for name in feature_names]
        if len(feature_names) != X_train.shape[1]:
            raise ValueError(f"feature_names has {len(feature_names)} names but X_train {X_train.shape[1]} columns.")
        frame_train, frame_test = (pd.DataFrame(X, columns=feature_names) for X in (X_train, X_test))
    sigma = fixed_sigma(sigma, X_train, y_train, fit_intercept=fit_intercept)
    common = dict(prior=prior, tau=tau, sigma=sigma, loc=loc, fit_intercept=fit_intercept, noise=noise, nu=nu)
    map_fit = BayesianLinearRegression(method="map", **common).fit(frame_train, y_train)
    nuts = BayesianLinearRegression(method="nuts", num_warmup=num_warmup, num_samples=num_samples,
                                    num_chains=num_chains, seed=seed, progress=progress,
                                    **common).fit(frame_train, y_train)
    w = nuts.fit_result_.draws("w")
    sigma_draws = nuts.fit_result_.draws("sigma") if "sigma" in nuts.fit_result_.posterior else nuts._noise_var() ** 0.5
    nu_draws = nuts._nu_estimate()
    if nu_draws is not None:  # Student-t noise: its variance sigma^2 nu / (nu - 2), finite for nu > 2 only
        nu_draws = np.broadcast_to(nu_draws, w.shape[:2])
        finite = bool(np.all(nu_draws > 2.0))
        sigma_draws = sigma_draws * np.sqrt(nu_draws / (nu_draws - 2.0)) if finite else np.full(w.shape[:2], np.nan)
    Xc, _, _, _ = center(X_train, y_train, fit_intercept=fit_intercept)
    M = Xc.T @ Xc / Xc.shape[0]
    flat = w.reshape(-1, w.shape[-1])
    median = np.median(flat, axis=0)
    b_draws = nuts.fit_result_.draws("intercept").ravel() if fit_intercept else np.zeros(flat.shape[0])
    estimates = {
        "w_MAP": (map_fit.coef_, map_fit.intercept_),
        "posterior mean": (nuts.coef_, nuts.intercept_),
        "posterior median": (median, float(np.median(b_draws))),
    }
    pred_mean = nuts.predict(frame_test)
    rows = []
    for name, (coef, intercept) in estimates.items():
        pred = X_test @ coef + intercept
        mse = test_mse(coef, X_test, y_test, intercept=intercept)
        diff = paired_mse_difference(pred, pred_mean, y_test)
        pe = posterior_expected_test_mse(w, coef, sigma=sigma_draws, second_moment=M)
        rows.append({"estimate": name, "test_mse": mse.mean, "test_mse_se": mse.se,
                     "minus_posterior_mean": diff.mean, "difference_se": diff.se,
                     "posterior_expected_mse": pe.mean, "pe_mse_mcse": pe.se,
                     "exact_zeros": int(np.sum(coef == np.broadcast_to(loc, coef.shape)))})
    draws_pred = nuts.sample_predictive(frame_test, seed=seed).mean(axis=0)
    mse = test_mse(np.zeros(X_test.shape[1]), X_test, y_test - draws_pred)
    diff = paired_mse_difference(draws_pred, pred_mean, y_test)
    rows.append({"estimate": "posterior predictive mean (draws)", "test_mse": mse.mean, "test_mse_se": mse.se,
                 "minus_posterior_mean": diff.mean, "difference_se": diff.se,
                 "posterior_expected_mse": np.nan, "pe_mse_mcse": np.nan, "exact_zeros": 0})
    return pd.DataFrame(rows).set_index("estimate"), {"map": map_fit, "nuts": nuts}
