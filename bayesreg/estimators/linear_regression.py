"""Bayesian linear regression as a scikit-learn estimator.

y = X w + b + eps, eps ~ N(0, sigma^2), with a Laplace (Bayesian lasso) or Normal (ridge)
prior on w around ``loc``. ``fit_intercept=True`` adds an intercept b with a flat prior,
integrated out by centring X and y; its posterior given w and sigma is
N(ybar - xbar'w, sigma^2 / n), from which its draws are made. Computation is in float64.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import _check_feature_names

from .. import likelihood, models
from .._validation import check_1d, check_2d, check_level, check_option, check_scales, check_seed, check_X_y
from ..config import ensure_setup, provenance
from ..conjugate import linear_normal_posterior
from ..diagnostics import check_chains_moved, warn_if_unconverged
from ..exceptions import ConvergenceError, NotFittedError
from ..infer.lasso import lasso_map
from ..infer.mcmc import MCMCSettings, seed_keys
from ..infer.nuts import run_nuts
from ..infer.optimize import find_map
from ..priors import COEFFICIENT_PRIORS, Gamma, HalfNormal, split_coef_prior, split_scale
from ..results import ExactPosterior, RegressionContext, RegressionMAP, RegressionPosterior, RidgeMAP

PRIORS = COEFFICIENT_PRIORS  # laplace, normal and the shrinkage priors (bayesreg.priors)
AUTO = "auto"
NOISE = models.NOISE  # the likelihood: Normal or Student-t noise
NU_DEFAULT = Gamma(2.0, 0.1)  # brms's and Bambi's prior on the Student-t degrees of freedom
TAU_AUTO = 2.5  # rstanarm's autoscale: coefficient prior scale 2.5 sd(y) / sd(x_j)


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
        degenerate at w = loc, so there is no MAP). It is fitted collapsed: w is integrated
        out, NUTS samples the prior's scales and sigma, and each draw of w is drawn exactly
        from its Gaussian conditional (no funnel, hence no divergences from it; see
        :func:`bayesreg.models.linear_regression_collapsed`). The draws hold w, z and the
        scales as a non-centred fit would; ``idata_.attrs["inference"]`` says so.
    tau : "auto", float, array-like of shape (n_features,) or ScalePrior, default="auto"
        Prior scale of the coefficients. ``"auto"`` scales it to the data as rstanarm's
        autoscale does: tau_j = 2.5 sd(y) / sd(x_j) (2.5 / sd(x_j) with ``scale_by_sigma``,
        where sigma carries the units of y; a constant column keeps sd(x_j) = 1), resolved
        at fit time and reported in ``priors_``. A number is one scale for every
        coefficient (the fixed-scale model), an array one per coefficient; a
        :class:`~bayesreg.HalfCauchy` samples it, and :class:`~bayesreg.priors.LassoLambda`
        ``(r, delta)`` puts Park & Casella's lambda^2 = 1/tau^2 ~ Gamma(r, delta) on it
        (draws of tau and lambda are reported).
        Not used by the shrinkage priors.
    loc : float or array-like of shape (n_features,), default=0.0
        Prior location of the coefficients: what you believe w is near.
    sigma : "auto", float or ScalePrior, default="auto"
        Noise standard deviation. ``"auto"`` samples it with the weakly-informative prior
        HalfNormal(sd(y)) (sd(y) resolved at fit time; 1 if y is constant). A number fixes
        it; :class:`~bayesreg.HalfNormal` (or HalfCauchy, ``InverseGamma`` on sigma^2, or
        the improper :class:`~bayesreg.priors.Jeffreys` p(sigma^2) ~ 1/sigma^2) samples it.
        ``method="exact"`` needs a number; ``method="gibbs"`` a number, InverseGamma or
        Jeffreys. With sigma and tau fixed numbers, ``method="map"`` is the exact lasso
        (Laplace) or ridge (Normal) solution.
    fit_intercept : bool, default=True
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
    seed : int >= 0, None or numpy Generator, default=0
        Same seed, same draws. None draws fresh entropy at each fit; a ``np.random.Generator``
        is drawn from once per fit (so a seeded Generator reproduces a sequence of fits).
    progress : bool or None, default=None
        Progress bar on stderr while sampling; None: only where a person watches (a terminal or
        notebook; not in pipes, log files, CI or GridSearchCV workers).
    noise : {"normal", "student_t"}, default="normal"
        The likelihood. ``"student_t"``: y_i ~ StudentT(nu, b + x_i'w, sigma), robust to outliers
        (brms's ``student()``, Bambi's ``family="t"``); sigma is then the noise *scale*. Runs on
        ``method="nuts"`` with every prior (on the full data: Student-t has no sufficient
        statistics; the intercept is sampled, not integrated out) and ``method="map"`` (L-BFGS);
        ``"exact"`` and ``"gibbs"`` have no Student-t form and refuse it.
    nu : None, float or Gamma, default=None
        Degrees of freedom of Student-t noise. None: sampled with brms's and Bambi's default
        prior ``Gamma(2, 0.1)`` (mean 20; unlike brms, not truncated at 1); a number fixes it
        (e.g. 4); ``Gamma(a, b)`` samples it with that prior. Only with ``noise="student_t"``.
    convergence_checks : bool, default=True
        After a NUTS or Gibbs fit, compute ArviZ's rank-normalised R-hat and bulk and tail ESS
        of every parameter and warn (:class:`~bayesreg.exceptions.ConvergenceWarning`) when
        R-hat > 1.01 or an ESS < 100 per chain, as PyMC's ``compute_convergence_checks``.
        False skips them at fit time (divergences are still warned about, they cost nothing):
        on small models they are 10-20% of a fit (a sort and FFTs of every parameter's
        draws), which repeated fits (cross-validation, paths, timing) need not pay.
        ``fit_result_.convergence()`` and the summary table compute them when asked.

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
    fit_result_ : RegressionPosterior, ExactPosterior, LassoSolution, RidgeMAP or RegressionMAP
        The fit, one of the types of :class:`~bayesreg.results.RegressionResult` (draws, the
        closed form, the exact lasso or ridge MAP, an L-BFGS MAP): what the methods above ask.
    priors_ : dict
        The priors the fit used, resolved with numbers: ``"w"`` (the family and its scale),
        ``"loc"``, ``"tau"`` (a number, one per feature under ``"auto"``, or a prior),
        ``"sigma"`` (a number or a prior such as ``HalfNormal(77.1)``) and, with
        ``fit_intercept``, ``"intercept"``. :meth:`prior_summary` states them in one line.

    Notes
    -----
    The defaults follow rstanarm's autoscale (and Bambi): an intercept, sigma sampled with
    a prior scaled by sd(y), coefficient scales 2.5 sd(y) / sd(x_j). rstanarm uses
    Exponential(1 / sd(y)) for sigma; HalfNormal(sd(y)) has the same scale and a lighter
    tail (a residual sd far above sd(y) is implausible once the intercept is fitted) and is
    a prior bayesreg already has everywhere (NUTS, MAP, saving, ``--sigma-prior``).
    ``tau=1.0, sigma=1.0, fit_intercept=False`` is the fixed homework model.
    """

    def __init__(self, prior="laplace", tau=AUTO, loc=0.0, sigma=AUTO, fit_intercept=True,
                 method="nuts", scale_by_sigma=False, num_warmup=1000, num_samples=1000,
                 num_chains=2, chain_method="parallel", target_accept_prob=0.8, dense_mass=False,
                 seed=0, progress=None, noise="normal", nu=None, convergence_checks=True):
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
        self.noise = noise
        self.nu = nu
        self.convergence_checks = convergence_checks

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
        """(sigma family, sigma, tau family, tau) before seeing data: "auto" and a per-feature
        tau are resolved by :meth:`_resolve_scales` at fit time (their value here is None)."""
        check_option(self.method, "method", tuple(METHOD_TABLE))
        if not isinstance(self.convergence_checks, (bool, np.bool_)):
            raise TypeError(f"convergence_checks must be True or False; got {self.convergence_checks!r}.")
        self._check_noise()
        if not isinstance(self.seed, np.random.Generator):  # a Generator is drawn from once, at fit
            check_seed(self.seed)
        for name in ("sigma", "tau"):
            value = getattr(self, name)
            if isinstance(value, str) and value != AUTO:
                raise TypeError(f"{name} must be 'auto', a positive number or a prior such as HalfNormal(1.0); "
                                f"got {value!r}.")
        if _is_auto(self.sigma):
            sigma_family, sigma = HalfNormal.family, None  # HalfNormal(sd(y))
        else:
            sigma_family, sigma = split_scale(self.sigma, "sigma")
        if _is_auto(self.tau) or np.ndim(self.tau) == 1:
            tau_family, tau = None, None  # one fixed scale per feature
        else:
            tau_family, tau = split_scale(self.tau, "tau")
        self._check_shrinkage(tau_family)
        check = METHOD_TABLE[self.method].check
        if check is not None:
            check(self, sigma_family, tau_family)
        return sigma_family, sigma, tau_family, tau

    def validate(self):
        """Check the parameters without data, as ``fit`` does first: a bad value or an
        impossible combination (e.g. ``method="exact"`` with a Laplace prior) raises a one-line
        ``ValueError`` or ``TypeError`` naming the argument. Returns the estimator."""
        self._check_params()
        return self

    def _check_exact(self, sigma_family, tau_family):
        if self.prior == "normal" and _is_auto(self.sigma):
            raise ValueError("method='exact' needs a fixed sigma, but the default sigma='auto' samples it: "
                             "pass a number, e.g. sigma=1.0, or use method='nuts'.")
        if self.prior != "normal" or sigma_family or tau_family:
            raise ValueError(
                "method='exact' needs prior='normal' with fixed sigma and tau (the conjugate "
                "case); use method='nuts' for this model."
            )

    def _check_gibbs(self, sigma_family, tau_family):
        gibbs_rest_ok = self.prior == "laplace" and tau_family in (None, "lasso_lambda")
        if gibbs_rest_ok and _is_auto(self.sigma):
            raise ValueError("method='gibbs' cannot sample the default sigma='auto' (HalfNormal(sd(y)), not "
                             "conjugate): pass sigma=InverseGamma(a, b), sigma=Jeffreys() or a number.")
        if not gibbs_rest_ok or sigma_family not in (None, "invgamma_variance", "jeffreys"):
            raise ValueError(
                "method='gibbs' needs prior='laplace', a fixed tau or tau=LassoLambda(r, delta), and sigma "
                "fixed, sigma=InverseGamma(a, b) or sigma=Jeffreys() (conjugate for sigma^2); use "
                "method='nuts' for this model."
            )

    def _check_noise(self):
        """(nu family or None when fixed, nu) of Student-t noise, or None for Normal noise;
        refuses the methods that have no Student-t form."""
        check_option(self.noise, "noise", NOISE)
        if self.noise == "normal":
            if self.nu is not None:
                raise ValueError(f"nu={self.nu!r} is the degrees of freedom of Student-t noise: pass "
                                 "noise='student_t' with it, or leave nu=None.")
            return None
        if not METHOD_TABLE[self.method].student_t:
            raise ValueError(f"method={self.method!r} has no form for noise='student_t' (it needs the Normal "
                             "likelihood); use method='nuts' or 'map'.")
        nu = NU_DEFAULT if self.nu is None else self.nu
        if isinstance(nu, bool | str) or not isinstance(nu, Gamma | int | float | np.number):
            raise TypeError(f"nu must be None, a positive number or a Gamma prior such as Gamma(2, 0.1); "
                            f"got {self.nu!r}.")
        return split_scale(nu, "nu")

    def _resolve_scales(self, X, y, sigma, tau):
        """(sigma, tau, per-feature tau or None) with "auto" resolved from the data.

        sigma="auto" is HalfNormal(sd(y)); tau="auto" is rstanarm's autoscale, tau_j =
        2.5 sd(y) / sd(x_j) (2.5 / sd(x_j) with scale_by_sigma), sd(x_j) = 1 for a constant
        column (rstanarm leaves those alone). A per-feature tau is fitted as tau = 1 on the
        columns x_j tau_j (w_j = tau_j u_j, u_j ~ Laplace(loc_j / tau_j, 1)): the same
        posterior, and every method (the exact lasso and ridge, NUTS, Gibbs) keeps its
        scalar-tau form.
        """
        y_scale = _sd(y)
        if _is_auto(self.sigma):
            sigma = y_scale
        if split_coef_prior(self.prior)[1] is not None:  # a shrinkage prior brings its own global scale
            return sigma, 1.0, None
        if not (_is_auto(self.tau) or np.ndim(self.tau) == 1):
            return sigma, tau, None
        n_features = X.shape[1]
        if _is_auto(self.tau):
            x_scale = np.array([_sd(X[:, j]) for j in range(n_features)])
            tau_vec = TAU_AUTO * (1.0 if self.scale_by_sigma else y_scale) / x_scale
        else:
            tau_vec = np.asarray(self.tau, dtype=np.float64)
            if tau_vec.shape != (n_features,):
                raise ValueError(f"tau must be a number, 'auto' or have one entry per feature ({n_features}); "
                                 f"got shape {tau_vec.shape}.")
            if not np.all(np.isfinite(tau_vec) & (tau_vec > 0)):
                raise ValueError("tau must be finite and > 0 for every feature.")
        return sigma, 1.0, tau_vec

    def _resolved_priors(self, sigma, tau, tau_vec, sigma_family, loc) -> dict:
        """``priors_``: what the fit used, with numbers."""
        family, shrinkage = split_coef_prior(self.prior)
        scale = "tau_j" if tau_vec is not None else "tau"
        priors = {"intercept": "flat"} if self.fit_intercept else {}
        if shrinkage is not None:
            priors["w"] = f"{shrinkage!r} around loc_j"
        else:
            family = "Laplace" if family == "laplace" else "Normal"
            priors["w"] = f"{family}(loc_j, {'sigma * ' if self.scale_by_sigma else ''}{scale})"
        priors["loc"] = float(loc[0]) if loc.size and np.all(loc == loc[0]) else loc
        if shrinkage is not None:
            priors["tau"] = "sampled by the prior"
        elif tau_vec is not None:
            priors["tau"] = tau_vec
        else:
            priors["tau"] = self.tau if not isinstance(self.tau, int | float | np.number) else float(tau)
        priors["sigma"] = HalfNormal(sigma) if _is_auto(self.sigma) else (
            float(sigma) if sigma_family is None else self.sigma)
        noise = self._check_noise()
        if noise is not None:  # Student-t noise: its degrees of freedom
            priors["nu"] = float(noise[1]) if noise[0] is None else (NU_DEFAULT if self.nu is None else self.nu)
        return priors

    def prior_summary(self) -> str:
        """The priors of the fit in one line, e.g. ``intercept ~ flat; w_j ~ Laplace(loc_j,
        tau_j), loc = 0, tau = (age 1.2e+03, ...); sigma ~ HalfNormal(77.09)``."""
        self._check_fitted()
        priors = getattr(self, "priors_", None)
        if priors is None:
            return "priors: not recorded"
        parts = ["intercept ~ flat"] if "intercept" in priors else []
        loc = priors["loc"]
        loc_text = f"{loc:g}" if np.ndim(loc) == 0 else "(" + ", ".join(f"{v:.4g}" for v in loc) + ")"
        tau = priors["tau"]
        if np.ndim(tau) == 1 and not isinstance(tau, str) and len(tau) <= 10:
            names = _names(self)
            tau_text = "(" + ", ".join(f"{n} {v:.4g}" for n, v in zip(names, tau, strict=True)) + ")"
        elif np.ndim(tau) == 1 and not isinstance(tau, str):  # many features: the range (all in priors_)
            tau_text = f"{np.min(tau):.4g} to {np.max(tau):.4g} over {len(tau)} features"
        else:
            tau_text = f"{tau:g}" if isinstance(tau, float) else repr(tau)
        if isinstance(tau, str):
            parts.append(f"w_j ~ {priors['w']}, loc = {loc_text}")
        else:
            parts.append(f"w_j ~ {priors['w']}, loc = {loc_text}, tau = {tau_text}")
        sigma = priors["sigma"]
        parts.append(f"sigma = {sigma:g}" if isinstance(sigma, float) else f"sigma ~ {sigma!r}")
        if "nu" in priors:
            nu = priors["nu"]
            parts.append("Student-t noise, " + (f"nu = {nu:g}" if isinstance(nu, float) else f"nu ~ {nu!r}"))
        return "; ".join(parts)

    def _check_shrinkage(self, tau_family):
        """Validate ``prior``; the shrinkage priors run on NUTS only and bring their own tau."""
        family, shrinkage = split_coef_prior(self.prior)
        if shrinkage is None:
            return
        why = METHOD_TABLE[self.method].no_shrinkage
        if why is not None:
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
        noise = self._check_noise()
        if noise is not None:  # only the full-data model has Student-t noise
            static.update(noise=self.noise, nu_prior=noise[0])
            hyper["nu"] = noise[1]
        if shrinkage is not None:
            hyper["shrinkage"] = shrinkage.params(*Xc.shape)
            if family == "r2d2":
                hyper["x_sq"] = models.column_mean_squares(Xc)
        return static, hyper

    # ------------------------------------------------------------------ fitting
    def fit(self, X: ArrayLike, y: ArrayLike):
        """Fit the model to X of shape (n_samples, n_features) and y of shape (n_samples,)."""
        sigma_family, sigma, tau_family, tau = self._check_params()
        ensure_setup()  # float64 etc. with setup()'s defaults unless bayesreg.setup() ran
        _check_feature_names(self, X, reset=True)  # scikit-learn's: sets or removes feature_names_in_
        X, y = check_X_y(X, y, estimator=type(self).__name__)
        n_samples, n_features = X.shape
        self.n_features_in_ = n_features
        loc = self._loc_vector(n_features)
        Xc, yc, self.x_mean_, self.y_mean_ = likelihood.center(X, y, fit_intercept=bool(self.fit_intercept))
        check_scales(Xc, yc, _names(self), raw=(X, y))  # X'X, X'y, y'y must be finite: one clear error, not NaNs
        sigma, tau, tau_vec = self._resolve_scales(X, y, sigma, tau)
        self.priors_ = self._resolved_priors(sigma, tau, tau_vec, sigma_family, loc)
        if tau_vec is not None:  # w = tau_j u_j: fit u on the columns x_j tau_j with scale 1
            Xc, loc_fit = Xc * tau_vec, loc / tau_vec
        else:
            loc_fit = loc
        if sigma_family == "jeffreys":
            self._check_jeffreys(Xc, yc)
        self.n_samples_fit_ = n_samples
        self.__dict__.pop("_training_data", None)

        problem = _Problem(X=X, y=y, Xc=Xc, yc=yc, loc=loc, loc_fit=loc_fit, sigma=sigma, tau=tau,
                           sigma_family=sigma_family, tau_family=tau_family, tau_vec=tau_vec)
        self.fit_result_ = METHOD_TABLE[self.method].fit(self, problem)
        self.coef_ = self.fit_result_.coef
        self.intercept_ = self.fit_result_.intercept(self._context())
        if not (np.all(np.isfinite(self.coef_)) and np.isfinite(self.intercept_)):
            raise ConvergenceError(f"the {self.method} fit gave non-finite estimates; scale X and y (e.g. "
                                   "StandardScaler) or fix sigma and tau to numbers.")
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

    def _fit_exact(self, Xc, yc, loc, sigma, tau, sigma_family, tau_family):
        post = linear_normal_posterior(Xc, yc, loc=loc, tau=self._w_scale(sigma, tau), sigma=sigma)
        return ExactPosterior(mean=post.mean, cov=post.cov)

    def _fit_map(self, Xc, yc, loc, sigma, tau, sigma_family, tau_family):
        if sigma_family is None and tau_family is None and self.noise == "normal":
            scale = self._w_scale(sigma, tau)
            if self.prior == "laplace":
                return lasso_map(Xc, yc, sigma=sigma, tau=scale, loc=loc)
            post = linear_normal_posterior(Xc, yc, loc=loc, tau=scale, sigma=sigma)
            return RidgeMAP(mean=post.mean, cov=post.cov)
        # No exact solver when sigma or tau is sampled: optimise the log density.
        static, hyper = self._model_kwargs(loc, sigma, tau, sigma_family, tau_family)
        init = {"sigma": float(np.std(yc)) or 1.0} if sigma_family == "jeffreys" else None  # no prior median
        if static.get("nu_prior") is not None:  # no Gamma icdf in JAX: start nu at its prior mean
            init = {**(init or {}), "nu": float(hyper["nu"][0] / hyper["nu"][1])}
        return RegressionMAP.of(find_map(models.linear_regression, {**static, **hyper, "X": Xc, "y": yc}, init=init))

    def _run_gibbs(self, key, settings, Xc, yc, loc, sigma, tau, sigma_family, tau_family):
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
        return run_gibbs(key, data, settings=settings, scale_by_sigma=bool(self.scale_by_sigma),
                         progress=self.progress)

    def _run_nuts(self, key, settings, Xc, yc, loc, sigma, tau, sigma_family, tau_family):
        static, hyper = self._model_kwargs(loc, sigma, tau, sigma_family, tau_family, Xc)
        if self.noise != "normal":  # no sufficient statistics: the full-data model
            return run_nuts(models.linear_regression, key, {**hyper, "X": Xc, "y": yc}, static=static,
                            settings=settings, progress=self.progress,
                            desc=f"NUTS {static['prior']} regression, Student-t noise")
        # the same posterior from sufficient statistics: O(p^2) per gradient, not O(n p)
        data = {**hyper, **likelihood.sufficient_statistics(Xc, yc)}
        # the shrinkage priors collapsed: no funnel between w and its scales (see gram_form)
        model, draw_key, extra = models.gram_form(Xc, yc, collapsed=_collapsed(static["prior"], self.noise))
        return run_nuts(model, key, {**data, **extra}, static=static, settings=settings, progress=self.progress,
                        desc=f"NUTS {static['prior']} regression", draw_key=draw_key)

    def _fit_sampler(self, X, y, Xc, yc, loc, sigma, tau, sigma_family, tau_family, tau_vec=None, *,
                     sampler: Sampler):
        settings = MCMCSettings(num_warmup=self.num_warmup, num_samples=self.num_samples,
                                num_chains=self.num_chains, chain_method=self.chain_method,
                                target_accept_prob=self.target_accept_prob, dense_mass=self.dense_mass)
        seed = check_seed(self.seed)  # None: fresh entropy; a Generator: one draw from it
        key_mcmc, key_pred = seed_keys(seed)
        draws = sampler.run(self, key_mcmc, settings, Xc, yc, loc, sigma, tau, sigma_family, tau_family)
        check_chains_moved(draws.samples["w"], sampler.name, self.num_warmup)
        samples = dict(draws.samples)
        if tau_vec is not None:
            samples["w"] = samples["w"] * tau_vec  # back from the scaled columns
        if tau_family == "lasso_lambda":
            samples["lambda"] = 1.0 / samples["tau"]  # Park & Casella's lambda
        rng_intercept, rng_pointwise = np.random.default_rng(key_pred).spawn(2)
        sigma_draws = samples.get("sigma", sigma)
        noise = self._check_noise()
        nu_draws = None if noise is None else samples.get("nu", noise[1])
        w = samples["w"]
        if "intercept_centered" in samples:  # Student-t noise: b = ybar + alpha - xbar'w
            samples["intercept"] = self.y_mean_ + samples.pop("intercept_centered") - w @ self.x_mean_
        elif self.fit_intercept:
            # b | w, sigma, D ~ N(ybar - xbar'w, sigma^2 / n) under a flat prior on b
            sd = np.asarray(sigma_draws) / np.sqrt(X.shape[0])
            samples["intercept"] = likelihood.normal_replicates(
                self.y_mean_ - w @ self.x_mean_, sd, rng=rng_intercept)
        pointwise = _PointwiseGroups(X, y, samples, sigma_draws, rng_pointwise, nu_draws)
        self._training_data = (X, y)  # for log_likelihood() and loo() when idata_ has no such group
        names = _names(self)
        fit = RegressionPosterior.from_draws(
            dataclasses.replace(draws, samples=samples),
            posterior_predictive=pointwise.predictive,
            log_likelihood=pointwise.log_likelihood,
            observed_data={"y": y},
            dims={"w": ["feature"], "y": ["obs"]},
            coords={"feature": names},
            attrs={**provenance(), "model": repr(self), "seed": seed,
                   "inference": sampler.inference(self) if callable(sampler.inference) else sampler.inference},
        )
        warn_if_unconverged(fit.convergence_problems() if self.convergence_checks else fit.divergence_problems())
        return fit

    @property
    def idata_(self):
        """The posterior as ArviZ ``InferenceData`` (NUTS and Gibbs fits), built on first access."""
        result = self.__dict__.get("fit_result_")
        if result is None or not result.has_draws:
            raise AttributeError(f"{type(self).__name__} has no idata_: it holds a posterior only after a "
                                 "fit with method='nuts' or 'gibbs'.")
        return result.idata

    @property
    def posterior_(self):
        """The Gaussian posterior of the coefficients (:class:`~bayesreg.conjugate.MultivariateNormal`),
        for exact fits."""
        closed_form = getattr(self.__dict__.get("fit_result_"), "closed_form", None)
        if closed_form is None:
            raise AttributeError(f"{type(self).__name__} has no posterior_: it holds a closed-form posterior "
                                 "only after a fit with method='exact'.")
        return closed_form

    def log_likelihood(self, X: ArrayLike | None = None, y: ArrayLike | None = None, *,
                       max_elements: int | None = None) -> NDArray[np.float64]:
        """Pointwise log-likelihood log N(y_i | b + x_i'w, sigma^2) (log StudentT(y_i | nu, b +
        x_i'w, sigma) with Student-t noise) of every posterior draw,
        shape (chain, draw, n), at (X, y), by default the training data.

        Computed in chunks of rows of at most ``max_elements`` (default
        ``likelihood.MAX_POINTWISE``) values each, so it is available whatever the size, even
        when ``idata_`` leaves its log_likelihood group out (above chains x draws x rows = 4
        million). NUTS and Gibbs fits only; a loaded model needs X and y.
        """
        result = self.__dict__.get("fit_result_")
        if result is None or not result.has_draws:
            raise ValueError("log_likelihood needs posterior draws: fit with method='nuts' or 'gibbs'.")
        if X is None and y is None:
            if "_training_data" not in self.__dict__:
                raise ValueError("this model keeps no training data (it was loaded): pass X and y.")
            X, y = self._training_data
        elif X is None or y is None:
            raise ValueError("pass both X and y, or neither (the training data).")
        else:
            X = self._check_X(X)
            y = check_1d(y, "y")
            if y.shape[0] != X.shape[0]:
                raise ValueError(f"X has {X.shape[0]} rows, y has {y.shape[0]} values.")
        return result.pointwise_log_likelihood(X, y, self._context(), max_elements=max_elements)

    def loo(self, X: ArrayLike | None = None, y: ArrayLike | None = None, *, pointwise: bool = False, **kwargs):
        """PSIS-LOO by ArviZ (``arviz.ELPDData``): ``az.loo(est.idata_)`` when ``idata_`` holds the
        pointwise log-likelihood, else the same with :meth:`log_likelihood` (computed in chunks).
        With X and y, LOO at those data instead of the training data. Keyword arguments go to
        ``arviz.loo``."""
        from .. import inference_data

        idata = self.idata_
        if X is None and y is None and "log_likelihood" in idata.groups():
            return inference_data.loo(idata, pointwise=pointwise, **kwargs)
        log_lik = {"y": self.log_likelihood(X, y)}
        return inference_data.loo(idata, log_lik, pointwise=pointwise, dims={"y": ["obs"]}, **kwargs)

    # ------------------------------------------------------------------ prediction
    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )

    def _check_X(self, X) -> NDArray[np.float64]:
        self._check_fitted()
        # scikit-learn's check: columns renamed, reordered or missing raise; an array after a
        # DataFrame fit (or the reverse) warns
        _check_feature_names(self, X, reset=False)
        X = check_2d(X, "X")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        return X

    def _context(self, *, with_loc: bool = False) -> RegressionContext:
        """What ``fit_result_`` needs besides its own arrays, from the parameters and fitted attributes."""
        fixed = not _is_auto(self.sigma) and isinstance(self.sigma, int | float | np.number)
        noise = self._check_noise()
        return RegressionContext(x_mean=self.x_mean_, y_mean=self.y_mean_, n_samples=self.n_samples_fit_,
                                 fit_intercept=bool(self.fit_intercept), sigma=float(self.sigma) if fixed else None,
                                 loc=self._loc_vector(self.n_features_in_) if with_loc else None,
                                 student_t=noise is not None,
                                 nu=float(noise[1]) if noise is not None and noise[0] is None else None)

    def _noise_var(self) -> float:
        return self.fit_result_.noise_var(self._context())

    def _nu_estimate(self):
        """Student-t noise's degrees of freedom: (chain, draw) draws, the MAP, or the fixed number;
        None for Normal noise."""
        return self.fit_result_.nu(self._context())

    def predict(self, X: ArrayLike, return_std: bool = False):
        """Posterior predictive mean at X (the plug-in prediction for ``method="map"``).

        With ``return_std=True`` also the predictive standard deviation: parameter
        uncertainty plus noise (plug-in: sigma only, for a MAP fit; with Student-t noise
        sigma^2 nu / (nu - 2), infinite where nu <= 2).
        """
        X = self._check_X(X)
        mean = X @ self.coef_ + self.intercept_
        if not return_std:
            return mean
        var = self.fit_result_.predictive_var(X, self._context())
        return mean, np.sqrt(var)

    def predict_interval(self, X: ArrayLike, level: float = 0.95):
        """Central posterior predictive interval (lower, upper) at X, from the Normal
        predictive for exact fits and from predictive draws for NUTS fits."""
        level = check_level(level)
        X = self._check_X(X)
        if self.fit_result_.has_draws:
            y_draws = self.sample_predictive(X)
            tail = (1 - level) / 2
            return np.quantile(y_draws, tail, axis=0), np.quantile(y_draws, 1 - tail, axis=0)
        from scipy import special, stats

        if self.noise != "normal":  # a MAP fit: the plug-in Student-t predictive
            half = np.sqrt(self._noise_var()) * stats.t.ppf(0.5 + level / 2, self._nu_estimate())
            mean = self.predict(X)
            return mean - half, mean + half
        mean, std = self.predict(X, return_std=True)
        half = std * special.ndtri(0.5 + level / 2)
        return mean - half, mean + half

    def sample_predictive(self, X: ArrayLike, *, seed: int | None = None) -> NDArray[np.float64]:
        """Draws of y at X from the posterior predictive, shape (num_draws, n).

        ``seed`` (int >= 0 or a numpy Generator) defaults to the estimator's ``seed``."""
        X = self._check_X(X)
        rng = np.random.default_rng(check_seed(self.seed if seed is None else seed))
        return self.fit_result_.sample_predictive(X, self._context(), rng)

    def sample_prior_predictive(self, X: ArrayLike, y: ArrayLike | None = None, *, num_samples: int = 500,
                                seed: int | None = None) -> NDArray[np.float64]:
        """Draws of y at X from the prior predictive, shape (num_samples, n): what the prior
        (with ``sigma``, ``tau`` and ``loc``) implies about the data before seeing any y.

        Needs no fit. With ``fit_intercept`` the intercept's flat prior has no draws: X is
        centred at its column means and the draws are of y - mean(y) (compare them with the
        centred observations, as :func:`bayesreg.plotting.plot_prior_predictive` does).
        The default ``sigma="auto"`` and ``tau="auto"`` are scaled by sd(y), as in ``fit``:
        pass the observed ``y`` for them (it sets only those scales).
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
        loc = self._loc_vector(X.shape[1])
        tau_auto = _is_auto(self.tau) and split_coef_prior(self.prior)[1] is None  # shrinkage priors: no tau
        if _is_auto(self.sigma) or tau_auto or np.ndim(self.tau) == 1:
            if y is None and (_is_auto(self.sigma) or tau_auto):
                raise ValueError("sigma='auto' and tau='auto' are scaled by sd(y): pass the observed y, or give "
                                 "sigma and tau as numbers or priors.")
            sigma, tau, tau_vec = self._resolve_scales(X, check_1d(y, "y") if y is not None else None, sigma, tau)
            if tau_vec is not None:  # w = tau_j u_j, as in fit
                Xc, loc = Xc * tau_vec, loc / tau_vec
        static, hyper = self._model_kwargs(loc, sigma, tau, sigma_family, tau_family, Xc)
        key = jax.random.key(self.seed if seed is None else seed)
        draws = Predictive(models.linear_regression, num_samples=num_samples)(key, Xc, None, **static, **hyper)
        return np.asarray(draws["y"])

    # ------------------------------------------------------------------ reporting
    def coef_table(self, level: float = 0.95):
        """One row per coefficient: estimate and, for posteriors, sd and interval.

        ``table.attrs["priors"]`` is :meth:`prior_summary`, the priors the fit used (the CLI
        prints it above the table)."""
        import pandas as pd

        self._check_fitted()
        level = check_level(level)
        names = _names(self)
        table = pd.DataFrame({"coef": self.coef_}, index=pd.Index(names, name="feature"))
        for column, values in self.fit_result_.coef_columns(level, self._context(with_loc=True)).items():
            table[column] = values
        table.attrs["priors"] = self.prior_summary()
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

    def __init__(self, X, y, samples, sigma_draws, rng, nu_draws=None):
        self._X, self._y, self._samples, self._sigma, self._rng = X, y, samples, sigma_draws, rng
        self._nu = nu_draws  # Student-t noise's degrees of freedom; None: Normal noise
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
        if self._nu is not None:
            return {"y": likelihood.student_t_replicates(self._regression_mean(), self._sigma, self._nu, rng=self._rng)}
        return {"y": likelihood.normal_replicates(self._regression_mean(), self._sigma, rng=self._rng)}

    def log_likelihood(self) -> dict:
        if not self._fits():
            return {}
        if self._nu is not None:
            return {"y": likelihood.student_t_log_likelihood(self._y, self._regression_mean(), self._sigma, self._nu)}
        return {"y": likelihood.normal_log_likelihood(self._y, self._regression_mean(), self._sigma)}


def _collapsed(family: str, noise: str) -> bool:
    """Whether NUTS runs the collapsed model: a shrinkage prior under Normal noise. w is integrated
    out, NUTS samples only the scales and w is drawn exactly given them
    (:func:`bayesreg.models.linear_regression_collapsed`): no funnel between w and its scales, hence
    no divergences where the non-centred form had them; the posterior holds the same variables (w,
    z and the scales) either way. Student-t noise runs the full-data model, which has no Gaussian
    form to integrate w out of."""
    return family in models.SHRINKAGE and noise == "normal"


def _nuts_inference(est) -> str | None:
    """The InferenceData's label of a NUTS fit: the collapsed form says so (None: the driver's own)."""
    if _collapsed(split_coef_prior(est.prior)[0], est.noise):
        return ("NUTS (bayesreg compiled sampler) on the prior scales with w integrated out (collapsed); "
                "w drawn exactly from its Gaussian conditional, one draw per NUTS draw")
    return None


def _is_auto(value) -> bool:
    return isinstance(value, str) and value == AUTO


def _sd(values) -> float:
    """Sample sd (ddof=1); 1.0 when there is no spread to scale by (one value, or all equal)."""
    sd = float(np.std(values, ddof=1)) if np.size(values) > 1 else 0.0
    return sd if np.isfinite(sd) and sd > 0 else 1.0


def _names(est) -> list[str]:
    return list(getattr(est, "feature_names_in_", [f"x{j}" for j in range(est.n_features_in_)]))


def _unscale(result, tau_vec, loc, loc_fit):
    """A MAP or exact result for u (w = tau_j u_j) restated for w; unchanged when tau_vec is None."""
    return result if tau_vec is None else result.restate(tau_vec, loc, loc_fit)


# ---------------------------------------------------------------------- the method table

@dataclasses.dataclass(frozen=True)
class _Problem:
    """A fit's data and resolved scales, as ``fit`` hands them to a method: X, y as given, Xc,
    yc centred (and, with a per-feature tau, Xc scaled to the columns x_j tau_j with loc_fit =
    loc / tau_j); sigma and tau numbers or their prior's parameters."""

    X: NDArray[np.float64]
    y: NDArray[np.float64]
    Xc: NDArray[np.float64]
    yc: NDArray[np.float64]
    loc: NDArray[np.float64]
    loc_fit: NDArray[np.float64]
    sigma: object
    tau: object
    sigma_family: str | None
    tau_family: str | None
    tau_vec: NDArray[np.float64] | None

    @property
    def centred(self) -> tuple:
        """The arguments of the closed-form and MAP fits and of the samplers' runs."""
        return self.Xc, self.yc, self.loc_fit, self.sigma, self.tau, self.sigma_family, self.tau_family


