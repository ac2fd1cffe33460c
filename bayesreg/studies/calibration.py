"""Simulation-based calibration (SBC): does a sampler's posterior agree with its model?

For each of ``n_sims`` simulations: draw the parameters from the prior, simulate data from
them, fit the posterior, and record the *rank* of the true value among ``L`` posterior
draws (``rank = #(draw < true)``, in 0..L). If the posterior is the exact posterior of the
model that simulated the data, every rank is uniform on {0, ..., L} (Talts et al. 2018);
if inference is biased, too wide or too narrow, the ranks pile up at one end, in the
middle or at both ends. Test quantities (Modrák et al. 2023) catch what single parameters
miss: the log-likelihood of the simulated data, log p(y | theta), at each draw against at
the true parameters, and the predictive of a new point y_new ~ p(y | x_new, theta).

The work is split into independent pure functions so that a distributed runner can map
them: :func:`run_case` (one model x method x settings: simulate, fit every simulation in
one batched compiled program, rank, test) depends only on its arguments and seed. All
simulations of a case are one call of :func:`bayesreg.infer.nuts.run_nuts_batched` (one chain
per simulation) or :func:`bayesreg.infer.gibbs.run_gibbs_batched`; the exact method draws
iid from the closed-form posterior.

Thinning. Ranks need near-independent draws (autocorrelated draws make the histogram
U-shaped even when inference is right). Per simulation the chain's bulk ESS is estimated
(NumPyro's ``effective_sample_size``, the minimum over all ranked quantities), the draws
are thinned by ``ceil(num_samples / ESS)`` (at most ``num_samples // L``), and the last
``L`` thinned draws are ranked. The ESS and thinning used are reported.

Uniformity, per quantity, with ``N = n_sims`` ranks:

* chi-square over ``B`` equal bins of the L + 1 rank values (df = B - 1);
* the ECDF test of Säilynoja, Bürkner & Vehtari (2022): at z_k = k / (L + 1) the ECDF
  count N F(z_k) is Binomial(N, z_k) under uniformity. The statistic is the smallest
  two-sided pointwise tail probability over k; its null distribution (and the adjusted
  level gamma of the simultaneous band) is obtained *by simulation* of multinomial rank
  counts (their Section 2.2 simulation method, not the optimisation or closed-form
  approximation), with 100,000 simulations from a fixed seed, so p-values resolve down to
  1e-5.

A case passes when every p-value, Bonferroni-corrected over the 2 x (number of
quantities) tests, is at least ``alpha`` (default 0.001).
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

import jax
import numpy as np
import pandas as pd

from .._validation import check_int, check_option, check_positive, check_seed

MODELS = ("gaussian_mean", "linear")
METHODS = ("nuts", "gibbs", "exact")
PRIORS = ("normal", "laplace", "horseshoe", "regularized_horseshoe", "r2d2")
SHRINKAGE = ("horseshoe", "regularized_horseshoe", "r2d2")  # NUTS only; each samples its own global scale
SIGMA_PRIORS = ("halfnormal", "invgamma")
TAU_PRIORS = ("halfnormal",)
NULL_SIMULATIONS = 100_000      # for the ECDF test's null distribution and band
INVGAMMA_SHAPE = 3.0            # sigma^2 ~ InvGamma(3, 2 sigma^2): prior mean of sigma^2 is sigma^2


@dataclass(frozen=True)
class CalibrationCase:
    """One model x method x settings to calibrate (hashable; a unit of work).

    ``sigma`` and ``tau`` are the fixed values, or with ``sigma_prior`` / ``tau_prior`` the
    scale of their prior: ``"halfnormal"``: HalfNormal(scale); ``"invgamma"`` (sigma only):
    sigma^2 ~ InvGamma(3, 2 scale^2). ``fit_sigma`` / ``fit_tau`` fit with different fixed
    values than those that simulated the data (a wrong model, for checking that SBC
    notices). ``num_draws`` is L, the number of posterior draws each rank is taken among.
    ``noncentered`` makes NUTS sample w = loc + scale * z with z ~ Laplace/Normal(0, 1)
    (NumPyro's ``LocScaleReparam(0)``), which removes the funnel between w and a sampled tau.
    """

    model: str = "linear"
    method: str = "nuts"
    prior: str = "normal"
    n: int = 20
    p: int = 3
    loc: float = 0.0
    sigma: float = 1.0
    tau: float = 1.0
    sigma_prior: str | None = None
    tau_prior: str | None = None
    fit_sigma: float | None = None
    fit_tau: float | None = None
    num_warmup: int = 500
    num_samples: int = 1000
    num_draws: int = 99
    num_bins: int = 20
    target_accept_prob: float = 0.8
    noncentered: bool = False

    def __post_init__(self) -> None:
        check_option(self.model, "model", MODELS)
        check_option(self.method, "method", METHODS)
        check_option(self.prior, "prior", PRIORS)
        check_int(self.n, "n", minimum=1)
        check_int(self.p, "p", minimum=1)
        check_positive(self.sigma, "sigma")
        check_positive(self.tau, "tau")
        if not math.isfinite(float(self.loc)):
            raise ValueError(f"loc must be finite; got {self.loc!r}.")
        for name in ("fit_sigma", "fit_tau"):
            if getattr(self, name) is not None:
                check_positive(getattr(self, name), name)
        if self.sigma_prior is not None:
            check_option(self.sigma_prior, "sigma_prior", SIGMA_PRIORS)
        if self.tau_prior is not None:
            check_option(self.tau_prior, "tau_prior", TAU_PRIORS)
        if self.sigma_prior is not None and self.fit_sigma is not None:
            raise ValueError("fit_sigma needs a fixed sigma; got sigma_prior too.")
        if self.tau_prior is not None and self.fit_tau is not None:
            raise ValueError("fit_tau needs a fixed tau; got tau_prior too.")
        check_int(self.num_warmup, "num_warmup", minimum=0)
        check_int(self.num_samples, "num_samples", minimum=1)
        check_int(self.num_draws, "num_draws", minimum=1)
        check_int(self.num_bins, "num_bins", minimum=2)
        if not 0.0 < float(self.target_accept_prob) < 1.0:
            raise ValueError(f"target_accept_prob must be in (0, 1); got {self.target_accept_prob!r}.")
        if self.noncentered and (self.method != "nuts" or self.model != "linear"):
            raise ValueError("noncentered applies to method='nuts' on the linear model.")
        if (self.num_draws + 1) % self.num_bins:
            raise ValueError(f"num_bins must divide num_draws + 1 = {self.num_draws + 1} (the number of rank "
                             f"values); got {self.num_bins}.")
        if self.method != "exact" and self.num_samples < self.num_draws:
            raise ValueError(f"num_samples must be >= num_draws = {self.num_draws}; got {self.num_samples}.")
        if self.model == "gaussian_mean":
            if self.method == "gibbs":
                raise ValueError("method 'gibbs' applies to the linear model with a Laplace prior; "
                                 "the Gaussian-mean model has 'nuts' and 'exact'.")
            if self.sigma_prior or self.tau_prior or self.prior != "normal":
                raise ValueError("the Gaussian-mean model has a Normal prior with sigma and tau fixed; "
                                 "use model='linear' for sampled scales or a Laplace prior.")
        if self.method == "gibbs":
            if self.prior != "laplace" or self.tau_prior is not None or self.sigma_prior not in (None, "invgamma"):
                raise ValueError("method 'gibbs' needs prior='laplace', a fixed tau and sigma fixed or "
                                 "sigma_prior='invgamma'.")
        if self.method == "exact" and (self.prior != "normal" or self.sigma_prior or self.tau_prior):
            raise ValueError("method 'exact' needs the Normal prior with sigma and tau fixed (a closed form).")
        if self.prior in SHRINKAGE and (self.method != "nuts" or self.tau_prior or self.fit_tau or self.noncentered):
            raise ValueError(f"prior {self.prior!r} runs on method 'nuts', non-centred already, and samples its own "
                             "global scale: no tau_prior, fit_tau or noncentered (tau is the horseshoe's scale).")

    @property
    def label(self) -> str:
        if self.model == "gaussian_mean":
            parts = ["gaussian_mean"]
        else:
            parts = [f"linear {self.prior}", f"sigma~{self.sigma_prior}" if self.sigma_prior else "sigma fixed"]
            if self.prior not in SHRINKAGE:
                parts.append(f"tau~{self.tau_prior}" if self.tau_prior else "tau fixed")
        wrong = [f"{k}={getattr(self, k):g}" for k in ("fit_sigma", "fit_tau") if getattr(self, k) is not None]
        wrong += ["non-centred"] if self.noncentered else []
        wrong += [f"warmup={self.num_warmup}"] if self.num_warmup < 100 and self.method == "nuts" else []
        return ", ".join(parts + wrong) + f" / {self.method}"

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def standard_cases(**overrides) -> list[CalibrationCase]:
    """Every model x method the package offers, with scales fixed and sampled.

    With tau sampled, NUTS runs non-centred: on the centred form (what the estimator fits)
    the Normal-prior case fails SBC for tau at 1,000 simulations (thousands of divergences
    in the funnel between w and tau)."""
    specs = [
        dict(model="gaussian_mean", method="nuts"), dict(model="gaussian_mean", method="exact"),
        dict(prior="normal", method="nuts"), dict(prior="normal", method="exact"),
        dict(prior="normal", sigma_prior="halfnormal", method="nuts"),
        dict(prior="normal", sigma_prior="halfnormal", tau_prior="halfnormal", method="nuts", noncentered=True),
        dict(prior="laplace", method="nuts"), dict(prior="laplace", method="gibbs"),
        dict(prior="laplace", sigma_prior="invgamma", method="nuts"),
        dict(prior="laplace", sigma_prior="invgamma", method="gibbs"),
        dict(prior="laplace", sigma_prior="halfnormal", tau_prior="halfnormal", method="nuts", noncentered=True),
    ]
    return [CalibrationCase(**{**spec, **overrides}) for spec in specs]


def shrinkage_cases(**overrides) -> list[CalibrationCase]:
    """The shrinkage priors, with the truth drawn from each prior itself, small p and sigma fixed
    (opt-in: not in :func:`standard_cases`, whose ``calibrate --all`` runtime they would add to).
    target_accept_prob 0.95, as the horseshoe's funnels ask."""
    specs = [dict(prior=prior, method="nuts", target_accept_prob=0.95) for prior in SHRINKAGE]
    return [CalibrationCase(**{**spec, **overrides}) for spec in specs]


def _shrinkage_args(case: CalibrationCase):
    """The ``shrinkage`` numbers of bayesreg.models for this case (Horseshoe(scale=tau), the
    other priors with their defaults), or None for the Laplace and Normal priors."""
    from ..priors import shrinkage_params

    return shrinkage_params(case.prior, case.tau, case.n, case.p)


# ---------------------------------------------------------------- uniformity statistics
def chi_square_test(ranks, num_draws: int, num_bins: int) -> tuple[float, float]:
    """Chi-square statistic and p-value of ranks in 0..num_draws over ``num_bins`` equal bins."""
    from scipy import stats

    ranks = np.asarray(ranks)
    counts = np.bincount(ranks * num_bins // (num_draws + 1), minlength=num_bins)
    expected = ranks.size / num_bins
    chi2 = float(np.sum((counts - expected) ** 2) / expected)
    return chi2, float(stats.chi2.sf(chi2, num_bins - 1))


@functools.lru_cache(maxsize=16)
def _binomial_cdf_table(n_sims: int, num_draws: int) -> np.ndarray:
    """P(Binomial(N, z_k) <= c) for k = 1..L (rows) and c = -1..N (columns)."""
    from scipy import stats

    z = np.arange(1, num_draws + 1) / (num_draws + 1)
    c = np.arange(-1, n_sims + 1)
    return stats.binom.cdf(c[None, :], n_sims, z[:, None])


def _min_tail_probability(cumulative: np.ndarray, n_sims: int, num_draws: int) -> np.ndarray:
    """Smallest two-sided pointwise tail probability 2 min(P(X <= c_k), P(X >= c_k)) over
    k, for ECDF counts ``cumulative`` of shape (..., L)."""
    table = _binomial_cdf_table(n_sims, num_draws)
    rows = np.arange(num_draws)
    below = table[rows, cumulative + 1]           # P(X <= c)
    above = 1.0 - table[rows, cumulative]         # P(X >= c) = 1 - P(X <= c - 1)
    return np.minimum(1.0, 2.0 * np.minimum(below, above)).min(axis=-1)


@functools.lru_cache(maxsize=16)
def _null_min_tail(n_sims: int, num_draws: int, simulations: int = NULL_SIMULATIONS) -> np.ndarray:
    """The statistic's null distribution: multinomial rank counts from a fixed seed, sorted."""
    rng = np.random.default_rng(20220401)
    out = []
    for start in range(0, simulations, 10_000):
        size = min(10_000, simulations - start)
        counts = rng.multinomial(n_sims, np.full(num_draws + 1, 1.0 / (num_draws + 1)), size=size)
        out.append(_min_tail_probability(np.cumsum(counts[:, :-1], axis=1), n_sims, num_draws))
    return np.sort(np.concatenate(out))


def ecdf_counts(ranks, num_draws: int) -> np.ndarray:
    """N F(z_k) = #(rank < k) for k = 1..L."""
    counts = np.bincount(np.asarray(ranks), minlength=num_draws + 1)
    return np.cumsum(counts[:-1])


def ecdf_test(ranks, num_draws: int, *, simulations: int = NULL_SIMULATIONS) -> float:
    """p-value of the simultaneous ECDF test (Säilynoja et al. 2022): the share of null
    simulations whose smallest pointwise tail probability is at most the observed one."""
    ranks = np.asarray(ranks)
    observed = _min_tail_probability(ecdf_counts(ranks, num_draws), ranks.size, num_draws)
    null = _null_min_tail(ranks.size, num_draws, simulations)
    return float((1 + np.searchsorted(null, observed * (1 + 1e-12), side="right")) / (null.size + 1))


def ecdf_band(n_sims: int, num_draws: int, alpha: float = 0.05, *,
              simulations: int = NULL_SIMULATIONS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simultaneous 1 - alpha band of the ECDF difference F(z) - z: (z, lower, upper).

    The pointwise level gamma is the alpha-quantile of the simulated null statistic, so
    that a uniform sample's whole ECDF stays inside with probability ~1 - alpha."""
    from scipy import stats

    gamma = float(np.quantile(_null_min_tail(n_sims, num_draws, simulations), alpha))
    z = np.arange(1, num_draws + 1) / (num_draws + 1)
    lower = stats.binom.ppf(gamma / 2, n_sims, z) / n_sims - z
    upper = stats.binom.ppf(1 - gamma / 2, n_sims, z) / n_sims - z
    return z, lower, upper


# ---------------------------------------------------------------- one case
def _sigma_site(case: CalibrationCase, scale: float):
    """(family, value) of the sigma argument of bayesreg.models for this case."""
    if case.sigma_prior == "invgamma":
        return "invgamma_variance", np.array([INVGAMMA_SHAPE, (INVGAMMA_SHAPE - 1.0) * scale**2])
    return case.sigma_prior, scale


def simulate(case: CalibrationCase, n_sims: int, *, rng_key, X=None) -> dict[str, np.ndarray]:
    """Prior draws and data from the NumPyro model itself (what the fit assumes), plus a
    new point (x_new, y_new) per simulation. Arrays have a leading simulation axis."""
    import jax.numpy as jnp
    from numpyro.handlers import seed, trace

    from .. import models

    key_sim, key_design, key_new = jax.random.split(rng_key, 3)
    keys = jax.random.split(key_sim, n_sims)
    if case.model == "gaussian_mean":
        def one(key):
            tr = trace(seed(models.gaussian_mean, key)).get_trace(None, sigma=case.sigma, tau=case.tau,
                                                                  loc=case.loc, n=case.n)
            return {"mu": tr["mu"]["value"], "x": tr["x"]["value"]}

        out = {k: np.asarray(v) for k, v in jax.jit(jax.vmap(one))(keys).items()}
        out["y_new"] = out["mu"] + case.sigma * np.asarray(jax.random.normal(key_new, (n_sims,)))
        return out

    if X is None:
        X = jax.random.normal(key_design, (n_sims, case.n, case.p))
    else:
        X = jnp.broadcast_to(jnp.asarray(X, dtype=jnp.float64), (n_sims,) + np.shape(X))
    sigma_family, sigma_value = _sigma_site(case, case.sigma)
    kwargs = dict(loc=case.loc, tau=case.tau, sigma=sigma_value, prior=case.prior, sigma_prior=sigma_family,
                  tau_prior=case.tau_prior)
    shrinkage = _shrinkage_args(case)
    if shrinkage is not None:
        kwargs["shrinkage"] = shrinkage

    def one(key, X):
        extra = {"x_sq": models.column_mean_squares(X)} if case.prior == "r2d2" else {}
        tr = trace(seed(models.linear_regression, key)).get_trace(X, None, **kwargs, **extra)
        # w is a deterministic site of the (non-centred) shrinkage priors
        return {name: site["value"] for name, site in tr.items() if site["type"] in ("sample", "deterministic")}

    out = {k: np.asarray(v) for k, v in jax.jit(jax.vmap(one))(keys, X).items()}
    out["X"] = np.asarray(X)
    for name, value in (("sigma", case.sigma), ("tau", case.tau)):
        out.setdefault(name, np.full(n_sims, value))
    key_x, key_y = jax.random.split(key_new)
    out["x_new"] = np.asarray(jax.random.normal(key_x, (n_sims, case.p)))
    out["y_new"] = np.einsum("rp,rp->r", out["x_new"], out["w"]) \
        + out["sigma"] * np.asarray(jax.random.normal(key_y, (n_sims,)))
    return out


def _fit(case: CalibrationCase, sim: dict, rng_key) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Posterior draws (simulation, draw, ...) for every simulation, and divergences per simulation."""
    from ..infer.mcmc import MCMCSettings

    n_sims = sim["y_new"].shape[0]
    fit_sigma = case.fit_sigma or case.sigma
    fit_tau = case.fit_tau or case.tau
    settings = MCMCSettings(num_warmup=case.num_warmup, num_samples=case.num_samples, num_chains=1,
                            target_accept_prob=case.target_accept_prob)
    if case.method == "exact":
        return _exact_draws(case, sim, fit_sigma, fit_tau, rng_key), np.zeros(n_sims, dtype=int)
    if case.model == "gaussian_mean":
        from .. import models
        from ..infer.nuts import run_nuts_batched

        data = {"x": sim["x"], "sigma": np.full(n_sims, fit_sigma), "tau": np.full(n_sims, fit_tau),
                "loc": np.full(n_sims, case.loc)}
        draws = run_nuts_batched(models.gaussian_mean, rng_key, data, settings=settings)
    elif case.method == "nuts":
        from .. import models
        from ..infer.nuts import run_nuts_batched
        from ..likelihood import sufficient_statistics

        sigma_family, sigma_value = _sigma_site(case, fit_sigma)
        data = dict(sufficient_statistics(sim["X"], sim["y"]), loc=np.full((n_sims, case.p), case.loc),
                    tau=np.full(n_sims, fit_tau), sigma=np.broadcast_to(sigma_value, (n_sims,) + np.shape(sigma_value)))
        static = dict(prior=case.prior, sigma_prior=sigma_family, tau_prior=case.tau_prior, scale_by_sigma=False,
                      centered=False)
        shrinkage = _shrinkage_args(case)
        if shrinkage is not None:
            data["shrinkage"] = np.broadcast_to(shrinkage, (n_sims,) + shrinkage.shape)
        if case.prior == "r2d2":
            data["x_sq"] = models.column_mean_squares(sim["X"])
        # the shrinkage priors as the estimator fits them: collapsed, w drawn given the scales
        model, draw_key, extra = models.gram_form(sim["X"], sim["y"], collapsed=shrinkage is not None)
        if case.noncentered and shrinkage is None:
            model = _noncentered_gram()
        draws = run_nuts_batched(model, rng_key, {**data, **extra}, static=static, settings=settings,
                                 draw_key=draw_key)
    else:
        from ..infer.gibbs import gibbs_data, run_gibbs_batched

        sigma_prior = _sigma_site(case, fit_sigma)[1] if case.sigma_prior else None
        per_sim = [gibbs_data(sim["X"][r], sim["y"][r], loc=case.loc, tau=fit_tau, sigma=fit_sigma,
                              sigma_prior=sigma_prior) for r in range(n_sims)]
        data = {k: np.stack([d[k] for d in per_sim]) for k in per_sim[0]}
        draws = run_gibbs_batched(rng_key, data, settings=settings)
    samples = {k: v[:, 0] for k, v in draws.samples.items()}        # one chain per simulation
    return samples, draws.stats["diverging"].sum(axis=(1, 2))


@functools.cache
def _noncentered_gram():
    """linear_regression_gram with w non-centred; one object, so its compiled programs are reused."""
    from numpyro.handlers import reparam
    from numpyro.infer.reparam import LocScaleReparam

    from .. import models

    return reparam(models.linear_regression_gram, config={"w": LocScaleReparam(centered=0)})


def _exact_draws(case, sim, sigma, tau, rng_key) -> dict[str, np.ndarray]:
    """num_draws iid draws from the closed-form posterior of every simulation."""
    from ..conjugate import linear_normal_posterior, normal_mean_posterior

    rng = np.random.default_rng(np.asarray(jax.random.key_data(rng_key)).ravel())
    L = case.num_draws
    if case.model == "gaussian_mean":
        mu = np.stack([normal_mean_posterior(x, sigma=sigma, tau=tau, loc=case.loc).sample(L, rng=rng)
                       for x in sim["x"]])
        return {"mu": mu}
    w = np.stack([linear_normal_posterior(X, y, loc=case.loc, tau=tau, sigma=sigma).sample(L, rng=rng)
                  for X, y in zip(sim["X"], sim["y"], strict=True)])
    return {"w": w}


def _quantities(case: CalibrationCase, sim: dict, draws: dict, rng: np.random.Generator):
    """(truth, draws) of every ranked quantity: truth (simulation,), draws (simulation, draw).

    Test quantities are functions of the parameters and the data, applied alike to the true
    parameters and to each draw: log p(y | theta) (fixed scales at the values the fit
    assumes) and the predictive of the new point."""
    fit_sigma = case.fit_sigma or case.sigma
    truth, values = {}, {}
    if case.model == "gaussian_mean":
        x, mu = sim["x"], draws["mu"]
        truth["mu"], values["mu"] = sim["mu"], mu

        def loglik(m):   # sum_i log N(x_i | m, sigma^2); m: (sim,) or (sim, draw)
            xx = x if m.ndim == 1 else x[:, None, :]
            return -0.5 * np.sum((xx - m[..., None]) ** 2, axis=-1) / fit_sigma**2 \
                - case.n * np.log(fit_sigma) - 0.5 * case.n * np.log(2 * np.pi)

        truth["loglik"], values["loglik"] = loglik(sim["mu"]), loglik(mu)
        sigma_draws = np.full(mu.shape, fit_sigma)
        mean_new = mu
    else:
        w = draws["w"]
        for j in range(case.p):
            truth[f"w[{j}]"], values[f"w[{j}]"] = sim["w"][:, j], w[..., j]
        sigma_draws = draws["sigma"] if case.sigma_prior else np.full(w.shape[:2], fit_sigma)
        sigma_true = sim["sigma"] if case.sigma_prior else np.full(w.shape[0], fit_sigma)
        if case.sigma_prior:
            truth["sigma"], values["sigma"] = sim["sigma"], sigma_draws
        if case.tau_prior or case.prior in ("horseshoe", "regularized_horseshoe"):  # the global scale
            truth["tau"], values["tau"] = sim["tau"], draws["tau"]
        if case.prior == "r2d2":
            truth["r2"], values["r2"] = sim["r2"], draws["r2"]
        X, y = sim["X"], sim["y"]
        G, c, yy = np.einsum("rni,rnj->rij", X, X), np.einsum("rni,rn->ri", X, y), np.einsum("rn,rn->r", y, y)

        def loglik(w, s):   # w: (sim, ..., p), s: (sim, ...)
            extra = (1,) * (w.ndim - 2)
            rss = yy.reshape((-1,) + extra) - 2 * np.einsum("r...i,ri->r...", w, c) \
                + np.einsum("r...i,rij,r...j->r...", w, G, w)
            return -case.n * np.log(s) - rss / (2 * s**2) - 0.5 * case.n * np.log(2 * np.pi)

        truth["loglik"], values["loglik"] = loglik(sim["w"], sigma_true), loglik(w, sigma_draws)
        mean_new = np.einsum("rdp,rp->rd", w, sim["x_new"])
    truth["y_new"] = sim["y_new"]
    values["y_new"] = mean_new + sigma_draws * rng.standard_normal(mean_new.shape)
    return truth, values


def _thin(values: dict[str, np.ndarray], num_draws: int):
    """Per simulation: ESS (min over quantities), thinning, the last num_draws thinned draws,
    and split R-hat (max over quantities, on the post-warmup draws of the one chain)."""
    from numpyro.diagnostics import effective_sample_size, split_gelman_rubin

    stacked = np.stack(list(values.values()), axis=-1)             # (sim, S, Q)
    n_sims, num_samples, _ = stacked.shape
    chains = np.moveaxis(stacked, 1, 0)[None]                        # (1, S, sim, Q)
    ess = np.asarray(effective_sample_size(chains)).min(axis=-1)
    rhat = np.asarray(split_gelman_rubin(chains)).max(axis=-1)
    thin = np.clip(np.ceil(num_samples / np.maximum(ess, 1.0)).astype(int), 1, num_samples // num_draws)
    index = num_samples - 1 - thin[:, None] * np.arange(num_draws)[None, ::-1]   # (sim, L)
    thinned = {k: np.take_along_axis(v, index, axis=1) for k, v in values.items()}
    return thinned, ess, thin, rhat


@dataclass(frozen=True)
class CalibrationResult:
    """Ranks and uniformity tests of one case, with the fits' diagnostics.

    ``ranks[q]`` holds the n_sims ranks (0..num_draws) of quantity q; ``table`` has one
    row per quantity (chi-square and ECDF p-values, Bonferroni-adjusted, pass/fail);
    ``ess``, ``thin``, ``rhat`` (split R-hat of the one chain), ``divergences`` are per
    simulation; ``seconds`` is the wall time of simulating, fitting and ranking
    (compilation included; not the tests)."""

    case: CalibrationCase
    ranks: dict[str, np.ndarray]
    table: pd.DataFrame
    ess: np.ndarray
    thin: np.ndarray
    rhat: np.ndarray
    divergences: np.ndarray
    seconds: float
    fit_seconds: float
    seed: int
    alpha: float = 0.001
    extra: dict = field(default_factory=dict)

    @property
    def num_draws(self) -> int:
        return self.case.num_draws

    @property
    def num_bins(self) -> int:
        return self.case.num_bins

    @property
    def n_sims(self) -> int:
        return int(next(iter(self.ranks.values())).size)

    @property
    def passed(self) -> bool:
        return bool(self.table["pass"].all())

    @property
    def seconds_per_simulation(self) -> float:
        return self.seconds / self.n_sims

    def ecdf_difference(self, quantity: str) -> tuple[np.ndarray, np.ndarray]:
        """(z_k, F(z_k) - z_k) of one quantity's ranks."""
        z = np.arange(1, self.num_draws + 1) / (self.num_draws + 1)
        return z, ecdf_counts(self.ranks[quantity], self.num_draws) / self.n_sims - z

    def ecdf_band(self, alpha: float = 0.05):
        """Simultaneous band of the ECDF difference: (z, lower, upper)."""
        return ecdf_band(self.n_sims, self.num_draws, alpha)

    def summary(self) -> dict[str, Any]:
        """One row for a table of cases."""
        finite = np.isfinite(self.rhat)
        return {
            "case": self.case.label, "n_sims": self.n_sims, "passed": self.passed,
            "min_adj_p": float(self.table["adj_p"].min()),
            "worst": str(self.table.loc[self.table["adj_p"].idxmin(), "quantity"]),
            "sec_per_sim": self.seconds_per_simulation, "sims_per_sec": self.n_sims / self.seconds,
            "ess_median": float(np.median(self.ess)), "ess_min": float(np.min(self.ess)),
            "thin_median": float(np.median(self.thin)),
            # simulations whose chain had fewer effective draws than the L it was ranked among
            "ess_below_L": float(np.mean(self.ess < self.num_draws)), "divergences": int(self.divergences.sum()),
            "rhat_max": float(np.max(self.rhat[finite])) if finite.any() else float("nan"),
            "rhat_over_1.01": float(np.mean(self.rhat[finite] > 1.01)) if finite.any() else float("nan"),
        }

    def to_dict(self) -> dict[str, Any]:
        return {"case": self.case.as_dict(), "label": self.case.label, "seed": self.seed, "alpha": self.alpha,
                "summary": self.summary(), "quantities": self.table.to_dict(orient="records"),
                "ranks": {k: v.tolist() for k, v in self.ranks.items()}}


def run_case(case: CalibrationCase, *, n_sims: int = 1000, seed: int = 0, X=None,
             alpha: float = 0.001) -> CalibrationResult:
    """Calibrate one case: a pure function of its arguments (the unit a distributed runner maps)."""
    from ..config import ensure_setup

    n_sims = check_int(n_sims, "n_sims", minimum=2)
    seed = check_seed(seed)
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1); got {alpha!r}.")
    if X is not None:
        if case.model != "linear":
            raise ValueError("X (a design) applies to model='linear' only.")
        from .._validation import check_2d

        X = check_2d(X, "X")
        case = replace(case, n=X.shape[0], p=X.shape[1])
    ensure_setup()
    start = time.perf_counter()
    key_sim, key_fit, key_pred = jax.random.split(jax.random.key(seed), 3)
    sim = simulate(case, n_sims, rng_key=key_sim, X=X)
    fit_start = time.perf_counter()
    draws, divergences = _fit(case, sim, key_fit)
    fit_seconds = time.perf_counter() - fit_start
    rng = np.random.default_rng(np.asarray(jax.random.key_data(key_pred)).ravel())
    truth, values = _quantities(case, sim, draws, rng)
    if case.method == "exact":   # iid draws: nothing to thin
        thinned = values
        ess = np.full(n_sims, float(case.num_draws))
        thin, rhat = np.ones(n_sims, dtype=int), np.full(n_sims, np.nan)
    else:
        thinned, ess, thin, rhat = _thin(values, case.num_draws)
    ranks = {k: np.sum(thinned[k] < truth[k][:, None], axis=1) for k in truth}
    seconds = time.perf_counter() - start      # the tests' null distribution is a one-off, cached
    rows = []
    num_tests = 2 * len(ranks)
    for name, r in ranks.items():
        chi2, p_chi2 = chi_square_test(r, case.num_draws, case.num_bins)
        p_ecdf = ecdf_test(r, case.num_draws)
        adj = min(1.0, num_tests * min(p_chi2, p_ecdf))
        rows.append({"quantity": name, "chi2": chi2, "p_chi2": p_chi2, "p_ecdf": p_ecdf, "adj_p": adj,
                     "pass": adj >= alpha})
    table = pd.DataFrame(rows)
    return CalibrationResult(case=case, ranks=ranks, table=table, ess=ess, thin=thin, rhat=rhat,
                             divergences=np.asarray(divergences), seconds=seconds,
                             fit_seconds=fit_seconds, seed=seed, alpha=alpha)


def calibrate(model: str = "linear", method: str = "nuts", *, prior: str = "normal", n: int = 20, p: int = 3,
              X=None, loc: float = 0.0, sigma: float = 1.0, tau: float = 1.0, sigma_prior: str | None = None,
              tau_prior: str | None = None, fit_sigma: float | None = None, fit_tau: float | None = None,
              n_sims: int = 1000, num_warmup: int = 500, num_samples: int = 1000, num_draws: int = 99,
              num_bins: int = 20, target_accept_prob: float = 0.8, noncentered: bool = False,
              alpha: float = 0.001, seed: int = 0) -> CalibrationResult:
    """Simulation-based calibration of one model x method (see the module notes).

    Parameters
    ----------
    model : {"gaussian_mean", "linear"}, default="linear"
    method : {"nuts", "gibbs", "exact"}, default="nuts"
        ``"gibbs"``: the Laplace-prior Gibbs sampler; ``"exact"``: iid draws from the closed
        form (Normal prior, scales fixed).
    prior : {"normal", "laplace", "horseshoe", "regularized_horseshoe", "r2d2"}, default="normal"
        Prior of the regression coefficients (``model="linear"``). The shrinkage priors run on
        NUTS with their defaults (the horseshoe with ``Horseshoe(scale=tau)``) and rank their global
        scale (tau, or R^2 for R2D2) besides w.
    n, p : int
        Observations and features of each simulated data set (X ~ N(0, I) per simulation),
        unless ``X`` gives a design shared by all simulations.
    sigma, tau : float, default=1.0
        Fixed noise sd and prior scale, or the scale of their prior when ``sigma_prior``
        (``"halfnormal"``, ``"invgamma"``) or ``tau_prior`` (``"halfnormal"``) is given.
    fit_sigma, fit_tau : float, optional
        Fit with these fixed values instead (a misspecified fit, which should fail).
    n_sims : int, default=1000
    num_warmup, num_samples : int
        MCMC iterations per simulation (one chain each).
    num_draws : int, default=99
        L: ranks are taken among L near-independent draws (thinned by the ESS).
    num_bins : int, default=20
        Bins of the chi-square test and the histogram; must divide L + 1.
    target_accept_prob : float, default=0.8
        NUTS's target acceptance probability.
    noncentered : bool, default=False
        NUTS samples w = loc + scale * z (removes the funnel when tau is sampled).
    alpha : float, default=0.001
        A quantity fails when its Bonferroni-adjusted p-value is below ``alpha``.
    seed : int, default=0

    Returns
    -------
    CalibrationResult

    Examples
    --------
    >>> result = calibrate("gaussian_mean", "exact", n_sims=200)  # doctest: +SKIP
    >>> result.passed, result.table  # doctest: +SKIP
    """
    case = CalibrationCase(model=model, method=method, prior=prior, n=n, p=p, loc=loc, sigma=sigma, tau=tau,
                           sigma_prior=sigma_prior, tau_prior=tau_prior, fit_sigma=fit_sigma, fit_tau=fit_tau,
                           num_warmup=num_warmup, num_samples=num_samples, num_draws=num_draws,
                           num_bins=num_bins, target_accept_prob=target_accept_prob, noncentered=noncentered)
    return run_case(case, n_sims=n_sims, seed=seed, X=X, alpha=alpha)


def result_tables(result: CalibrationResult) -> dict[str, Any]:
    """A result as tables and JSON values (what a study checkpoint stores); :func:`result_from_tables`
    rebuilds it exactly."""
    per_sim = pd.DataFrame({"ess": result.ess, "thin": result.thin, "rhat": result.rhat,
                            "divergences": result.divergences})
    for name, ranks in result.ranks.items():
        per_sim[f"rank:{name}"] = ranks
    return {"table": result.table, "per_sim": per_sim, "case": result.case.as_dict(), "seconds": result.seconds,
            "fit_seconds": result.fit_seconds, "seed": result.seed, "alpha": result.alpha,
            "quantities": list(result.ranks)}


def result_from_tables(parts: dict[str, Any]) -> CalibrationResult:
    per_sim = parts["per_sim"]
    return CalibrationResult(
        case=CalibrationCase(**parts["case"]), ranks={q: per_sim[f"rank:{q}"].to_numpy() for q in parts["quantities"]},
        table=parts["table"], ess=per_sim["ess"].to_numpy(), thin=per_sim["thin"].to_numpy(),
        rhat=per_sim["rhat"].to_numpy(), divergences=per_sim["divergences"].to_numpy(), seconds=parts["seconds"],
        fit_seconds=parts["fit_seconds"], seed=parts["seed"], alpha=parts["alpha"])


def run_case_tables(case: CalibrationCase, *, n_sims: int, seed: int, X=None, alpha: float = 0.001) -> dict:
    """:func:`run_case` as tables (one cell of :func:`run_cases`)."""
    return result_tables(run_case(case, n_sims=n_sims, seed=seed, X=X, alpha=alpha))


def _fingerprint(X) -> str:
    import hashlib

    X = np.ascontiguousarray(X, dtype=np.float64)
    return f"{X.shape} sha256:{hashlib.sha256(X.tobytes()).hexdigest()[:16]}"


def run_cases(cases, *, n_sims: int = 1000, seed: int = 0, X=None, alpha: float = 0.001,
              progress: bool | None = None, workers: int | None = None, client=None, checkpoint=None,
              resume: bool = False) -> list[CalibrationResult]:
    """Calibrate several cases, each one cell of :func:`bayesreg.runner.run_cells`: in-process by
    default, on a new ``LocalCluster`` of ``workers`` processes or on ``client``; ``checkpoint``
    (a folder) keeps each finished case and ``resume`` computes only the missing ones. Each case
    uses ``seed``, as :func:`run_case` does, so the results do not depend on where it ran."""
    from ..runner import Cell, run_cells

    cases = list(cases)
    n_sims = check_int(n_sims, "n_sims", minimum=2)
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1); got {alpha!r}.")
    cells = [Cell(f"{i:02d} {case.label}", run_case_tables, dict(case=case, n_sims=n_sims, seed=seed, alpha=alpha))
             for i, case in enumerate(cases)]
    study = {"study": "calibration", "cases": [c.as_dict() for c in cases], "n_sims": n_sims, "seed": seed,
             "alpha": alpha, "design": None if X is None else _fingerprint(X)}
    results = run_cells(cells, workers=workers, client=client, checkpoint=checkpoint, study=study, resume=resume,
                        shared=None if X is None else {"X": X}, progress=progress, desc="calibration cases")
    return [result_from_tables(parts) for parts in results.values()]


def summary_table(results) -> pd.DataFrame:
    """One row per case."""
    return pd.DataFrame([r.summary() for r in results])
