"""Result objects: immutable records of numpy arrays (and an ArviZ InferenceData).

The fits of :class:`~bayesreg.BayesianLinearRegression` share one small interface,
:class:`RegressionResult`: the estimator's ``predict``, ``predict_interval``,
``sample_predictive``, ``coef_table``, ``log_likelihood`` and ``idata_`` ask its
``fit_result_`` and never which method made it, and :mod:`bayesreg.persistence` saves and
loads any of them through ``to_arrays`` / ``from_arrays``. What a result needs to know
besides its own arrays (the centring, a fixed sigma, the prior location) is passed in as a
:class:`RegressionContext`, so the engines' records stay free of the estimator's set-up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from . import inference_data, likelihood
from .conjugate import MultivariateNormal
from .diagnostics import component_labels, convergence_problems, convergence_summary, quick_diagnostics


class PosteriorFit:
    """An MCMC fit: the draws, and an ArviZ ``InferenceData`` built when first asked for.

    ``idata`` has the groups posterior, posterior_predictive, log_likelihood,
    observed_data and sample_stats; every array has leading dimensions (chain, draw).
    Building it (xarray objects, pointwise log-likelihoods and replicated data for every
    draw) costs more than sampling a small model, so a fit made by bayesreg builds it on
    first access to ``idata``; draws, summaries and convergence checks do not need it.
    ``dims`` and ``coords`` (as for ``az.from_dict``) label the components in convergence
    warnings as the summary table does, without building ``idata``.
    """

    has_draws: ClassVar[bool] = True

    def __init__(self, idata=None, settings: Mapping[str, Any] | None = None, *,
                 posterior: Mapping[str, np.ndarray] | None = None,
                 sample_stats: Mapping[str, np.ndarray] | None = None,
                 build: Callable[[], Any] | None = None,
                 dims: Mapping[str, Sequence[str]] | None = None,
                 coords: Mapping[str, Sequence] | None = None):
        if idata is None and build is None:
            raise ValueError("PosteriorFit needs idata or a function that builds it.")
        self._idata = idata
        self._build = build
        self.settings = dict(settings or {})
        if posterior is None:
            posterior = {name: idata.posterior[name].values for name in idata.posterior.data_vars}
            sample_stats = ({name: idata.sample_stats[name].values for name in idata.sample_stats.data_vars}
                            if "sample_stats" in idata.groups() else {})
        if idata is not None:
            dims = {name: list(idata.posterior[name].dims[2:]) for name in idata.posterior.data_vars}
            coords = {dim: idata.posterior[dim].values.tolist() for dim in idata.posterior.dims}
        self.posterior = dict(posterior)
        self.sample_stats = dict(sample_stats or {})
        # component labels as ArviZ's summary writes them, so warnings name what the table shows
        self._quick: pd.DataFrame | None = None
        self._labels = {name: component_labels(name, np.shape(value)[2:], (dims or {}).get(name), coords)
                        for name, value in self.posterior.items()}

    # -- access ------------------------------------------------------------------------
    @property
    def idata(self):
        """The ArviZ ``InferenceData`` (built on first access, then kept)."""
        if self._idata is None:
            self._idata = self._build()
            self._build = None
        return self._idata

    def to_arviz(self):
        return self.idata

    def draws(self, name: str) -> np.ndarray:
        """Posterior draws of one variable, shape (chain, draw, ...)."""
        if name not in self.posterior:
            raise KeyError(f"no variable {name!r} in the posterior; have {list(self.posterior)}.")
        return self.posterior[name]

    @property
    def num_chains(self) -> int:
        return int(next(iter(self.posterior.values())).shape[0])

    @property
    def num_draws(self) -> int:
        return int(next(iter(self.posterior.values())).shape[1])

    @property
    def num_divergences(self) -> int:
        diverging = self.sample_stats.get("diverging")
        return 0 if diverging is None else int(np.sum(diverging))

    # -- tables ------------------------------------------------------------------------
    def summary(self, var_names: Sequence[str] | None = None, *, hdi_prob: float = 0.94) -> pd.DataFrame:
        """Mean, sd, median, HDI, MCSE, bulk/tail ESS and R-hat of each parameter.

        ArviZ computes the statistics and HDI; the MCSE, ESS and R-hat columns come from
        :func:`~bayesreg.diagnostics.quick_diagnostics` (ArviZ's rank-normalised estimators,
        vectorised), the very numbers the convergence warnings judge.
        """
        table = inference_data.summary_stats(self.idata, var_names, hdi_prob=hdi_prob,
                                             stat_funcs={"median": np.median})
        # rows are the selected variables in order, each flattened in C order, as quick_diagnostics'
        names = list(dict.fromkeys(label.split("[", 1)[0] for label in table.index))
        diagnostics = quick_diagnostics({name: self.idata.posterior[name].values for name in names}, mcse=True)
        if len(diagnostics) != len(table):
            raise RuntimeError(f"summary has {len(table)} rows but the diagnostics {len(diagnostics)}.")
        for column in diagnostics.columns:
            table[column] = diagnostics[column].values
        order = ["mean", "sd", "median"] + [c for c in table.columns if c.startswith("hdi_")]
        order += ["mcse_mean", "mcse_sd", "ess_bulk", "ess_tail", "r_hat"]
        return table[[c for c in order if c in table.columns]]

    def _diagnostics(self) -> pd.DataFrame:
        """R-hat and ESS of every component, computed once (the draws never change)."""
        if self._quick is None:
            self._quick = quick_diagnostics(self.posterior, labels=self._labels)
        return self._quick

    def convergence_problems(self) -> list[str]:
        """Divergences, rank-normalised R-hat > 1.01, bulk or tail ESS < 100 per chain (as text)."""
        return convergence_problems(self._diagnostics(), self.num_divergences, self.num_chains)

    def divergence_problems(self) -> list[str]:
        """:meth:`convergence_problems` without R-hat and ESS: the divergences alone (free to count)."""
        return convergence_problems(pd.DataFrame(), self.num_divergences, self.num_chains)

    def convergence(self) -> dict:
        """Divergences, max R-hat and min ESS with the parameters they belong to (``w[bmi]``), and
        the problems as text: what the commands print and write to ``--json``."""
        return convergence_summary(self._diagnostics(), self.num_divergences, self.num_chains)

    def report(self, var_names: Sequence[str] | None = None) -> str:
        """The summary table as text, with divergences and any convergence problems."""
        lines = [self.summary(var_names).to_string(float_format=lambda v: f"{v:.4g}")]
        lines.append(
            f"{self.num_chains} chain(s) x {self.num_draws} draws; divergences: {self.num_divergences}"
        )
        lines += [f"warning: {p}" for p in self.convergence_problems()]
        return "\n".join(lines)


@dataclass(frozen=True)
class MAPEstimate:
    """A MAP found by numerical optimisation, with the optimiser's report.

    ``params`` holds constrained values; ``objective`` is the negative log joint density
    (prior times likelihood, up to a constant) at the optimum, in the constrained space
    (no Jacobian), so it is the mode of the posterior density of the parameters as written.
    """

    params: Mapping[str, np.ndarray]
    objective: float
    converged: bool
    num_iterations: int
    grad_norm: float
    message: str
    method: str

    def __getitem__(self, name: str) -> np.ndarray:
        return self.params[name]


def _from_draws(cls, draws, *, posterior_predictive=None, log_likelihood=None,
                observed_data=None, dims=None, coords=None, attrs=None):
    """Build a fit from raw :class:`~bayesreg.infer.mcmc.MCMCDraws` and model-specific groups.

    ``posterior_predictive`` and ``log_likelihood`` are dicts of arrays, or functions that
    return them: those are called only when the ``InferenceData`` is built.
    """
    settings = draws.settings.as_dict()
    meta = {"inference": draws.sampler or "NUTS (bayesreg compiled sampler)", **{
        k: (str(v) if isinstance(v, bool) else v) for k, v in settings.items()}}
    meta.update({k: v for k, v in (attrs or {}).items() if v is not None})

    def build():
        groups = {name: (group() if callable(group) else group) or None
                  for name, group in (("posterior_predictive", posterior_predictive),
                                      ("log_likelihood", log_likelihood))}
        return inference_data.from_draws(draws.samples, observed_data=observed_data, sample_stats=draws.stats,
                                         dims=dims, coords=coords, attrs=meta, **groups)

    return cls(settings={**settings, **(attrs or {})}, posterior=draws.samples, sample_stats=draws.stats,
               build=build, dims=dims, coords=coords)


PosteriorFit.from_draws = classmethod(_from_draws)


# ---------------------------------------------------------------------- linear regression fits

NO_POSTERIOR = "sample_predictive needs a posterior: fit with method='nuts', 'gibbs' or 'exact'."


@dataclass(frozen=True)
class RegressionContext:
    """What a regression result needs besides its own arrays: the estimator's centring, its
    fixed noise scale and its prior location, read from public parameters and fitted attributes."""

    x_mean: NDArray[np.float64]
    y_mean: float
    n_samples: int
    fit_intercept: bool
    sigma: float | None  # the fixed noise sd; None when sigma has a prior
    loc: NDArray[np.float64] | None = None  # the coefficients' prior location (read by coef_columns)
    student_t: bool = False  # Student-t noise rather than Normal
    nu: float | None = None  # its fixed degrees of freedom; None when nu has a prior (or the noise is Normal)

    def fixed_noise_var(self) -> float:
        if self.sigma is None:
            raise ValueError("sigma has a prior but this fit holds no draws or estimate of it.")
        return float(self.sigma) ** 2


class RegressionResult(Protocol):
    """The interface of every ``BayesianLinearRegression.fit_result_``.

    ``KIND`` names the type in a saved model, ``SECTION`` the key of meta.json its
    :meth:`to_arrays` is stored under (the layout of format 1). ``has_draws``: the result holds
    posterior draws (``draws``, ``posterior``, ``idata``, ``convergence`` and
    ``pointwise_log_likelihood``, as :class:`RegressionPosterior`). ``closed_form`` is the
    Gaussian posterior of an exact fit, else None.
    """

    KIND: ClassVar[str]
    SECTION: ClassVar[str]
    has_draws: ClassVar[bool]

    @property
    def coef(self) -> NDArray[np.float64]: ...  # the point estimate: posterior mean or mode

    @property
    def closed_form(self) -> MultivariateNormal | None: ...

    def intercept(self, ctx: RegressionContext) -> float: ...

    def noise_var(self, ctx: RegressionContext) -> float: ...

    def nu(self, ctx: RegressionContext): ...  # Student-t noise's df (draws or a number); None for Normal noise

    def predictive_var(self, X: NDArray[np.float64], ctx: RegressionContext) -> NDArray[np.float64]: ...

    def sample_predictive(self, X: NDArray[np.float64], ctx: RegressionContext,
                          rng: np.random.Generator) -> NDArray[np.float64]: ...

    def coef_columns(self, level: float, ctx: RegressionContext) -> dict[str, Any]: ...

    def to_arrays(self) -> dict[str, Any]: ...

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, Any], *, coef: NDArray[np.float64], idata=None): ...


def _predictive_noise_var(sigma_sq, nu) -> float:
    """The noise's variance averaged over draws: sigma^2, or sigma^2 nu / (nu - 2) for Student-t
    noise (infinite when nu <= 2 has mass)."""
    if nu is None:
        return float(np.mean(sigma_sq))
    nu = np.asarray(nu, dtype=float)
    if np.any(nu <= 2.0):
        return float("inf")
    return float(np.mean(sigma_sq * nu / (nu - 2.0)))


def _centred_intercept(coef, ctx: RegressionContext) -> float:
    """b = ybar - xbar'w: the intercept of a centred fit at coefficients ``coef``."""
    return float(ctx.y_mean - ctx.x_mean @ coef) if ctx.fit_intercept else 0.0