@dataclasses.dataclass(frozen=True)
class Sampler:
    """An MCMC engine for ``_fit_sampler``: ``run(est, key, settings, Xc, yc, loc, sigma, tau,
    sigma_family, tau_family)`` returns the draws; ``name`` labels its messages, ``inference``
    the InferenceData (a string, or a function of the estimator; None: the driver's own label)."""

    run: Callable
    name: str
    inference: str | Callable | None = None


@dataclasses.dataclass(frozen=True)
class Method:
    """One entry of the method table: ``fit(est, problem)`` returns the fit result (a
    :class:`~bayesreg.results.RegressionResult`); ``check(est, sigma_family, tau_family)``
    refuses parameters the method cannot fit (before any data is seen); ``no_shrinkage`` says
    why the shrinkage priors cannot use it (None: they can); ``student_t``: it has a form for
    Student-t noise."""

    fit: Callable
    check: Callable | None = None
    no_shrinkage: str | None = None
    student_t: bool = True  # it can fit Student-t noise


def _sampled(sampler: Sampler) -> Callable:
    def fit(est, p: _Problem):
        return est._fit_sampler(p.X, p.y, *p.centred, p.tau_vec, sampler=sampler)
    return fit


def _closed_form(fit_method: Callable) -> Callable:
    def fit(est, p: _Problem):
        return _unscale(fit_method(est, *p.centred), p.tau_vec, p.loc, p.loc_fit)
    return fit


_NO_CLOSED_FORM = "there is no closed form or Gibbs sweep for it"
METHOD_TABLE: dict[str, Method] = {
    "nuts": Method(fit=_sampled(Sampler(BayesianLinearRegression._run_nuts, "NUTS", _nuts_inference))),
    "gibbs": Method(fit=_sampled(Sampler(BayesianLinearRegression._run_gibbs, "Gibbs",
                                         "Gibbs (bayesreg, scale mixture of normals)")),
                    check=BayesianLinearRegression._check_gibbs, no_shrinkage=_NO_CLOSED_FORM, student_t=False),
    "map": Method(fit=_closed_form(BayesianLinearRegression._fit_map),
                  no_shrinkage="its posterior density is unbounded at w = loc, so the mode is degenerate there"),
    "exact": Method(fit=_closed_form(BayesianLinearRegression._fit_exact),
                    check=BayesianLinearRegression._check_exact, no_shrinkage=_NO_CLOSED_FORM, student_t=False),
}
METHODS = tuple(METHOD_TABLE)  # "nuts", "gibbs", "map", "exact"
