"""Regularisation paths: how the MAP and the posterior mean move as the prior scale tau
shrinks.

Under a Laplace prior the MAP (the lasso) sets coefficients *exactly* to ``loc`` one by one
as tau falls, while the posterior mean shrinks them smoothly and never exactly; as tau -> 0
both reach ``loc``. MAPs along the path are warm-started from the previous tau; posterior
means reuse one compiled NUTS sampler, since only tau (an argument) changes.

Under the horseshoe, tau is the scale of its global scale's HalfCauchy prior
(``Horseshoe(scale=tau)``, brms's ``scale_global``): the path shows posterior means only, as
the horseshoe has no usable mode (its density is unbounded at w = loc). Under the regularised
horseshoe tau is the same scale, tau0 (``RegularizedHorseshoe(scale_global=tau / sigma)``, the
slab as given by its defaults). R2D2 has no scale to vary: its shrinkage follows from a prior
on R^2 (compare settings with :func:`bayesreg.compare_priors`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import _progress
from ._validation import check_positive, check_seed, check_X_y
from .config import ensure_setup
from .datasets import fixed_sigma
from .estimators.linear_regression import BayesianLinearRegression
from .exceptions import ConvergenceWarning
from .infer.lasso import lasso_map
from .likelihood import center
from .priors import Horseshoe, RegularizedHorseshoe


@dataclass(frozen=True)
class RegularizationPath:
    taus: np.ndarray            # (n_taus,), decreasing
    map_coef: np.ndarray | None  # (n_taus, n_features); None for the horseshoes (no mode)
    mean_coef: np.ndarray | None  # (n_taus, n_features), posterior means (None if skipped)
    mean_sd: np.ndarray | None
    feature_names: list[str]
    prior: str
    # per tau (same order as ``taus``), the NUTS fit's divergences, max R-hat and min ESS with the
    # parameters they belong to, and problems as text (PosteriorFit.convergence); None if skipped
    convergence: list[dict] | None = None

    def to_frame(self):
        import pandas as pd

        frames = []
        for kind, coef in (("map", self.map_coef), ("posterior_mean", self.mean_coef)):
            if coef is None:
                continue
            df = pd.DataFrame(coef, columns=self.feature_names)
            df.insert(0, "tau", self.taus)
            df.insert(0, "estimate", kind)
            frames.append(df)
        return pd.concat(frames, ignore_index=True)


PATH_PRIORS = ("laplace", "normal", "horseshoe", "regularized_horseshoe")
_NO_MAP = ("horseshoe", "regularized_horseshoe")


def check_path_prior(prior: str, posterior: bool = True) -> None:
    """Refuse, in one line, a prior that has no path over tau (before any output or data)."""
    if prior not in PATH_PRIORS:
        raise ValueError(f"prior must be one of {', '.join(map(repr, PATH_PRIORS))} for a regularisation path over "
                         f"tau; got {prior!r}: R2D2 has no scale to vary, its shrinkage follows from a prior on R^2 "
                         "(compare its settings with bayesreg.compare_priors).")
    if prior in _NO_MAP and not posterior:
        raise ValueError(f"posterior=False leaves nothing to compute for prior={prior!r}: it has no MAP "
                         "(its density is unbounded at w = loc), only posterior means.")


def regularization_path(
    X: ArrayLike,
    y: ArrayLike,
    taus: Sequence[float],
    *,
    prior: str = "laplace",
    sigma: float | str = "ols",
    loc: float | ArrayLike = 0.0,
    fit_intercept: bool = False,
    posterior: bool = True,
    num_warmup: int = 500,
    num_samples: int = 1000,
    num_chains: int = 4,
    seed: int = 0,
    progress: bool | None = None,
    feature_names: Sequence[str] | None = None,
) -> RegularizationPath:
    """MAP and (optionally) NUTS posterior mean of w for each tau in ``taus``; ``feature_names``
    default to a DataFrame's columns, and name the coefficients in convergence messages.
    ``sigma`` is fixed (the MAPs are exact lasso or ridge solutions): a number, or ``"ols"``
    (default, as ``bayesreg path``), the OLS residual sd. ``prior="horseshoe"`` or
    ``"regularized_horseshoe"``: tau is the prior scale of the global scale (``Horseshoe(scale=tau)``,
    ``RegularizedHorseshoe(scale_global=tau / sigma)``), and only posterior means are computed."""
    if feature_names is None and hasattr(X, "columns"):
        feature_names = list(X.columns)
    check_path_prior(prior, posterior)
    X, y = check_X_y(X, y)
    taus = np.sort(np.asarray([check_positive(t, "taus") for t in taus], dtype=float))[::-1]
    if taus.size == 0:
        raise ValueError("taus must list at least one prior scale.")
    sigma = fixed_sigma(sigma, X, y, fit_intercept=fit_intercept)
    sigma = check_positive(sigma, "sigma")
    seed = check_seed(seed)
    ensure_setup()
    base = BayesianLinearRegression(prior="laplace" if prior in _NO_MAP else prior, sigma=sigma, loc=loc,
                                    fit_intercept=fit_intercept,
                                    num_warmup=num_warmup, num_samples=num_samples,
                                    num_chains=num_chains, seed=seed, progress=False)
    loc_vec = base._loc_vector(X.shape[1])
    names = list(feature_names) if feature_names is not None else [f"x{j}" for j in range(X.shape[1])]
    if len(names) != X.shape[1]:
        raise ValueError(f"feature_names has {len(names)} names but X has {X.shape[1]} columns.")
    import pandas as pd

    frame = pd.DataFrame(X, columns=[str(name) for name in names])  # NUTS messages name w[bmi], not w[2]
    Xc, yc, _, _ = center(X, y, fit_intercept=fit_intercept)
    gram = (Xc.T @ Xc, Xc.T @ yc)
    maps, means, sds, convergence = [], [], [], []
    previous = None
    show = _progress.resolve(progress)
    with _progress.bar(len(taus), "regularisation path", enabled=show, unit="tau") as bar:
        for tau in taus:
            if prior == "laplace":
                sol = lasso_map(Xc, yc, sigma=sigma, tau=tau, loc=loc_vec, init=previous, gram=gram)
                previous = sol.coef
                maps.append(sol.coef)
            elif prior == "normal":
                maps.append(base.set_params(tau=tau, method="map").fit(X, y).coef_)
            if posterior:
                # the horseshoe's scale is data of one compiled sampler, as tau is for the others
                scales = (dict(prior=Horseshoe(scale=tau)) if prior == "horseshoe" else
                          dict(prior=RegularizedHorseshoe(scale_global=tau / sigma))
                          if prior == "regularized_horseshoe" else dict(tau=tau))
                with warnings.catch_warnings():  # said below, once per tau, at the caller's line
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    est = base.set_params(**scales, method="nuts").fit(frame, y)
                for problem in est.fit_result_.convergence_problems():
                    warnings.warn(f"at tau = {tau:g}: {problem}", ConvergenceWarning, stacklevel=2)
                convergence.append({"tau": float(tau), **est.fit_result_.convergence()})
                w = est.fit_result_.draws("w").reshape(-1, X.shape[1])
                means.append(w.mean(axis=0))
                sds.append(w.std(axis=0, ddof=1))
            bar.update(1)
    return RegularizationPath(taus=taus, map_coef=np.asarray(maps) if maps else None,
                              mean_coef=np.asarray(means) if posterior else None,
                              mean_sd=np.asarray(sds) if posterior else None,
                              feature_names=names, prior=prior, convergence=convergence if posterior else None)