class _CentredFixedNoise:
    """A fit of the centred model with sigma fixed: the intercept is ybar - xbar'coef, the
    noise variance sigma^2 (shared by the point estimates and the exact posterior)."""

    def intercept(self, ctx: RegressionContext) -> float:
        return _centred_intercept(self.coef, ctx)

    def noise_var(self, ctx: RegressionContext) -> float:
        return ctx.fixed_noise_var()


class PointEstimate(_CentredFixedNoise):
    """A posterior mode (the exact lasso, the ridge solution, an L-BFGS MAP): plug-in
    predictions with the noise variance only, no draws."""

    has_draws: ClassVar[bool] = False
    closed_form = None

    def nu(self, ctx: RegressionContext):
        """Student-t noise's degrees of freedom (the estimate or the fixed number); None for Normal noise."""
        return ctx.nu if ctx.student_t else None

    def predictive_var(self, X, ctx: RegressionContext):
        return np.full(X.shape[0], _predictive_noise_var(self.noise_var(ctx), self.nu(ctx)))

    def sample_predictive(self, X, ctx: RegressionContext, rng):
        raise ValueError(NO_POSTERIOR)

    def coef_columns(self, level: float, ctx: RegressionContext) -> dict[str, Any]:
        return {"is_zero": self.coef == ctx.loc}


