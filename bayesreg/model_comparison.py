"""Which prior predicts better on my data? PSIS-LOO and held-out test MSE, prior by prior.

:func:`compare_priors` fits one :class:`~bayesreg.BayesianLinearRegression` per prior by NUTS
on a training split and reports, side by side:

* ArviZ's PSIS-LOO on the training data (``az.compare``): elpd_loo and its SE, the difference
  to the best prior with the SE of that paired difference, p_loo and the stacking weights;
  every observation whose Pareto k exceeds 0.7 is named (its LOO estimate is then unreliable);
* the test MSE of each posterior mean on the held-out split, with its SE;
* for the Laplace and Normal priors, the test MSE of the MAP (lasso / ridge) at the posterior
  medians of sigma and tau; the shrinkage priors have no MAP (their mode is at w = loc).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ._validation import check_positive, check_X_y
from .datasets import shuffled_split
from .estimators.linear_regression import BayesianLinearRegression
from .evaluation import test_mse
from .inference_data import compare, loo
from .priors import HalfCauchy, HalfNormal, split_coef_prior

PARETO_K_THRESHOLD = 0.7


@dataclass
class PriorComparison:
    """The result of :func:`compare_priors`.

    ``table``: one row per prior, best elpd_loo first. ``pareto_k``: per prior, a DataFrame of
    the training observations with Pareto k > 0.7 (index in X, k, y). ``fits``: the fitted
    estimators by prior label. ``train``/``test``: the row indices of the split.
    """

    table: pd.DataFrame
    pareto_k: dict[str, pd.DataFrame]
    fits: dict[str, BayesianLinearRegression] = field(repr=False)
    train: np.ndarray = field(repr=False)
    test: np.ndarray = field(repr=False)

    def warnings(self) -> list[str]:
        """One line per prior with Pareto k > 0.7, naming the observations."""
        lines = []
        for label, bad in self.pareto_k.items():
            if len(bad):
                obs = ", ".join(f"{i} (k = {k:.2f})" for i, k in zip(bad.index, bad["pareto_k"], strict=True))
                lines.append(f"{label}: Pareto k > {PARETO_K_THRESHOLD} for {len(bad)} observation(s): {obs}; "
                             "their PSIS-LOO estimates are unreliable")
        return lines


def _label(prior) -> str:
    family, obj = split_coef_prior(prior)
    return family if isinstance(prior, str) else repr(obj)


def compare_priors(X: ArrayLike, y: ArrayLike, priors=("laplace", "normal", "horseshoe"), *,
                   test_size: float = 0.25, split_seed: int = 0, sigma=None, tau=None,
                   fit_intercept: bool = True, **nuts_params) -> PriorComparison:
    """Fit each prior by NUTS on a training split; compare PSIS-LOO and held-out test MSE.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    priors : sequence of prior names or prior objects, default=("laplace", "normal", "horseshoe")
        As for ``BayesianLinearRegression(prior=...)``.
    test_size : float, default=0.25
        Share of the rows held out for the test MSE (a seeded shuffle, ``split_seed``).
    sigma : float or ScalePrior, default=None
        The noise prior of every fit; None: ``HalfNormal(sd(y_train))``.
    tau : float or ScalePrior, default=None
        The prior scale of the Laplace and Normal priors (the shrinkage priors bring their own);
        None: ``HalfCauchy(sd(y_train) / mean column sd of X_train)``.
    fit_intercept : bool, default=True
    **nuts_params
        Other estimator parameters (``num_samples``, ``num_chains``, ``seed``, ``target_accept_prob``,
        ``scale_by_sigma``, ``progress``, ``noise="student_t"`` and ``nu``...).
    """
    X, y = check_X_y(X, y, estimator="compare_priors")
    if not 0.0 < float(test_size) < 1.0:
        raise ValueError(f"test_size must be in (0, 1); got {test_size!r}.")
    priors = list(priors)
    if not priors:
        raise ValueError("priors must list at least one prior.")
    labels = [_label(p) for p in priors]  # validates every prior before any fit
    if len(set(labels)) != len(labels):
        raise ValueError(f"priors must differ; got {labels}.")
    n_test = int(round(float(test_size) * len(y)))
    if n_test < 2 or len(y) - n_test < 3:
        raise ValueError(f"test_size={test_size} leaves too few training or test rows ({len(y)} rows).")
    test, train = shuffled_split(len(y), [n_test], seed=split_seed)
    X_tr, y_tr, X_te, y_te = X[train], y[train], X[test], y[test]
    y_sd = check_positive(float(np.std(y_tr)), "the standard deviation of y_train")
    sigma = HalfNormal(y_sd) if sigma is None else sigma
    if tau is None:
        x_sd = float(np.mean(np.std(X_tr, axis=0)))
        tau = HalfCauchy(y_sd / x_sd if x_sd > 0 else y_sd)
    nuts_params = {"progress": False, **nuts_params, "method": "nuts"}

    fits, rows, pareto = {}, {}, {}
    for label, prior in zip(labels, priors, strict=True):
        shrinkage = split_coef_prior(prior)[1] is not None  # brings its own global scale: tau is not used
        est = BayesianLinearRegression(prior=prior, sigma=sigma, tau=1.0 if shrinkage else tau,
                                       fit_intercept=fit_intercept, **nuts_params)
        est.fit(X_tr, y_tr)
        fits[label] = est
        mse = test_mse(est.coef_, X_te, y_te, intercept=est.intercept_)
        row = {"test_mse": mse.mean, "test_mse_se": mse.se, "map_test_mse": np.nan, "map_test_mse_se": np.nan,
               "divergences": est.fit_result_.num_divergences}
        map_est = _map_at_medians(est)
        if map_est is not None:
            map_est.fit(X_tr, y_tr)
            m = test_mse(map_est.coef_, X_te, y_te, intercept=map_est.intercept_)
            row["map_test_mse"], row["map_test_mse_se"] = m.mean, m.se
        if "log_likelihood" not in est.idata_.groups():
            raise ValueError(f"prior {label!r}: the fit holds no pointwise log-likelihood (num_chains x num_samples x "
                             "n_samples is above its memory limit), so there is no PSIS-LOO; use fewer num_samples.")
        pointwise = loo(est.idata_, pointwise=True, pareto_warning=False)
        k = np.asarray(pointwise.pareto_k)
        bad = np.flatnonzero(k > PARETO_K_THRESHOLD)
        pareto[label] = pd.DataFrame({"pareto_k": k[bad], "y": y_tr[bad]},
                                     index=pd.Index(train[bad], name="observation"))
        row["n_pareto_k_above_0.7"] = len(bad)
        rows[label] = row
    loo_table = compare({label: est.idata_ for label, est in fits.items()})
    loo_table = loo_table.rename(columns={"se": "elpd_se", "dse": "elpd_diff_se", "warning": "loo_warning"})
    table = loo_table[["rank", "elpd_loo", "elpd_se", "elpd_diff", "elpd_diff_se", "p_loo", "weight"]].join(
        pd.DataFrame.from_dict(rows, orient="index"))
    table.index.name = "prior"
    return PriorComparison(table=table, pareto_k=pareto, fits=fits, train=train, test=test)


def _map_at_medians(est: BayesianLinearRegression) -> BayesianLinearRegression | None:
    """The lasso / ridge estimator at the posterior medians of sigma and tau (Laplace, Normal
    priors), or None for a shrinkage prior (no MAP: its density is unbounded at w = loc)."""
    if split_coef_prior(est.prior)[1] is not None:
        return None
    fit = est.fit_result_

    def median(name, value):
        return float(np.median(fit.draws(name))) if name in fit.posterior else float(value)

    nu = None if est.noise == "normal" else median("nu", est.nu)  # Student-t noise: the MAP is then L-BFGS
    return BayesianLinearRegression(prior=est.prior, sigma=median("sigma", est.sigma), tau=median("tau", est.tau),
                                    loc=est.loc, fit_intercept=est.fit_intercept, scale_by_sigma=est.scale_by_sigma,
                                    method="map", noise=est.noise, nu=nu)
