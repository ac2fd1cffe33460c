"""Comparing predictive distributions of the Gaussian-mean model.

Three ways to predict a new x from data D:

* **MLE plug-in** N(xbar, sigma^2) and **MAP plug-in** N(mu_MAP, sigma^2) treat a point
  estimate as the truth and ignore the uncertainty about mu;
* the **posterior predictive** N(m_n, v_n + sigma^2) integrates over it.

With few data the posterior predictive is wider, which is what makes its intervals cover
and its held-out log density higher; as n grows v_n -> 0, mu_MAP / mu_MLE -> 1 and the
three coincide.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ._validation import check_1d, check_int, check_level, check_seed
from .conjugate import Normal
from .datasets import simulate_gaussian_mean
from .estimators.gaussian_mean import GaussianMean

PREDICTIVES = ("MLE plug-in", "MAP plug-in", "posterior predictive")


def predictive_distributions(model: GaussianMean, x: ArrayLike) -> dict[str, Normal]:
    """The three predictive distributions of a new x given data ``x``."""
    return {
        "MLE plug-in": model.plugin_predictive(x, "mle"),
        "MAP plug-in": model.plugin_predictive(x, "map"),
        "posterior predictive": model.predictive(x),
    }


def compare_predictives(
    model: GaussianMean, x_train: ArrayLike, x_test: ArrayLike, *, level: float = 0.95
) -> pd.DataFrame:
    """Mean, variance, mean held-out log predictive density and interval coverage.

    Returns one row per predictive; ``lpd_se`` is the standard error of the mean log
    density over the held-out points, ``coverage`` the fraction of held-out points inside
    the central ``level`` interval.
    """
    x_train = check_1d(x_train, "x_train")
    x_test = check_1d(x_test, "x_test")
    level = check_level(level)
    rows = []
    for name, dist in predictive_distributions(model, x_train).items():
        lpd = np.asarray(dist.logpdf(x_test), dtype=np.float64).reshape(-1)
        lo, hi = dist.interval(level)
        rows.append({
            "predictive": name,
            "mean": dist.mean,
            "var": dist.var,
            "mean_lpd": float(lpd.mean()),
            "lpd_se": float(lpd.std(ddof=1) / np.sqrt(lpd.size)) if lpd.size > 1 else np.nan,
            "coverage": float(np.mean((x_test >= lo) & (x_test <= hi))),
        })
    return pd.DataFrame(rows).set_index("predictive")


def growth_table(
    model: GaussianMean, ns: Sequence[int], *, mu_true: float, seed: int = 0
) -> pd.DataFrame:
    """How the estimates and predictives behave as n grows, on nested data sets.

    The data sets are prefixes of one simulated sample, so each row adds data to the
    previous one. ``ratio_theory`` is n tau^2 / (sigma^2 + n tau^2) (prior mean 0).
    """
    ns = [check_int(n, "n", minimum=1) for n in ns]
    seed = check_seed(seed)
    if not ns:
        raise ValueError("ns must list at least one sample size.")
    x_all = simulate_gaussian_mean(max(ns), mu=mu_true, sigma=model.sigma, seed=seed)
    rows = []
    for n in sorted(ns):
        x = x_all[:n]
        mle, mapv = model.mle(x), model.map(x)
        post, pred = model.posterior(x), model.predictive(x)
        rows.append({
            "n": n,
            "mu_mle": mle,
            "mu_map": mapv,
            "map_over_mle": mapv / mle if mle != 0 else np.nan,
            "ratio_theory": n * model.tau**2 / (model.sigma**2 + n * model.tau**2),
            "posterior_var": post.var,
            "predictive_var": pred.var,
            "predictive_var_over_sigma2": pred.var / model.sigma**2,
        })
    return pd.DataFrame(rows).set_index("n")


def sign_cases(model: GaussianMean, n: int = 10, *, shift: float = 1.0, seed: int = 0) -> pd.DataFrame:
    """MLE and MAP for three data sets whose sums are zero, positive and negative.

    A centred sample (sum exactly 0) is shifted by 0, +shift and -shift. With prior mean
    0 the MAP is the MLE times n tau^2 / (sigma^2 + n tau^2): equal to it when sum(x) = 0,
    pulled down towards 0 when sum(x) > 0, pulled up towards 0 when sum(x) < 0.
    """
    n = check_int(n, "n", minimum=2)
    seed = check_seed(seed)
    base = simulate_gaussian_mean(n, mu=0.0, sigma=model.sigma, seed=seed)
    base = base - base.mean()
    rows = []
    for case, offset in (("sum(x) = 0", 0.0), ("sum(x) > 0", shift), ("sum(x) < 0", -shift)):
        x = base + offset
        mle, mapv = model.mle(x), model.map(x)
        rows.append({
            "case": case,
            "sum_x": float(np.sum(x)),
            "mu_mle": mle,
            "mu_map": mapv,
            "shrinkage": mapv - mle,
            "posterior_sd": model.posterior(x).std,
        })
    return pd.DataFrame(rows).set_index("case")