class _GaussianCoef(MultivariateNormal):
    """N(mean, cov) of the coefficients, from the closed form, saved as its two arrays."""

    SECTION: ClassVar[str] = "posterior"

    @property
    def coef(self) -> NDArray[np.float64]:
        return self.mean  # a Gaussian's mode is its mean

    def restate(self, tau_vec, loc, loc_fit):
        """The result for u (w = tau_j u_j) restated for w."""
        return type(self)(mean=self.mean * tau_vec, cov=self.cov * np.outer(tau_vec, tau_vec))

    def to_arrays(self) -> dict[str, Any]:
        return {"mean": self.mean, "cov": self.cov}

    @classmethod
    def from_arrays(cls, arrays, *, coef, idata=None):
        return cls(mean=np.asarray(arrays["mean"], dtype=float), cov=np.asarray(arrays["cov"], dtype=float))


class ExactPosterior(_CentredFixedNoise, _GaussianCoef):
    """The conjugate Gaussian posterior of w (``method="exact"``): sigma fixed, the
    intercept's flat prior integrated out (its variance given w is sigma^2 / n)."""

    KIND: ClassVar[str] = "exact"
    has_draws: ClassVar[bool] = False

    @property
    def closed_form(self) -> MultivariateNormal:
        return self

    def predictive_var(self, X, ctx: RegressionContext):
        var = np.full(X.shape[0], self.noise_var(ctx))
        Xc = X - ctx.x_mean
        var += np.einsum("ij,jk,ik->i", Xc, self.cov, Xc)
        if ctx.fit_intercept:  # the intercept's own variance, sigma^2 / n
            var += self.noise_var(ctx) / ctx.n_samples
        return var

    def sample_predictive(self, X, ctx: RegressionContext, rng):
        w = self.sample(4000, rng=rng)
        b = ctx.y_mean - w @ ctx.x_mean if ctx.fit_intercept else 0.0
        noise = np.sqrt(self.noise_var(ctx))
        if ctx.fit_intercept:
            b = b + noise / np.sqrt(ctx.n_samples) * rng.standard_normal(4000)
            b = b[:, None]
        return w @ X.T + b + noise * rng.standard_normal((4000, X.shape[0]))

    def nu(self, ctx: RegressionContext):
        return None  # the conjugate case: Normal noise only

    def coef_columns(self, level: float, ctx: RegressionContext) -> dict[str, Any]:
        from scipy import special

        sd = self.std
        z = special.ndtri(1 - (1 - level) / 2)
        return {"sd": sd, "lower": self.coef - z * sd, "upper": self.coef + z * sd}


