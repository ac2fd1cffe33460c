"""Bayesian linear regression as a scikit-learn estimator.

y = X w + b + eps, eps ~ N(0, sigma^2), with a Laplace (Bayesian lasso) or Normal (ridge)
prior on w around ``loc``. ``fit_intercept=True`` adds an intercept b with a flat prior,
integrated out by centring X and y; its posterior given w and sigma is
N(ybar - xbar'w, sigma^2 / n), from which its draws are made. Computation is in float64.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, RegressorMixin

from .. import likelihood, models
from .._validation import check_2d, check_level, check_option, check_X_y
from ..config import ensure_setup, provenance
from ..conjugate import MultivariateNormal, linear_normal_posterior
from ..diagnostics import warn_if_unconverged
from ..exceptions import NotFittedError
from ..infer.lasso import lasso_map
from ..infer.mcmc import MCMCSettings
from ..infer.nuts import run_nuts
from ..infer.optimize import find_map
from ..priors import COEFFICIENT_PRIORS, PRIOR_TYPES, split_coef_prior, split_scale
from ..results import PosteriorFit

PRIORS = COEFFICIENT_PRIORS  # laplace, normal and the shrinkage priors (bayesreg.priors)
METHODS = ("nuts", "gibbs", "map", "exact")
SAMPLERS = ("nuts", "gibbs")  # the methods whose fit holds posterior draws


class BayesianLinearRegression(RegressorMixin, BaseEstimator):
    """Linear regression with a Laplace or Normal prior, fitted by NUTS, exactly or by MAP.

    Parameters
    ----------
    prior : {"laplace", "normal", "horseshoe", "regularized_horseshoe", "r2d2"} or prior object, default="laplace"
        Laplace(loc, tau) on each coefficient (the Bayesian lasso) or Normal(loc, tau^2)
        (Bayesian ridge); or a shrinkage prior, by name with its defaults or as
        :class:`~bayesreg.priors.Horseshoe`, :class:`~bayesreg.priors.RegularizedHorseshoe`
        or :class:`~bayesreg.priors.R2D2` with its arguments. A shrinkage prior samples its
        own global scale, so ``tau`` is not used; it needs ``method="nuts"`` (its mode is
        degenerate at w = loc, so there is no MAP).
    tau : float or ScalePrior, default=1.0
        Prior scale of the coefficients; a :class:`~bayesreg.HalfCauchy` samples it, and
        :class:`~bayesreg.priors.LassoLambda` ``(r, delta)`` puts Park & Casella's
        lambda^2 = 1/tau^2 ~ Gamma(r, delta) on it (draws of tau and lambda are reported).
    loc : float or array-like of shape (n_features,), default=0.0
        Prior location of the coefficients: what you believe w is near.
    sigma : float or ScalePrior, default=1.0
        Noise standard deviation; :class:`~bayesreg.HalfNormal` (or HalfCauchy,
        ``InverseGamma`` on sigma^2, or the improper :class:`~bayesreg.priors.Jeffreys`
        p(sigma^2) ~ 1/sigma^2) samples it.
    fit_intercept : bool, default=False
        Add an unpenalised intercept (flat prior, integrated out by centring).
    method : {"nuts", "gibbs", "map", "exact"}, default="nuts"
        ``"nuts"``: full posterior by NUTS. ``"gibbs"``: full posterior by the Gibbs sampler
        for the Laplace prior (tau fixed or ``LassoLambda``; sigma fixed, ``InverseGamma`` on
        sigma^2 or ``Jeffreys``), see
        :mod:`bayesreg.infer.gibbs`. ``"map"``: posterior mode; exact lasso / ridge
        solution when sigma and tau are fixed, else L-BFGS on the log density.
        ``"exact"``: conjugate Gaussian posterior (Normal prior, fixed sigma and tau).
    scale_by_sigma : bool, default=False
        Use w_j | sigma ~ Laplace(loc_j, sigma * tau) (Park & Casella 2008), which keeps
        the posterior unimodal when sigma is sampled; Normal(loc_j, (sigma * tau)^2) for
        the Normal prior. Every method uses this prior scale.
    num_warmup, num_samples, num_chains : int
        NUTS settings. ``chain_method`` and ``target_accept_prob`` as in NumPyro.
    dense_mass : bool, default=False
        NUTS adapts a dense inverse mass matrix (the posterior covariance, estimated in
        warmup) instead of a diagonal one, as NumPyro's ``dense_mass=True``. Worth it when
        the columns of X are correlated, which makes the coefficients' posterior
        correlated: on diabetes with tau = 50 it gave ~1.5x the ESS per second. Each
        leapfrog step then costs O(p^2) more. Ignored by the other methods.
    seed : int, default=0
        Same seed, same draws.
    progress : bool or None, default=True
        Progress bar on stderr while sampling (None: only in a terminal or notebook).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Posterior mean (nuts, exact) or MAP (map).
    intercept_ : float
        Posterior mean (samplers) or ``y_mean_ - x_mean_ @ coef_``; 0.0 without ``fit_intercept``.
    n_features_in_ : int
        Number of columns of X seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of X, when X had string column names (a DataFrame).
    n_samples_fit_ : int
        Number of rows of X seen in ``fit`` (the n in the intercept's posterior variance sigma^2 / n).
    x_mean_ : ndarray of shape (n_features_in_,)
        Column means of X the model was centred with (zeros without ``fit_intercept``).
    y_mean_ : float
        Mean of y the model was centred with (0.0 without ``fit_intercept``).
    idata_ : arviz.InferenceData (NUTS and Gibbs only)
    posterior_ : MultivariateNormal (exact only)
    fit_result_ : PosteriorFit, MultivariateNormal, LassoSolution or MAPEstimate
    """

    def __init__(self, prior="laplace", tau=1.0, loc=0.0, sigma=1.0, fit_intercept=False,
                 method="nuts", scale_by_sigma=False, num_warmup=1000, num_samples=1000,
                 num_chains=2, chain_method="parallel", target_accept_prob=0.8, dense_mass=False,
                 seed=0, progress=True):
        self.prior = prior
        self.tau = tau
        self.loc = loc
        self.sigma = sigma
        self.fit_intercept = fit_intercept
        self.method = method
        self.scale_by_sigma = scale_by_sigma
        self.num_warmup = num_warmup
        self.num_samples = num_samples
        self.num_chains = num_chains
        self.chain_method = chain_method
        self.target_accept_prob = target_accept_prob
        self.dense_mass = dense_mass
        self.seed = seed
        self.progress = progress

    # ------------------------------------------------------------------ set-up
    def _loc_vector(self, n_features: int) -> NDArray[np.float64]:
        loc = np.asarray(self.loc, dtype=np.float64)
        if loc.ndim == 0:
            loc = np.full(n_features, float(loc))
        elif loc.shape != (n_features,):
            raise ValueError(
                f"loc must be a scalar or have one entry per feature ({n_features}); "
                f"got shape {loc.shape}."
            )
        if not np.all(np.isfinite(loc)):
            raise ValueError("loc contains NaN or infinite values.")
        return loc

    def _check_params(self):
        check_option(self.method, "method", METHODS)
        sigma_family, sigma = split_scale(self.sigma, "sigma")
        tau_family, tau = split_scale(self.tau, "tau")
        self._check_shrinkage(tau_family)
        if self.method == "exact" and (self.prior != "normal" or sigma_family or tau_family):
            raise ValueError(
                "method='exact' needs prior='normal' with fixed sigma and tau (the conjugate "
                "case); use method='nuts' for this model."
            )
        if self.method == "gibbs" and (self.prior != "laplace" or tau_family not in (None, "lasso_lambda")
                                       or sigma_family not in (None, "invgamma_variance", "jeffreys")):
            raise ValueError(
                "method='gibbs' needs prior='laplace', a fixed tau or tau=LassoLambda(r, delta), and sigma "
                "fixed, sigma=InverseGamma(a, b) or sigma=Jeffreys() (conjugate for sigma^2); use "
                "method='nuts' for this model."
            )
        return sigma_family, sigma, tau_family, tau

    def _check_shrinkage(self, tau_family):
        """Validate ``prior``; the shrinkage priors run on NUTS only and bring their own tau."""
        family, shrinkage = split_coef_prior(self.prior)
        if shrinkage is None:
            return
        if self.method in ("map", "exact", "gibbs"):
            why = ("its posterior density is unbounded at w = loc, so the mode is degenerate there"
                   if self.method == "map" else "there is no closed form or Gibbs sweep for it")
            raise ValueError(f"method={self.method!r} is not available for prior={family!r}: {why}; "
                             "use method='nuts'.")
        if tau_family is not None:
            raise ValueError(f"tau={self.tau!r}: prior={family!r} samples its own global scale; give its "
                             "arguments in the prior object instead (e.g. Horseshoe(scale=...)).")

    def _w_scale(self, sigma: float, tau: float) -> float:
        """The prior scale of w for fixed sigma and tau: sigma * tau under ``scale_by_sigma``.

        The one place the closed-form paths (exact, MAP) read it, so that none can forget the
        scaling; the NumPyro models and the Gibbs sampler apply the same rule to a sampled sigma.
        """
        return sigma * tau if self.scale_by_sigma else tau

    def _model_kwargs(self, loc, sigma, tau, sigma_family, tau_family, Xc=None):
        """(static structure, traced hyperparameters) of the NumPyro regression models.

        ``Xc`` (the design the model sees) is needed by the shrinkage priors: the
        regularised horseshoe's tau0 depends on n and p, R2D2 scales by the columns' mean squares."""
        family, shrinkage = split_coef_prior(self.prior)
        static = dict(prior=family, sigma_prior=sigma_family, tau_prior=tau_family,
                      scale_by_sigma=bool(self.scale_by_sigma), centered=bool(self.fit_intercept))
        hyper = dict(loc=loc, sigma=sigma, tau=tau)
        if shrinkage is not None:
            hyper["shrinkage"] = shrinkage.params(*Xc.shape)
            if family == "r2d2":
                x_sq = np.mean(Xc**2, axis=0)
                hyper["x_sq"] = np.where(x_sq > 0, x_sq, 1.0)  # a zero column's w is not identified anyway
        return static, hyper

    # ------------------------------------------------------------------ fitting
    def fit(self, X: ArrayLike, y: ArrayLike):
        """Fit the model to X of shape (n_samples, n_features) and y of shape (n_samples,)."""
        sigma_family, sigma, tau_family, tau = self._check_params()
        ensure_setup()  # float64 etc. with setup()'s defaults unless bayesreg.setup() ran
        self.feature_names_in_ = _feature_names(X)
        if self.feature_names_in_ is None:
            del self.feature_names_in_
        X, y = check_X_y(X, y, estimator=type(self).__name__)
        n_samples, n_features = X.shape
        self.n_features_in_ = n_features
        loc = self._loc_vector(n_features)
        Xc, yc, self.x_mean_, self.y_mean_ = likelihood.center(X, y, fit_intercept=bool(self.fit_intercept))
        if sigma_family == "jeffreys":
            self._check_jeffreys(Xc, yc)
        self.n_samples_fit_ = n_samples
        self.__dict__.pop("posterior_", None)

        if self.method == "exact":
            post = linear_normal_posterior(Xc, yc, loc=loc, tau=self._w_scale(sigma, tau), sigma=sigma)
            self.posterior_ = self.fit_result_ = post
            self.coef_ = post.mean
        elif self.method == "map":
            self.fit_result_ = self._fit_map(Xc, yc, loc, sigma, tau, sigma_family, tau_family)
            self.coef_ = _map_coef(self.fit_result_)
        else:
            fit = self._fit_sampler(X, y, Xc, yc, loc, sigma, tau, sigma_family, tau_family)
            warn_if_unconverged(fit.convergence_problems())
            self.fit_result_ = fit
            self.coef_ = fit.draws("w").reshape(-1, n_features).mean(axis=0)
        self.intercept_ = float(self.y_mean_ - self.x_mean_ @ self.coef_) if self.fit_intercept else 0.0
        if self.method in SAMPLERS and self.fit_intercept:
            self.intercept_ = float(self.fit_result_.draws("intercept").mean())
        return self

    def _check_jeffreys(self, Xc, yc):
        """Refuse sigma=Jeffreys() where the posterior may be improper. With n_eff residual
        degrees of freedom, p(sigma | w, y) ~ sigma^-(n_eff + 1) exp(-RSS / 2 sigma^2) needs
        n_eff >= 1 (2 asked, to be safe); without scale_by_sigma, integrating sigma out leaves
        RSS(w)^(-n_eff / 2), not integrable where RSS reaches 0, i.e. when X fits y exactly."""
        n_eff = Xc.shape[0] - (1 if self.fit_intercept else 0)
        if n_eff < 2:
            extra = " besides the intercept" if self.fit_intercept else ""
            raise ValueError(f"sigma=Jeffreys() needs at least 2 observations{extra} for a proper posterior; "
                             f"got {Xc.shape[0]}. Use a proper prior such as InverseGamma.")
        if not self.scale_by_sigma:
            coef = np.linalg.lstsq(Xc, yc, rcond=None)[0]
            if np.sum((yc - Xc @ coef) ** 2) <= 1e-12 * max(float(yc @ yc), np.finfo(float).tiny):
                raise ValueError("sigma=Jeffreys() gives an improper posterior here: X fits y exactly (e.g. p >= n); "
                                 "use scale_by_sigma=True or a proper prior such as InverseGamma.")

    def _fit_map(self, Xc, yc, loc, sigma, tau, sigma_family, tau_family):
        if sigma_family is None and tau_family is None:
            scale = self._w_scale(sigma, tau)
            if self.prior == "laplace":
                return lasso_map(Xc, yc, sigma=sigma, tau=scale, loc=loc)
            return linear_normal_posterior(Xc, yc, loc=loc, tau=scale, sigma=sigma)
        # No exact solver when sigma or tau is sampled: optimise the log density.
        static, hyper = self._model_kwargs(loc, sigma, tau, sigma_family, tau_family)
        init = {"sigma": float(np.std(yc)) or 1.0} if sigma_family == "jeffreys" else None  # no prior median
        return find_map(models.linear_regression, {**static, **hyper, "X": Xc, "y": yc}, init=init)

    def _fit_sampler(self, X, y, Xc, yc, loc, sigma, tau, sigma_family, tau_family):
        import jax

        settings = MCMCSettings(num_warmup=self.num_warmup, num_samples=self.num_samples,
                                num_chains=self.num_chains, chain_method=self.chain_method,
                                target_accept_prob=self.target_accept_prob, dense_mass=self.dense_mass)
        key_mcmc, key_pred = jax.random.split(jax.random.key(self.seed))
        if self.method == "gibbs":
            from ..infer.gibbs import gibbs_data, run_gibbs

            if sigma_family is None:
                sigma_prior, start = None, sigma
            elif sigma_family == "jeffreys":  # InvGamma(0, 0); start at the sd of y
                sigma_prior, start = (0.0, 0.0), float(np.std(yc)) or 1.0
            else:  # start at the prior mode
                sigma_prior, start = sigma, float(np.sqrt(sigma[1] / (sigma[0] + 1.0)))
            tau_start = tau if tau_family is None else float(np.sqrt(tau[1] / tau[0]))  # 1 / sqrt(E lambda^2)
            data = gibbs_data(Xc, yc, loc=loc, tau=tau_start, sigma=start, sigma_prior=sigma_prior,
                              tau_prior=tau if tau_family else None, centered=bool(self.fit_intercept))
            draws = run_gibbs(key_mcmc, data, settings=settings, scale_by_sigma=bool(self.scale_by_sigma),
                              progress=self.progress)
        else:
            # the same posterior from sufficient statistics: O(p^2) per gradient, not O(n p)
            static, hyper = self._model_kwargs(loc, sigma, tau, sigma_family, tau_family, Xc)
            data = {**hyper, **likelihood.sufficient_statistics(Xc, yc)}
            draws = run_nuts(models.linear_regression_gram, key_mcmc, data, static=static,
                             settings=settings, progress=self.progress,
                             desc=f"NUTS {static['prior']} regression")
        samples = dict(draws.samples)
        if tau_family == "lasso_lambda":
            samples["lambda"] = 1.0 / samples["tau"]  # Park & Casella's lambda
        rng_intercept, rng_pointwise = np.random.default_rng(np.asarray(jax.random.key_data(key_pred))).spawn(2)
        sigma_draws = samples.get("sigma", sigma)
        w = samples["w"]
        if self.fit_intercept:
            # b | w, sigma, D ~ N(ybar - xbar'w, sigma^2 / n) under a flat prior on b
            sd = np.asarray(sigma_draws) / np.sqrt(X.shape[0])
            samples["intercept"] = likelihood.normal_replicates(
                self.y_mean_ - w @ self.x_mean_, sd, rng=rng_intercept)
        pointwise = _PointwiseGroups(X, y, samples, sigma_draws, rng_pointwise)
        names = list(getattr(self, "feature_names_in_", [f"x{j}" for j in range(X.shape[1])]))
        return PosteriorFit.from_draws(
            dataclasses.replace(draws, samples=samples),
            posterior_predictive=pointwise.predictive,
            log_likelihood=pointwise.log_likelihood,
            observed_data={"y": y},
            dims={"w": ["feature"], "y": ["obs"]},
            coords={"feature": names},
            attrs={**provenance(), "model": repr(self), "seed": self.seed,
                   "inference": "Gibbs (bayesreg, scale mixture of normals)" if self.method == "gibbs" else None},
        )

    @property
    def idata_(self):
        """The posterior as ArviZ ``InferenceData`` (NUTS and Gibbs fits), built on first access."""
        result = self.__dict__.get("fit_result_")
        if not isinstance(result, PosteriorFit):
            raise AttributeError(f"{type(self).__name__} has no idata_: it holds a posterior only after a "
                                 "fit with method='nuts' or 'gibbs'.")
        return result.idata

    # ------------------------------------------------------------------ prediction
    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )

    def _check_X(self, X) -> NDArray[np.float64]:
        self._check_fitted()
        X = check_2d(X, "X")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        return X

    def _mean_draws(self, X) -> NDArray[np.float64] | None:
        """(chain, draw, n) draws of the regression function at X (NUTS and Gibbs fits)."""
        if self.method not in SAMPLERS:
            return None
        w = self.fit_result_.draws("w")
        mean = w @ X.T
        if self.fit_intercept:
            mean = mean + self.fit_result_.draws("intercept")[..., None]
        return mean

    def _noise_var(self) -> float:
        if self.method in SAMPLERS and "sigma" in self.fit_result_.posterior:
            return float(np.mean(self.fit_result_.draws("sigma") ** 2))
        if isinstance(self.sigma, PRIOR_TYPES):
            if self.method == "map":
                return float(self.fit_result_.params["sigma"]) ** 2
            raise ValueError("sigma has a prior but this fit holds no draws of it.")
        return float(self.sigma) ** 2

    def predict(self, X: ArrayLike, return_std: bool = False):
        """Posterior predictive mean at X (the plug-in prediction for ``method="map"``).

        With ``return_std=True`` also the predictive standard deviation: parameter
        uncertainty plus noise (plug-in: sigma only, for a MAP fit).
        """
        X = self._check_X(X)
        mean = X @ self.coef_ + self.intercept_
        if not return_std:
            return mean
        var = np.full(X.shape[0], self._noise_var())
        if self.method == "exact":
            Xc = X - self.x_mean_
            var += np.einsum("ij,jk,ik->i", Xc, self.posterior_.cov, Xc)
            if self.fit_intercept:  # the intercept's own variance, sigma^2 / n
                var += self._noise_var() / self.n_samples_fit_
        elif self.method in SAMPLERS:
            draws = self._mean_draws(X).reshape(-1, X.shape[0])
            var += draws.var(axis=0)
        return mean, np.sqrt(var)

    def predict_interval(self, X: ArrayLike, level: float = 0.95):
        """Central posterior predictive interval (lower, upper) at X, from the Normal
        predictive for exact fits and from predictive draws for NUTS fits."""
        level = check_level(level)
        X = self._check_X(X)
        if self.method in SAMPLERS:
            y_draws = self.sample_predictive(X)
            tail = (1 - level) / 2
            return np.quantile(y_draws, tail, axis=0), np.quantile(y_draws, 1 - tail, axis=0)
        from scipy import special

        mean, std = self.predict(X, return_std=True)
        half = std * special.ndtri(0.5 + level / 2)
        return mean - half, mean + half

    def sample_predictive(self, X: ArrayLike, *, seed: int | None = None) -> NDArray[np.float64]:
        """Draws of y at X from the posterior predictive, shape (num_draws, n)."""
        X = self._check_X(X)
        rng = np.random.default_rng(self.seed if seed is None else seed)
        if self.method in SAMPLERS:
            mean = self._mean_draws(X)
            sigma = (self.fit_result_.draws("sigma") if "sigma" in self.fit_result_.posterior
                     else np.sqrt(self._noise_var()))
            return likelihood.normal_replicates(mean, sigma, rng=rng).reshape(-1, X.shape[0])
        if self.method == "exact":
            w = self.posterior_.sample(4000, rng=rng)
            b = self.y_mean_ - w @ self.x_mean_ if self.fit_intercept else 0.0
            noise = np.sqrt(self._noise_var())
            if self.fit_intercept:
                b = b + noise / np.sqrt(self.n_samples_fit_) * rng.standard_normal(4000)
                b = b[:, None]
            return w @ X.T + b + noise * rng.standard_normal((4000, X.shape[0]))
        raise ValueError("sample_predictive needs a posterior: fit with method='nuts', 'gibbs' or 'exact'.")

    def sample_prior_predictive(self, X: ArrayLike, *, num_samples: int = 500,
                                seed: int | None = None) -> NDArray[np.float64]:
        """Draws of y at X from the prior predictive, shape (num_samples, n): what the prior
        (with ``sigma``, ``tau`` and ``loc``) implies about the data before seeing any y.

        Needs no fit. With ``fit_intercept`` the intercept's flat prior has no draws: X is
        centred at its column means and the draws are of y - mean(y) (compare them with the
        centred observations, as :func:`bayesreg.plotting.plot_prior_predictive` does).
        """
        import jax
        from numpyro.infer import Predictive

        from .._validation import check_int

        sigma_family, sigma, tau_family, tau = self._check_params()
        if "jeffreys" in (sigma_family, tau_family):
            raise ValueError("sigma=Jeffreys() is improper: there is no prior predictive to draw from; "
                             "use a proper prior such as InverseGamma or HalfNormal.")
        num_samples = check_int(num_samples, "num_samples")
        ensure_setup()
        X = check_2d(X, "X")
        Xc = X - X.mean(axis=0) if self.fit_intercept else X
        static, hyper = self._model_kwargs(self._loc_vector(X.shape[1]), sigma, tau, sigma_family, tau_family, Xc)
        key = jax.random.key(self.seed if seed is None else seed)
        draws = Predictive(models.linear_regression, num_samples=num_samples)(key, Xc, None, **static, **hyper)
        return np.asarray(draws["y"])

    # ------------------------------------------------------------------ reporting
    def coef_table(self, level: float = 0.95):
        """One row per coefficient: estimate and, for posteriors, sd and interval."""
        import pandas as pd

        self._check_fitted()
        level = check_level(level)
        names = list(getattr(self, "feature_names_in_", [f"x{j}" for j in range(self.n_features_in_)]))
        table = pd.DataFrame({"coef": self.coef_}, index=pd.Index(names, name="feature"))
        tail = (1 - level) / 2
        if self.method in SAMPLERS:
            w = self.fit_result_.draws("w").reshape(-1, self.n_features_in_)
            summary = self.fit_result_.summary(var_names=["w"])
            table["sd"] = w.std(axis=0, ddof=1)
            table["median"] = np.median(w, axis=0)
            table["lower"], table["upper"] = np.quantile(w, [tail, 1 - tail], axis=0)
            table["ess_bulk"] = summary["ess_bulk"].values
            table["r_hat"] = summary["r_hat"].values
        elif self.method == "exact":
            from scipy import special

            table["sd"] = self.posterior_.std
            z = special.ndtri(1 - tail)
            table["lower"], table["upper"] = self.coef_ - z * table["sd"], self.coef_ + z * table["sd"]
        else:
            table["is_zero"] = self.coef_ == self._loc_vector(self.n_features_in_)
        return table

    def save(self, path):
        """Save the fitted model to the folder ``path`` (see :func:`bayesreg.load`)."""
        from ..persistence import save

        return save(self, path)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class _PointwiseGroups:
    """Replicated data and pointwise log-likelihoods of every draw at the training data:
    (chain, draw, n) arrays for ArviZ's posterior_predictive and log_likelihood groups,
    made only when the InferenceData is built, and skipped when too large for memory."""

    def __init__(self, X, y, samples, sigma_draws, rng):
        self._X, self._y, self._samples, self._sigma, self._rng = X, y, samples, sigma_draws, rng
        self._mean = None

    def _fits(self) -> bool:
        w = self._samples["w"]
        return likelihood.pointwise_fits(*w.shape[:2], self._X.shape[0])

    def _regression_mean(self):
        if self._mean is None:
            self._mean = self._samples["w"] @ self._X.T
            if "intercept" in self._samples:
                self._mean = self._mean + self._samples["intercept"][..., None]
        return self._mean

    def predictive(self) -> dict:
        if not self._fits():
            return {}
        return {"y": likelihood.normal_replicates(self._regression_mean(), self._sigma, rng=self._rng)}

    def log_likelihood(self) -> dict:
        if not self._fits():
            return {}
        return {"y": likelihood.normal_log_likelihood(self._y, self._regression_mean(), self._sigma)}


def _map_coef(result) -> NDArray[np.float64]:
    """The coefficients of a MAP result: lasso solution, ridge posterior, or L-BFGS optimum."""
    if isinstance(result, MultivariateNormal):
        return result.mean  # a Gaussian posterior's mode is its mean
    if hasattr(result, "coef"):
        return result.coef
    return np.asarray(result.params["w"])


def _feature_names(X):
    columns = getattr(X, "columns", None)
    if columns is None:
        return None
    names = np.asarray([str(c) for c in columns], dtype=object)
    return names if all(isinstance(c, str) for c in columns) else None