class RidgeMAP(PointEstimate, _GaussianCoef):
    """The MAP under a Normal prior with sigma and tau fixed (the ridge solution); keeps the
    Gaussian posterior it is the mode of, but predicts by plug-in as every MAP does."""

    KIND: ClassVar[str] = "ridge"


@dataclass(frozen=True)
class RegressionMAP(PointEstimate, MAPEstimate):
    """An L-BFGS MAP of the regression model (sigma or tau has a prior): w, and sigma when sampled."""

    KIND: ClassVar[str] = "lbfgs"
    SECTION: ClassVar[str] = "solver"

    @classmethod
    def of(cls, result: MAPEstimate) -> RegressionMAP:
        return cls(**{f.name: getattr(result, f.name) for f in fields(MAPEstimate)})

    @property
    def coef(self) -> NDArray[np.float64]:
        return np.asarray(self.params["w"])

    def intercept(self, ctx: RegressionContext) -> float:
        b = _centred_intercept(self.coef, ctx)
        if ctx.fit_intercept and "intercept_centered" in self.params:  # Student-t: sampled, not integrated out
            b += float(self.params["intercept_centered"])
        return b

    def noise_var(self, ctx: RegressionContext) -> float:
        if "sigma" in self.params:
            return float(self.params["sigma"]) ** 2
        return ctx.fixed_noise_var()

    def nu(self, ctx: RegressionContext):
        if ctx.student_t and "nu" in self.params:
            return float(self.params["nu"])
        return super().nu(ctx)

    def restate(self, tau_vec, loc, loc_fit):
        return replace(self, params={**self.params, "w": np.asarray(self.params["w"]) * tau_vec})

    def to_arrays(self) -> dict[str, Any]:
        return {"kind": self.KIND, "params": dict(self.params), "objective": self.objective,
                "converged": self.converged, "num_iterations": self.num_iterations,
                "grad_norm": self.grad_norm, "message": self.message, "method": self.method}

    @classmethod
    def from_arrays(cls, arrays, *, coef, idata=None):
        s = arrays
        return cls(params={k: np.asarray(v) for k, v in s["params"].items()}, objective=s["objective"],
                   converged=s["converged"], num_iterations=s["num_iterations"], grad_norm=s["grad_norm"],
                   message=s["message"], method=s["method"])


class RegressionPosterior(PosteriorFit):
    """Posterior draws of the regression (NUTS, Gibbs): w, the intercept's draws with
    ``fit_intercept``, sigma's when it has a prior. Saved as the NetCDF of ``idata`` and the
    sampler settings."""

    KIND: ClassVar[str] = "draws"
    SECTION: ClassVar[str] = "settings"
    closed_form = None

    @property
    def coef(self) -> NDArray[np.float64]:
        w = self.draws("w")
        return w.reshape(-1, w.shape[-1]).mean(axis=0)

    def intercept(self, ctx: RegressionContext) -> float:
        return float(self.draws("intercept").mean()) if ctx.fit_intercept else 0.0

    def noise_var(self, ctx: RegressionContext) -> float:
        if "sigma" in self.posterior:
            return float(np.mean(self.draws("sigma") ** 2))
        return ctx.fixed_noise_var()

    def _noise_sd(self, ctx: RegressionContext):
        """sigma's draws, (chain, draw), or the fixed sigma."""
        return self.draws("sigma") if "sigma" in self.posterior else np.sqrt(self.noise_var(ctx))

    def nu(self, ctx: RegressionContext):
        """Student-t noise's degrees of freedom: (chain, draw) draws or the fixed number; None for Normal noise."""
        if not ctx.student_t:
            return None
        return self.draws("nu") if "nu" in self.posterior else ctx.nu

    def mean_draws(self, X, ctx: RegressionContext) -> NDArray[np.float64]:
        """(chain, draw, n) draws of the regression function at X."""
        mean = self.draws("w") @ X.T
        if ctx.fit_intercept:
            mean = mean + self.draws("intercept")[..., None]
        return mean

    def predictive_var(self, X, ctx: RegressionContext):
        var = np.full(X.shape[0], _predictive_noise_var(self._noise_sd(ctx) ** 2, self.nu(ctx)))
        var += self.mean_draws(X, ctx).reshape(-1, X.shape[0]).var(axis=0)
        return var

    def sample_predictive(self, X, ctx: RegressionContext, rng):
        mean, sigma, nu = self.mean_draws(X, ctx), self._noise_sd(ctx), self.nu(ctx)
        draws = (likelihood.normal_replicates(mean, sigma, rng=rng) if nu is None
                 else likelihood.student_t_replicates(mean, sigma, nu, rng=rng))
        return draws.reshape(-1, X.shape[0])

    def pointwise_log_likelihood(self, X, y, ctx: RegressionContext, *, max_elements: int | None = None):
        """log N(y_i | b + x_i'w, sigma^2) (log StudentT(y_i | nu, b + x_i'w, sigma) with Student-t
        noise) of every draw, (chain, draw, n), in chunks of rows."""
        sigma, nu = self._noise_sd(ctx), self.nu(ctx)
        shape = self.draws("w").shape[:2]
        rows = max(1, (max_elements or likelihood.MAX_POINTWISE) // (shape[0] * shape[1]))
        out = np.empty(shape + (X.shape[0],))
        for start in range(0, X.shape[0], rows):
            block = slice(start, start + rows)
            mean = self.mean_draws(X[block], ctx)
            out[..., block] = (likelihood.normal_log_likelihood(y[block], mean, sigma) if nu is None
                               else likelihood.student_t_log_likelihood(y[block], mean, sigma, nu))
        return out

    def coef_columns(self, level: float, ctx: RegressionContext) -> dict[str, Any]:
        tail = (1 - level) / 2
        w = self.draws("w")
        w = w.reshape(-1, w.shape[-1])
        summary = self.summary(var_names=["w"])
        lower, upper = np.quantile(w, [tail, 1 - tail], axis=0)
        return {"sd": w.std(axis=0, ddof=1), "median": np.median(w, axis=0), "lower": lower, "upper": upper,
                "ess_bulk": summary["ess_bulk"].values, "r_hat": summary["r_hat"].values}

    def to_arrays(self) -> dict[str, Any]:
        return dict(self.settings)

    @classmethod
    def from_arrays(cls, arrays, *, coef, idata=None):
        return cls(idata=idata, settings=arrays)
